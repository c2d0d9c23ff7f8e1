"""The tmux commands that start a task's command in a session: one place builds them all.

A :class:`Launch` is everything one start needs (name, directory, argv, log, the pane's settings);
it gives the command chain of a new session and of a respawn in place, each ONE tmux invocation
that also attaches the log writer (``pipe-pane``) and writes the session's metadata, so no byte of
output is missed and no listing sees a half-made session.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import logpipe, options
from .errors import ClaudeSessionsError, InvalidSetting
from .ids import validate_task_id
from .logs import prepare_log_dir
from .session import Session
from .tmux import TmuxServer, escape_format, exact_pane

#: A command as an argument vector (no shell).
Argv = list[str]

#: What ``new-session -P`` prints about the pane it made.
CREATED_FORMAT = "#{pane_pid} #{pane_width} #{pane_height}"


def iso(timestamp: float) -> str:
    """A UTC time as ``2026-11-29T22:40:49Z``."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pipe_command(log: Path, max_bytes: int, tmux_binary: str, gap: bool = False) -> str:
    """What pipe-pane runs (through ``sh -c``, after format expansion): the log writer, told where
    to report lost bytes (this tmux server and pane, filled in and quoted by tmux itself)."""
    words = [sys.executable, "-I", "-S", logpipe.__file__, str(log), str(max_bytes), tmux_binary]
    command = "exec " + " ".join(shlex.quote(word) for word in words)
    # Quote for the shell, then escape '#' for the format.
    return escape_format(command) + " #{q:socket_path} #{q:pane_id}" + (" --gap" if gap else "")


def restart_pipe_commands(target: str, log: Path, max_bytes: int, tmux_binary: str) -> list[Argv]:
    """A new log writer for a pane whose writer died, with the gap marked."""
    return [
        ["set-option", "-t", target, options.LOG, "gap"],
        ["pipe-pane", "-t", target, pipe_command(log, max_bytes, tmux_binary, gap=True)],
    ]


@dataclass(frozen=True)
class Launch:
    """One start of a task's command."""

    task_id: str
    name: str
    directory: str
    argv: Argv
    log: Path
    log_max_bytes: int
    #: ``JUPYTER_CLAUDE_SETTINGS`` for the pane (see :func:`.config.encode_pane_settings`).
    pane_settings: str
    tmux_binary: str
    started_at: float
    #: The log's size now: where this run's output starts in it.
    log_offset: int
    #: Starting many at once (:mod:`.queue`): the time the session was queued, and the gate its
    #: command waits behind for its turn to launch (empty: it launches at once).
    queued: str | None = None
    gate: tuple[str, ...] = ()

    def spawn_args(self) -> Argv:
        """What new-session and respawn-pane both take: directory, environment, command."""
        return [
            "-c", escape_format(self.directory),
            "-e", f"JUPYTER_CLAUDE_TASK_ID={self.task_id}",
            "-e", f"JUPYTER_CLAUDE_SETTINGS={self.pane_settings}",
            # The pane gets the tmux server's global environment, not ours: drop CLAUDECODE there
            # too. env also turns a missing program into exit 127 with a message in the log.
            "--", "env", "-u", "CLAUDECODE", *self.gate, *self.argv,
        ]  # fmt: skip

    def new_session(self) -> list[Argv]:
        """Create the session, keep a dead pane, attach the log, write the metadata."""
        return [
            ["new-session", "-d", "-s", self.name, "-P", "-F", CREATED_FORMAT, *self.spawn_args()],
            ["set-option", "-p", "remain-on-exit", "on"],
            ["set-option", "set-titles", "on"],
            ["set-option", "set-titles-string", "#{session_name}"],
            *self._metadata(None),
            # Right after new-session the current pane is ours; remember it so panes the user
            # splits off later are not mistaken for the task's command.
            ["set-option", "-F", options.PANE, "#{pane_id}"],
            ["pipe-pane", self.pipe()],
        ]

    def respawn(self, target: str) -> list[Argv]:
        """Run the command again in the session's dead pane."""
        return [
            ["respawn-pane", "-t", target, *self.spawn_args()],
            ["pipe-pane", "-t", target, self.pipe()],
            *self._metadata(target),
        ]

    def pipe(self) -> str:
        """The log writer's command."""
        return pipe_command(self.log, self.log_max_bytes, self.tmux_binary)

    def _metadata(self, target: str | None) -> list[Argv]:
        where = ["-t", target] if target else []
        meta = {
            "started_at": iso(self.started_at),
            "cwd": self.directory,
            "command": self.argv,
            "log_offset": self.log_offset,
        }
        values = {options.META: json.dumps(meta), options.AGENT_STATE: "", options.LOG: ""}
        if self.queued is not None or target is not None:
            values[options.QUEUED] = self.queued or ""
        if target is not None:
            # A respawn: the built-in workflow sets these from inside the pane; clear them so a
            # respawn with another command keeps no stale agent record.
            values.update(dict.fromkeys((*options.AGENT_RECORD, options.PROMPTED), ""))
        return [["set-option", *where, key, value] for key, value in values.items()]


#: Longest ``cwd`` a caller may ask for (Linux's PATH_MAX).
MAX_PATH_LENGTH = 4096


def resolve_cwd(root_dir: str, cwd: str | None) -> str:
    """An existing directory inside ``root_dir`` (``cwd`` taken from there; None or "": the root),
    or :class:`InvalidSetting` saying why not (outside the root, too long, a NUL, not a folder)."""
    root = Path(root_dir).expanduser().resolve()
    directory = root
    if cwd:
        if not isinstance(cwd, str):
            raise InvalidSetting("cwd must be a string")
        shown = repr(cwd[:80] + ("…" if len(cwd) > 80 else ""))
        if len(cwd) > MAX_PATH_LENGTH:
            raise InvalidSetting(f"cwd {shown} is longer than {MAX_PATH_LENGTH} characters")
        if "\x00" in cwd:
            raise InvalidSetting(f"cwd {shown} contains a NUL character")
        try:
            cwd.encode("utf-8")
            directory = (root / cwd).resolve()
        except (UnicodeEncodeError, OSError, ValueError, RuntimeError) as error:
            raise InvalidSetting(f"cwd {shown} is not a usable path: {error}") from None
        if not directory.is_relative_to(root):
            raise InvalidSetting(f"cwd {shown} is outside the root directory {str(root)!r}")
    try:
        is_directory = directory.is_dir()
    except OSError:
        is_directory = False
    if not is_directory:
        raise InvalidSetting(f"cwd {str(directory)!r} is not a directory")
    return str(directory)


def command_for(task_id: str, override: Argv | None, setting: Sequence[str]) -> Argv:
    """The argv for a task: ``override``, else ``setting``, else ``tw-start {id}`` when that script
    is on PATH, else the built-in workflow (``python -m jupyter_claude run-task {id}``); {id} filled in."""
    validate_task_id(task_id)
    template = list(override) if override is not None else list(setting) or default_command()
    if not template or not all(isinstance(part, str) for part in template):
        raise InvalidSetting("a command must be a non-empty list of strings")
    if "=" in template[0]:
        raise InvalidSetting(f"the program name {template[0]!r} may not contain '='")
    return [part.replace("{id}", task_id) for part in template]


def default_command() -> Argv:
    """``tw-start {id}`` when the user's script is on PATH, else the built-in task workflow."""
    if shutil.which("tw-start"):
        return ["tw-start", "{id}"]
    return [sys.executable, "-m", "jupyter_claude", "run-task", "{id}"]


def restart_log_writers(
    tmux: TmuxServer, sessions: list[Session], log_dir: Path, max_bytes: int, log: Any
) -> list[Session]:
    """Attach a new log writer to every live session whose writer died (one tmux call), the gap
    marked in its log; the sessions as they are then ("gap" instead of "stalled")."""
    stalled = [session for session in sessions if session.log_health == "stalled"]
    try:
        prepare_log_dir(log_dir)
        binary = tmux.binary()
        commands = [
            command
            for session in stalled
            for command in restart_pipe_commands(
                exact_pane(session.name), log_dir / f"{session.id}.log", max_bytes, binary
            )
        ]
        tmux.run(*commands)
    except ClaudeSessionsError as error:
        log.warning("jupyter-claude: cannot restart a dead log writer: %s", error)
        return sessions
    log.warning(
        "jupyter-claude: the log writer of %s had stopped: restarted, the gap is marked in the log",
        ", ".join(session.name for session in stalled),
    )
    return [replace(s, log_health="gap") if s.log_health == "stalled" else s for s in sessions]
