"""The one place that runs the tmux binary.

A :class:`TmuxServer` names the tmux server explicitly (``-L name`` or ``-S path``; never through
``$TMUX``), runs command chains in a single tmux invocation, and turns tmux's refusals into typed
errors. Targets are always exact (``=name`` / ``=name:``): tmux otherwise matches session names by
prefix, so ``claude-4`` would hit ``claude-42``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import TmuxError, TmuxNotFound, TmuxUnreachable

#: Variables that must not leak from the caller into tmux or the panes it starts: TMUX/TMUX_PANE
#: would send commands to an outer server, CLAUDECODE makes a nested Claude Code refuse to start.
SCRUBBED_ENVIRONMENT = ("TMUX", "TMUX_PANE", "CLAUDECODE")

INSTALL_HINT = (
    "tmux is not installed or not on PATH: install it with `sudo apt-get install tmux` "
    "(Debian/Ubuntu), `sudo dnf install tmux` (Fedora) or `brew install tmux` (macOS)"
)
WINDOWS_HINT = "tmux does not run on native Windows: run Jupyter inside WSL (`wsl --install`)"


def exact_session(name: str) -> str:
    """Target for commands that take a session (has-session, kill-session, list-clients)."""
    return f"={name}"


def exact_pane(name: str) -> str:
    """Target for commands that take a window or pane (set-option, capture-pane, pipe-pane...)."""
    return f"={name}:"


def escape_format(text: str) -> str:
    """Protect text that tmux expands as a format (``-c`` start directories, pipe-pane commands)."""
    return text.replace("#", "##")


def escape_argument(argument: str) -> str:
    """Keep an argument whole: tmux ends a command at any argv element that ends with ``;``."""
    if argument.endswith(";"):
        return argument[:-1] + "\\;"
    return argument


def scrubbed_environment() -> dict[str, str]:
    """The caller's environment without the variables in :data:`SCRUBBED_ENVIRONMENT`."""
    return {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENVIRONMENT}


@dataclass(frozen=True)
class TmuxServer:
    """A tmux server, named by socket: ``""`` is the user's default server."""

    socket: str = ""
    executable: str = "tmux"

    @property
    def socket_args(self) -> list[str]:
        """``-L name`` for a socket name, ``-S path`` for a socket path."""
        if not self.socket:
            return ["-L", "default"]
        if "/" in self.socket:
            return ["-S", self.socket]
        return ["-L", self.socket]

    def binary(self) -> str:
        """Absolute path of the tmux executable, or :class:`TmuxNotFound`."""
        found = shutil.which(self.executable)
        if found is None:
            raise TmuxNotFound(WINDOWS_HINT if sys.platform == "win32" else INSTALL_HINT)
        return found

    def argv(self, *args: str) -> list[str]:
        """Full argv for one tmux invocation on this server."""
        return [self.binary(), *self.socket_args, *args]

    def attach_argv(self, session_name: str, read_only: bool = False) -> list[str]:
        """What a terminal runs to attach to a session: same server, exact target."""
        socket = [] if not self.socket else self.socket_args
        flags = ["-r"] if read_only else []
        return [self.executable, *socket, "attach-session", *flags, "-t", exact_session(session_name)]

    def run(self, *commands: Sequence[str], retries: int = 2) -> str:
        """Run one or more commands in ONE tmux invocation and return its stdout.

        Raises :class:`TmuxError` with tmux's message when a command is refused; the chain stops
        at the first refusal, as tmux itself does.
        """
        argv = self.argv(*join_commands(commands))
        for attempt in range(retries + 1):
            try:
                done = subprocess.run(
                    argv,
                    capture_output=True,
                    env=scrubbed_environment(),
                    stdin=subprocess.DEVNULL,
                    check=False,
                )
            except FileNotFoundError as error:
                raise TmuxNotFound(INSTALL_HINT) from error
            stderr = done.stderr.decode(errors="replace").strip()
            # A server that is shutting down as a new one starts refuses briefly (seen 2 in 20).
            if done.returncode != 0 and "server exited unexpectedly" in stderr and attempt < retries:
                time.sleep(0.05 * (attempt + 1))
                continue
            # tmux 3.3a exits 0 when it cannot create the server socket: trust its message.
            if done.returncode != 0 or stderr.startswith(("error creating", "error connecting")):
                raise _typed_error(stderr, self)
            return done.stdout.decode(errors="replace")
        raise AssertionError("unreachable")  # pragma: no cover


def join_commands(commands: Iterable[Sequence[str]]) -> list[str]:
    """Chain commands with tmux's ``;`` separator, each argument kept whole."""
    joined: list[str] = []
    for command in commands:
        if joined:
            joined.append(";")
        joined.extend(escape_argument(argument) for argument in command)
    return joined


def is_no_server(error: TmuxError) -> bool:
    """True when tmux said there is no server on the socket, or a server with no session left.

    (A server whose last session was just killed lingers for a moment and answers listing
    commands with "no current target".)
    """
    text = str(error)
    return (
        "no server running" in text
        or "no current target" in text
        or ("error connecting to" in text and "No such file or directory" in text)
    )


def is_missing_session(error: TmuxError) -> bool:
    """True when tmux said the target session (or its pane) does not exist."""
    text = str(error)
    return "can't find session" in text or "can't find pane" in text or is_no_server(error)


def _typed_error(stderr: str, server: TmuxServer) -> TmuxError:
    message = stderr or "tmux failed without a message"
    if message.startswith("error creating") or (
        "error connecting to" in message and "No such file or directory" not in message
    ):
        return TmuxUnreachable(f"cannot reach the tmux server ({' '.join(server.socket_args)}): {message}")
    return TmuxError(message)
