"""The Jupyter server extension: one ClaudeSessions for the server, its REST/WebSocket API and watcher.

Enabled on install (``etc/jupyter/jupyter_server_config.d/jupyter_claude.json``); settings work as
``--ClaudeSessions.name=value`` on ``jupyter server`` / ``jupyter lab`` or in
``jupyter_server_config.py``. The sessions start in the server's root_dir unless
``ClaudeSessions.root_dir`` is set. Anyone who can reach this API can run the configured agent
command on the server, so the extension warns when the server listens beyond the loopback interface.
"""

from __future__ import annotations

import ast
import ipaddress
import os
import socket
import threading
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Container, Float
from traitlets.config import Config
from traitlets.config.loader import DeferredConfigString

from ..core.manager import ClaudeSessions
from .conflicts import ConflictsNotifier
from .events import SessionWatcher
from .handlers import default_handlers
from .keeper import LimitKeeper
from .stream import PaneStreams
from .taskfolders import TaskFoldersNotifier

EXPOSED_WARNING = (
    "jupyter-claude: this server listens on %r, not only on the loopback interface. Anyone who can "
    "reach it and log in can start coding agents and programs on this machine: keep the server on "
    "127.0.0.1 (--ServerApp.ip=127.0.0.1), or put it behind JupyterHub or an authenticating proxy."
)


def is_loopback(host: str) -> bool:
    """True when ``host`` (an address or a name) only reaches this machine."""
    host = host.strip("[]")
    if host in ("", "*", "0.0.0.0", "::"):
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def resolve_list_literals(config: Config) -> None:
    """Read ``--ClaudeSessions.command='["agent", "{id}"]'`` given to the server as a list.

    The server parses ``--ClaudeSessions.*`` before it knows the class, so the value arrives as a
    deferred string that traitlets would wrap as a one-element list. Repeating the option
    (``--ClaudeSessions.command=agent --ClaudeSessions.command={id}``) works as it is.
    """
    section = config.get("ClaudeSessions")
    if not section:
        return
    for name, trait in ClaudeSessions.class_traits(config=True).items():
        value = section.get(name)
        if isinstance(value, DeferredConfigString) and isinstance(trait, Container):
            text = str(value).strip()
            if text.startswith("[") and text.endswith("]"):
                try:
                    section[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    pass


class ClaudeExtension(ExtensionApp):
    """jupyter-claude inside a Jupyter server."""

    name = "jupyter_claude"
    description = "One coding-agent session per task, in tmux, over REST and WebSockets."
    # So that --ClaudeSessions.x=... works on `jupyter server` / `jupyter lab`.
    classes = [ClaudeSessions]  # noqa: RUF012
    load_other_extensions = True

    events_interval = Float(
        0.25,
        help="""Seconds between two checks of all sessions by the events watcher (one tmux call
        each, made only while someone listens on claude/events or a stream).""",
    ).tag(config=True)

    def initialize_settings(self) -> None:
        """Build the server's one manager, watcher and stream registry."""
        assert self.serverapp is not None
        resolve_list_literals(self.config)
        overrides: dict[str, Any] = {}
        if "root_dir" not in self.config.get("ClaudeSessions", {}):
            overrides["root_dir"] = self.serverapp.root_dir
        sessions = ClaudeSessions(parent=self, **overrides)
        watcher = SessionWatcher(sessions, interval=self.events_interval, log=self.log)
        self.settings.update(
            claude_sessions=sessions,
            claude_watcher=watcher,
            claude_streams=PaneStreams(sessions, watcher, self.log),
            claude_conflicts=ConflictsNotifier(sessions, watcher, self.log),
            claude_task_folders=TaskFoldersNotifier(sessions, watcher),
            claude_keeper=LimitKeeper(sessions, self.log),
        )
        self.warn_if_exposed(self.serverapp.ip)
        # Read the task files once now, off the event loop, so that the first listing a browser
        # asks for finds them parsed (10,000 files take seconds to read the first time).
        threading.Thread(
            target=self._read_tasks, args=(sessions,), name="jupyter-claude-tasks", daemon=True
        ).start()

    def _read_tasks(self, sessions: ClaudeSessions) -> None:
        try:
            sessions.tasks()
        except Exception as error:  # a listing reports bad files itself; this is for the unexpected
            self.log.warning("jupyter-claude: cannot read the task files: %s", error)

    def initialize_handlers(self) -> None:
        """The API's routes (relative to the server's base_url)."""
        self.handlers.extend(default_handlers)

    def warn_if_exposed(self, ip: str) -> bool:
        """Warn when the server listens on a non-loopback address; True when it does.

        A server spawned by JupyterHub (it has the hub's API token) is reached through the hub's
        login, which is what the warning asks for, so it stays quiet there.
        """
        if is_loopback(ip) or os.environ.get("JUPYTERHUB_API_TOKEN"):
            return False
        log = self.serverapp.log if self.serverapp is not None else self.log
        log.warning(EXPOSED_WARNING, ip)
        return True

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Once the event loop runs: with ``resume_after_limit``, keep an eye on limited agents."""
        keeper: LimitKeeper | None = self.settings.get("claude_keeper")
        if keeper is not None:
            keeper.start()

    async def stop_extension(self) -> None:
        """Close every stream and stop the watcher."""
        streams: PaneStreams | None = self.settings.get("claude_streams")
        watcher: SessionWatcher | None = self.settings.get("claude_watcher")
        if streams is not None:
            await streams.shutdown()
        if watcher is not None:
            await watcher.stop()
        keeper: LimitKeeper | None = self.settings.get("claude_keeper")
        if keeper is not None:
            await keeper.stop()
