"""The session manager: one tmux session per task, with tmux as the only record of what runs.

``ClaudeSessions`` starts, re-uses, respawns, lists and stops tmux sessions named
``session_prefix + id``. Everything a front end needs to show about a session (task id, cwd,
command, start time, agent state) is stored in tmux session user options, so the Jupyter server,
a kernel, the CLI and a restarted server all read the same truth. Listing any number of sessions
costs one tmux invocation.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Float, Int, List, Unicode, default, validate
from traitlets.config import Config, LoggingConfigurable
from traitlets.log import get_logger

from . import logpipe, vocabulary
from .logpipe import OPTION_LOG
from .config import default_log_dir, load_jupyter_config
from .errors import ClaudeSessionsError, InvalidSetting, LogUnavailable, SessionNotFound, TmuxError
from .hooks import (
    OPTION_AGENT,
    OPTION_AGENT_STATE,
    OPTION_AHEAD,
    OPTION_BRANCH,
    OPTION_BUSY_PATTERN,
    OPTION_WAITING_PATTERN,
    OPTION_WORKTREE,
    QUIET_SECONDS,
    derive_state,
    screen_fields,
)
from .ids import is_valid_task_id, validate_task_id
from .logs import TaskLog
from .tasks import Task, TaskFiles, TaskIndex
from .terminal import TerminalResult, open_terminal
from .tmux import (
    TmuxServer,
    escape_format,
    exact_pane,
    exact_session,
    is_missing_session,
    is_no_server,
)
from .workflow import encode_pane_settings

#: tmux session user options that carry our metadata: the pane that runs the task's command,
#: and one JSON record {"started_at", "cwd", "command"} (one option: each lookup costs tmux time
#: per row of the listing). The task id is the session name less the prefix.
OPTION_PANE = "@jc_pane"
OPTION_META = "@jc_meta"
# The agent's options (@jc_agent_state, @jc_agent, @jc_branch, ...) are defined in hooks.py.

# One row per pane and per client, from one tmux invocation. Free text is stored JSON-encoded
# (ASCII, no tabs or newlines), so a tab always separates fields. The agent's fields are asked
# for only in sessions that run an agent of the built-in workflow.
_CORE_FIELDS = (
    "session_name",
    "pane_id",
    "pane_pid",
    "pane_width",
    "pane_height",
    "pane_dead",
    "pane_dead_status",
    "pane_dead_signal",
    "pane_pipe",
    OPTION_LOG,
    OPTION_PANE,
    OPTION_META,
)
_AGENT_FIELDS = (
    OPTION_AGENT,
    OPTION_AGENT_STATE,
    OPTION_BRANCH,
    OPTION_WORKTREE,
    OPTION_AHEAD,
    *screen_fields(),  # the agent's screen, searched by tmux for the state fallback
)
_PANE_FIELDS = (*_CORE_FIELDS, *_AGENT_FIELDS)


def _format(name: str) -> str:
    return screen_fields().get(name, f"#{{{name}}}")


# The exit status and signal are looked up only for dead panes (each lookup is tmux time per row).
_DEAD_FIELDS = "\t".join(_format(name) for name in ("pane_dead", "pane_dead_status", "pane_dead_signal"))
_PANE_FORMAT = (
    "P\t"
    + "\t".join(_format(name) for name in _CORE_FIELDS).replace(
        _DEAD_FIELDS, "#{?pane_dead,1\t#{pane_dead_status}\t#{pane_dead_signal},0\t\t}"
    )
    + f"#{{?#{{{OPTION_AGENT}}},\t"
    + "\t".join(_format(name) for name in _AGENT_FIELDS)
    + ",}"
)
_FIELD = {name: index for index, name in enumerate(_PANE_FIELDS, start=1)}  # 0 is the row kind
# Every row has the core fields at these positions (see parse_listing).
_AT_NAME, _AT_PANE_ID, _AT_PID, _AT_WIDTH, _AT_HEIGHT, _AT_DEAD, _AT_DEAD_STATUS, _AT_DEAD_SIGNAL = (
    _FIELD[name] for name in _CORE_FIELDS[:8]
)
_AT_PIPE, _AT_LOG = _FIELD["pane_pipe"], _FIELD[OPTION_LOG]
_AT_OURS, _AT_META = _FIELD[OPTION_PANE], _FIELD[OPTION_META]
_AT_AGENT, _AT_AGENT_STATE = _FIELD[OPTION_AGENT], _FIELD[OPTION_AGENT_STATE]
_CLIENT_FIELDS = ("session_name", "client_control_mode")
_CLIENT_FORMAT = "C\t" + "\t".join(f"#{{{name}}}" for name in _CLIENT_FIELDS)

#: Longest ``cwd`` a caller may ask for (Linux's PATH_MAX).
MAX_PATH_LENGTH = 4096

#: A command as an argument vector (no shell).
Argv = list[str]

#: The states a session's listing row may report (the agent's own, from its hooks, included).
SESSION_STATES = tuple(vocabulary.BY_NAME)


@dataclass(frozen=True)
class Session:
    """What tmux knows about one task's session (``state`` "stopped" when there is none)."""

    id: str
    name: str
    running: bool = False
    state: str = "stopped"
    exit_status: int | None = None
    attached_clients: int = 0
    started_at: str | None = None
    command: list[str] | None = None
    cwd: str | None = None
    pid: int | None = None
    #: Built-in workflow: the agent profile, the task's branch and worktree, and how many commits
    #: the branch has that its base has not (measured at start and after each agent turn).
    agent: str | None = None
    branch: str | None = None
    worktree: str | None = None
    ahead: int | None = None
    #: The pane's size: a live view draws with these columns and rows (None when stopped).
    cols: int | None = None
    rows: int | None = None
    #: The task log's health: "ok", "stalled" (its writer died and could not be restarted yet),
    #: "gap" (its writer died and was restarted: the gap is marked in the log), "lost N bytes"
    #: (the log could not be written: a full disk); None when no log is kept (a session made by hand).
    log_health: str | None = None
    #: True when the call that returned this session created or respawned it; not part of the JSON.
    created: bool = field(default=False, compare=False, repr=False)
    #: Where this run's output starts in the task log (its size when the command started), so a
    #: live view replays this run's screen, not earlier runs'; not part of the JSON.
    log_offset: int | None = field(default=None, compare=False, repr=False)

    @property
    def badge(self) -> str:
        """The state as people see it everywhere: "🟢 running", "🔴 exited (3)", "⚫ stopped"."""
        return vocabulary.badge(self.state, self.exit_status)

    def to_json(self) -> dict[str, Any]:
        """The session as the REST API, the CLI's ``--json`` and the widget show it."""
        return {
            "id": self.id,
            "name": self.name,
            "running": self.running,
            "state": self.state,
            "exit_status": self.exit_status,
            "attached_clients": self.attached_clients,
            "started_at": self.started_at,
            "command": self.command,
            "cwd": self.cwd,
            "pid": self.pid,
            "agent": self.agent,
            "branch": self.branch,
            "worktree": self.worktree,
            "ahead": self.ahead,
            "cols": self.cols,
            "rows": self.rows,
            "log": self.log_health,
        }


class ClaudeSessions(LoggingConfigurable):
    """Start, re-use, list and stop one tmux session per task."""

    tmux_socket = Unicode(
        "",
        help="""tmux server to use: "" for the user's default server (so `tmux attach -t
        claude-42` typed by hand works), a socket name (tmux -L) or a socket path containing "/"
        (tmux -S). The environment variable JUPYTER_CLAUDE_TMUX_SOCKET overrides it.""",
    ).tag(config=True)

    session_prefix = Unicode(
        "claude-", help="Prefix of every tmux session name; the task id follows it."
    ).tag(config=True)

    command = List(
        Unicode(),
        default_value=[],
        help="""Command started in each task's session, as an argv list; "{id}" in any element
        is replaced by the task id. Empty (the default): `tw-start {id}` when tw-start is on PATH,
        else the built-in task workflow.""",
    ).tag(config=True)

    allow_command_override = Bool(
        False,
        help="""Allow callers of the REST API to pass their own command for a session. Off by
        default: anyone who can reach the API could otherwise run any program.""",
    ).tag(config=True)

    root_dir = Unicode(
        help="""Root of the repository: task folders are relative to it, sessions start in it,
        and a requested cwd must lie inside it. Default: the Jupyter server's root_dir, else the
        current directory."""
    ).tag(config=True)

    tasks_dirs = List(
        Unicode(),
        default_value=["tasks"],
        help="Folders (relative to root_dir) searched for task markdown files.",
    ).tag(config=True)

    log_dir = Unicode(
        help="""Folder of the per-task logs ({id}.log). Default:
        $XDG_CACHE_HOME/jupyter-claude/logs, else ~/.cache/jupyter-claude/logs."""
    ).tag(config=True)

    log_max_bytes = Int(
        10 * 1024 * 1024,
        help="A task log is rotated to {id}.log.1 (one old file kept) when it would pass this size.",
    ).tag(config=True)

    terminal = Unicode(
        "",
        help="""GUI terminal that attach() opens: "" to detect one (Windows Terminal under WSL; on
        macOS the terminal Jupyter runs in, then WezTerm, iTerm2, Terminal; elsewhere $TERMINAL,
        xdg-terminal-exec, WezTerm, kitty, Alacritty, GNOME Terminal, ... xterm), a known name
        ("xterm", "gnome-terminal", "iterm2", "terminal", "wezterm", "kitty", "windows-terminal",
        ...), or an argv template with the word {attach}, e.g. "foot --title claude {attach}".
        The environment variable JUPYTER_CLAUDE_TERMINAL overrides it.""",
    ).tag(config=True)

    headless = Bool(
        False, help="Never open a terminal window: attach() only returns the command to attach by hand."
    ).tag(config=True)

    agent = Unicode(
        "claude",
        help="""Agent profile the built-in workflow (`jupyter-claude run-task`) starts: "claude",
        "codex", "aider", "gemini", "shell" (an interactive shell with the prompt printed), or a
        name added in `agents`.""",
    ).tag(config=True)

    agents = Dict(
        help="""Agent profiles to add, or fields to override in the built-in ones, by name:
        {"name": {"argv": [...], "resume_argv": [...], "env": {...}, "busy": "regex",
        "waiting": "regex", "print_prompt": false}}. argv placeholders: {prompt}, {prompt_file},
        {session_id}, {settings_file}, {id}, {title}, {worktree}, {shell}. See docs/workflow.md.""",
    ).tag(config=True)

    worktrees_root = Unicode(
        "",
        help="""Folder of the task worktrees (one per task, on branch task/ID); relative paths
        are taken from the repository's top level. Default: beside the repository,
        <repo>/../<repo-name>.worktrees.""",
    ).tag(config=True)

    worktree_base = Unicode(
        "HEAD", help="Commit a new task branch starts from (evaluated in the main checkout)."
    ).tag(config=True)

    prompt_template = Unicode(
        "",
        help="""First prompt of a task's agent. Placeholders: {id}, {title}, {body}, {metadata},
        {path}, {status}, {priority}, {worktree}, {branch}, {workspace}. Empty: the built-in
        template (jupyter_claude.workflow.DEFAULT_PROMPT_TEMPLATE).""",
    ).tag(config=True)

    agent_quiet_seconds = Float(
        QUIET_SECONDS,
        help="""Seconds without output after which the screen fallback reads an agent pane as
        idle (or waiting, when it shows a question). Time is whole seconds in tmux, so the
        effective delay is between this minus one and this.""",
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        if "config" not in kwargs and "parent" not in kwargs:
            kwargs["config"] = load_jupyter_config()
        self._task_files: TaskFiles | None = None
        super().__init__(**kwargs)

    @default("root_dir")
    def _default_root_dir(self) -> str:
        return os.getcwd()

    @default("log_dir")
    def _default_log_dir(self) -> str:
        return default_log_dir()

    @validate("session_prefix")
    def _check_prefix(self, proposal: Any) -> str:
        prefix = proposal["value"]
        if prefix and not is_valid_task_id(prefix.rstrip("-_") or "x"):
            raise InvalidSetting(f"session_prefix {prefix!r} may hold only letters, digits, '_' and '-'")
        return str(prefix)

    # -- naming -----------------------------------------------------------------------------

    @property
    def tmux(self) -> TmuxServer:
        """The tmux server this manager talks to."""
        return TmuxServer(os.environ.get("JUPYTER_CLAUDE_TMUX_SOCKET", self.tmux_socket))

    def session_name(self, task_id: str) -> str:
        """The tmux session name of a task: the only place such a name is built."""
        return self.session_prefix + validate_task_id(task_id)

    def log_path(self, task_id: str) -> Path:
        """The task's log file (it may not exist yet)."""
        return Path(self.log_dir).expanduser() / f"{validate_task_id(task_id)}.log"

    # -- sessions ---------------------------------------------------------------------------

    def start(self, task_id: str, cwd: str | None = None, command: list[str] | None = None) -> Session:
        """Create the task's session, or return the live one; a session whose command exited is
        respawned in place. ``Session.created`` tells which happened."""
        name = self.session_name(task_id)
        argv = self.command_for(task_id, command)
        directory = self.resolve_cwd(cwd)
        log = self._prepare_log(task_id)
        started_at, log_offset = time.time(), _size_of(log)
        try:
            out = self.tmux.run(
                [
                    "new-session",
                    "-d",
                    "-s",
                    name,
                    "-P",
                    "-F",
                    "#{pane_pid} #{pane_width} #{pane_height}",
                    *self._spawn_args(task_id, directory, argv),
                ],
                ["set-option", "-p", "remain-on-exit", "on"],
                ["set-option", "set-titles", "on"],
                ["set-option", "set-titles-string", "#{session_name}"],
                *self._metadata_commands(None, started_at, log_offset, directory, argv),
                ["pipe-pane", self._pipe_command(log)],
            )
        except TmuxError as error:
            if "duplicate session" not in str(error):
                raise
            return self._reuse(task_id, directory, argv, log)
        pid, cols, rows = [*out.split(), "", "", ""][:3]
        self.log.info("started tmux session %s: %s", name, argv)
        return Session(
            id=task_id,
            name=name,
            running=True,
            state="running",
            started_at=_iso(started_at),
            command=argv,
            cwd=directory,
            pid=_int(pid),
            cols=_int(cols),
            rows=_int(rows),
            created=True,
            log_offset=log_offset,
            log_health="ok",
        )

    def _reuse(self, task_id: str, directory: str, argv: list[str], log: Path) -> Session:
        """A session of that name exists: return it, or respawn its pane if the command exited."""
        current = self.status(task_id)
        if current.state != "exited":
            return current
        target = exact_pane(current.name)
        started_at, log_offset = time.time(), _size_of(log)
        try:
            self.tmux.run(
                ["respawn-pane", "-t", target, *self._spawn_args(task_id, directory, argv)],
                ["pipe-pane", "-t", target, self._pipe_command(log)],
                *self._metadata_commands(target, started_at, log_offset, directory, argv),
            )
        except TmuxError as error:
            # Someone else respawned it (or stopped it) between our two calls: report what is.
            if "still active" not in str(error) and not is_missing_session(error):
                raise
            return self.status(task_id)
        self.log.info("respawned tmux session %s: %s", current.name, argv)
        respawned = self.status(task_id)
        return Session(**{**respawned.__dict__, "created": True})

    def stop(self, task_id: str) -> bool:
        """Kill the task's session; False when nothing was running. The log is kept."""
        name = self.session_name(task_id)
        try:
            self.tmux.run(["kill-session", "-t", exact_session(name)])
        except TmuxError as error:
            if is_missing_session(error):
                return False
            raise
        self.log.info("stopped tmux session %s", name)
        return True

    def attach(
        self,
        task_id: str,
        new_window: bool = False,
        headless: bool | None = None,
        session: Session | None = None,
    ) -> TerminalResult:
        """Open the user's own terminal on the task's session, or bring the attached one to the front.

        ``session``: the task's session when the caller has just had it from :meth:`start`,
        which saves looking it up again.
        """
        name = self.session_name(task_id)
        if session is None or session.name != name:
            session = self.status(task_id)
        if session.state == "stopped":
            raise SessionNotFound(f"there is no session {name}: start task {task_id} first")
        result = open_terminal(
            self.tmux,
            name,
            attached=session.attached_clients,
            new_window=new_window,
            headless=self.headless if headless is None else headless,
            setting=os.environ.get("JUPYTER_CLAUDE_TERMINAL") or self.terminal,
        )
        self.log.info("attach %s: %s", name, result.to_json())
        return result

    def start_and_attach(
        self,
        task_id: str,
        cwd: str | None = None,
        command: list[str] | None = None,
        *,
        attach: bool = True,
        new_window: bool = False,
        headless: bool | None = None,
    ) -> tuple[Session, TerminalResult | None]:
        """What "Run" does everywhere (REST, CLI, magic): start or re-use the session, then open or
        focus the user's terminal on it unless ``attach`` is False (no terminal result then)."""
        session = self.start(task_id, cwd=cwd, command=command)
        if not attach:
            return session, None
        return session, self.attach(task_id, new_window, headless, session=session)

    def status(self, task_id: str) -> Session:
        """The task's session, or a stopped Session when there is none."""
        name = self.session_name(task_id)
        for session in self.list():
            if session.name == name:
                return session
        return Session(id=task_id, name=name)

    def list(self) -> list[Session]:
        """Every session of ours on the tmux server, from one tmux invocation.

        A live session whose log writer died (``#{pane_pipe}`` 0) gets a new one, with the gap
        marked in the log: a second tmux call, made only then.
        """
        listing = [["list-panes", "-a", "-F", _PANE_FORMAT], ["list-clients", "-F", _CLIENT_FORMAT]]
        try:
            sessions, unreaped = parse_listing(
                self.tmux.run(*listing), self.session_prefix, self.agent_quiet_seconds
            )
            if unreaped:
                # tmux 3.3a now and then misses the SIGCHLD of a command that exits at once and
                # leaves it a zombie (seen 5 in 80 here); any other child's exit makes it reap
                # them all, so run one and list again. Only in that case: a second call.
                out = self.tmux.run(["run-shell", "true"], *listing)
                sessions, _ = parse_listing(out, self.session_prefix, self.agent_quiet_seconds)
        except TmuxError as error:
            if is_no_server(error):
                return []
            raise
        if any(session.log_health == "stalled" for session in sessions):
            sessions = self._restart_log_writers(sessions)
        return sessions

    def _restart_log_writers(self, sessions: builtins.list[Session]) -> builtins.list[Session]:
        """Attach a new log writer to every live session whose writer died (one tmux call)."""
        stalled = [session for session in sessions if session.log_health == "stalled"]
        commands: builtins.list[Argv] = []
        for session in stalled:
            target = exact_pane(session.name)
            log = self.log_path(session.id)
            commands.append(["set-option", "-t", target, OPTION_LOG, "gap"])
            commands.append(["pipe-pane", "-t", target, self._pipe_command(log, gap=True)])
        try:
            self._prepare_log_dir()
            self.tmux.run(*commands)
        except (ClaudeSessionsError, OSError) as error:
            self.log.warning("jupyter-claude: cannot restart the log writer of %d session(s): %s", len(stalled), error)
            return sessions
        self.log.warning(
            "jupyter-claude: the log writer of %s had stopped: restarted, the gap is marked in the log",
            ", ".join(session.name for session in stalled),
        )
        return [
            dataclasses.replace(session, log_health="gap") if session.log_health == "stalled" else session
            for session in sessions
        ]

    # -- logs -------------------------------------------------------------------------------

    @property  # type: ignore[override]
    def log(self) -> TaskLog:
        """The manager's logger; calling it reads a task's log: ``sessions.log("42", tail=50)``."""
        parent_log = getattr(self.parent, "log", None) if self.parent is not None else None
        if isinstance(parent_log, TaskLog):
            parent_log = parent_log.logger
        return TaskLog(parent_log or get_logger(), self)

    # -- tasks ------------------------------------------------------------------------------

    def tasks(self) -> TaskIndex:
        """The task files under ``tasks_dirs``, with the files that were skipped and why.

        Parsed files are kept by the manager: a second call re-reads only files that changed.
        """
        key = (str(Path(self.root_dir).expanduser()), tuple(self.tasks_dirs))
        files = self._task_files
        if files is None or (str(files.root), tuple(files.folders)) != key:
            files = self._task_files = TaskFiles(key[0], key[1])
        return files.index()

    def overview(self) -> dict[str, Any]:
        """Tasks merged with their sessions, as the REST API's ``GET claude/tasks`` answers it.

        A session with no task file is listed too (``path`` None). One tmux call. Without tmux
        (or when it fails) the tasks are still listed, their sessions unknown (``session`` None)
        and ``sessions_error`` says why.
        """
        index = self.tasks()
        sessions_error: dict[str, str] | None = None
        try:
            sessions = self.list()
        except ClaudeSessionsError as error:
            sessions, sessions_error = [], {"error": error.code, "reason": str(error)}
        rows: list[dict[str, Any]] = []
        for task, session in pair_tasks_with_sessions(index.tasks, sessions, self.session_prefix):
            if task is not None:
                shown = session.to_json() if session and sessions_error is None else None
                rows.append({**task.to_json(), "session": shown})
                continue
            assert session is not None
            rows.append(
                {
                    "id": session.id,
                    "title": session.id,
                    "status": None,
                    "priority": None,
                    "path": None,
                    "metadata": {},
                    "valid": True,
                    "invalid_reason": None,
                    "version": None,
                    "session": session.to_json(),
                }
            )
        overview: dict[str, Any] = {
            "tasks": rows,
            "problems": [problem.to_json() for problem in index.problems],
        }
        if sessions_error is not None:
            overview["sessions_error"] = sessions_error
        return overview

    # -- building blocks --------------------------------------------------------------------

    def default_command(self) -> Argv:
        """``tw-start {id}`` when the user's script is on PATH, else the built-in task workflow."""
        if shutil.which("tw-start"):
            return ["tw-start", "{id}"]
        return [sys.executable, "-m", "jupyter_claude", "run-task", "{id}"]

    def pane_settings(self) -> str:
        """The settings the built-in workflow needs, as JSON for ``JUPYTER_CLAUDE_SETTINGS``: the
        pane gets the tmux server's environment and config files, not this manager's."""
        names = (
            "root_dir",
            "tasks_dirs",
            "session_prefix",
            "agent",
            "agents",
            "worktrees_root",
            "worktree_base",
            "prompt_template",
        )
        values = {name: getattr(self, name) for name in names}
        values["root_dir"] = str(Path(self.root_dir).expanduser().resolve())
        return encode_pane_settings(values)

    def command_for(self, task_id: str, override: Argv | None = None) -> Argv:
        """The argv for a task: the override, the setting, or the default, with {id} filled in."""
        validate_task_id(task_id)
        template = list(override) if override is not None else list(self.command) or self.default_command()
        if not template or not all(isinstance(part, str) for part in template):
            raise InvalidSetting("a command must be a non-empty list of strings")
        if "=" in template[0]:
            raise InvalidSetting(f"the program name {template[0]!r} may not contain '='")
        return [part.replace("{id}", task_id) for part in template]

    def resolve_cwd(self, cwd: str | None) -> str:
        """An existing directory inside ``root_dir`` to start in; relative paths are taken from
        ``root_dir``. Every front end goes through here, so none can start outside the root."""
        root = Path(self.root_dir).expanduser().resolve()
        if cwd is None or cwd == "":
            directory = root
        else:
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

    def _spawn_args(self, task_id: str, directory: str, argv: Argv) -> Argv:
        """What new-session and respawn-pane both take: directory, environment, command."""
        return [
            "-c", escape_format(directory),
            "-e", f"JUPYTER_CLAUDE_TASK_ID={task_id}",
            "-e", f"JUPYTER_CLAUDE_SETTINGS={self.pane_settings()}",
            "--", *self._launch_argv(argv),
        ]  # fmt: skip

    def _launch_argv(self, argv: Argv) -> Argv:
        # The pane gets the tmux server's global environment, not ours: drop CLAUDECODE there too.
        # env also turns a missing program into exit 127 with a message in the log.
        return ["env", "-u", "CLAUDECODE", *argv]

    def _prepare_log(self, task_id: str) -> Path:
        """The task's log path, its folder made (a clear error before any session is created)."""
        self._prepare_log_dir()
        return self.log_path(task_id)

    def _prepare_log_dir(self) -> None:
        folder = Path(self.log_dir).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK | os.X_OK):
                raise PermissionError(13, "not writable")
        except OSError as error:
            raise LogUnavailable(
                f"cannot keep task logs in {str(folder)!r}: {error.strerror or error} "
                "(set c.ClaudeSessions.log_dir to a folder you can write)"
            ) from None
        try:
            space = os.statvfs(folder)
        except OSError:
            return
        if space.f_bavail * space.f_frsize < 1024 * 1024:
            self.log.warning("jupyter-claude: the log folder %s is (nearly) full: output will be lost", folder)

    def _pipe_command(self, log: Path, gap: bool = False) -> str:
        """What pipe-pane runs (through ``sh -c``, after format expansion): the log writer, told
        where to report lost bytes (this tmux server and pane, filled in by tmux itself)."""
        import shlex

        words = [sys.executable, "-I", "-S", logpipe.__file__, str(log), str(self.log_max_bytes)]
        words.append(self.tmux.binary())
        command = "exec " + " ".join(shlex.quote(word) for word in words)
        # Quote for the shell, then escape '#' for the format; tmux quotes what it fills in.
        return escape_format(command) + " #{q:socket_path} #{q:pane_id}" + (" --gap" if gap else "")

    def _metadata_commands(
        self, target: str | None, started_at: float, log_offset: int, cwd: str, argv: Argv
    ) -> builtins.list[Argv]:
        where = ["-t", target] if target else []
        meta = {"started_at": _iso(started_at), "cwd": cwd, "command": argv, "log_offset": log_offset}
        values = {OPTION_META: json.dumps(meta), OPTION_AGENT_STATE: "", OPTION_LOG: ""}
        if target is not None:
            # A respawn: the built-in workflow sets these from inside the pane; clear them so a
            # respawn with another command keeps no stale agent record.
            agent_options = (OPTION_AGENT, OPTION_BRANCH, OPTION_WORKTREE, OPTION_AHEAD)
            values.update(dict.fromkeys((*agent_options, OPTION_BUSY_PATTERN, OPTION_WAITING_PATTERN), ""))
        commands = [["set-option", *where, key, value] for key, value in values.items()]
        if target is None:
            # Right after new-session the current pane is ours; remember it so panes the user
            # splits off later are not mistaken for the task's command.
            commands.append(["set-option", "-F", OPTION_PANE, "#{pane_id}"])
        return commands


def pair_tasks_with_sessions(
    tasks: Iterable[Task], sessions: Iterable[Session], prefix: str
) -> list[tuple[Task | None, Session | None]]:
    """Each task with its session (a stopped one when none runs; None for an invalid id), then
    each session that has no task file (with task None): what every task table shows."""
    by_id = {session.id: session for session in sessions}
    pairs: list[tuple[Task | None, Session | None]] = []
    for task in tasks:
        if not task.valid:
            pairs.append((task, None))
            continue
        pairs.append((task, by_id.pop(task.id, None) or Session(id=task.id, name=prefix + task.id)))
    pairs.extend((None, session) for session in by_id.values())
    return pairs


def parse_listing(out: str, prefix: str, quiet_seconds: float = QUIET_SECONDS) -> tuple[list[Session], bool]:
    """Sessions from the output of ``list-panes -a`` + ``list-clients`` (see :data:`_PANE_FORMAT`),
    and whether a task's pane is dead but not yet reaped by tmux.

    tmux lists panes in session, window and pane order, so a session's first row is its first
    pane: the task's pane for a session made by hand, unless ``@jc_pane`` names another.
    """
    panes: dict[str, tuple[str, list[str]]] = {}
    clients: dict[str, int] = {}
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == "C":
            if len(fields) > 2 and fields[2] != "1":  # control-mode viewers are not terminals
                clients[fields[1]] = clients.get(fields[1], 0) + 1
            continue
        if fields[0] != "P" or len(fields) <= len(_CORE_FIELDS):
            continue
        name = fields[_AT_NAME]
        if not name.startswith(prefix) or not is_valid_task_id(name[len(prefix) :]):
            continue
        if name not in panes or fields[_AT_PANE_ID] == fields[_AT_OURS]:
            panes[name] = (line, fields)
    now = time.time()
    sessions = []
    for name in sorted(panes):
        line, fields = panes[name]
        attached = clients.get(name, 0)
        keep = len(fields) <= _AT_AGENT  # an agent's state depends on the time: never kept
        key = (prefix, line, attached)
        session = _PARSED.get(key) if keep else None
        if session is None:
            session = _session_from_row(name[len(prefix) :], name, fields, attached, now, quiet_seconds)
            if keep:
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[key] = session
        sessions.append(session)
    unreaped = any(
        f[_AT_DEAD] == "1" and not f[_AT_DEAD_STATUS] and not f[_AT_DEAD_SIGNAL] for _, f in panes.values()
    )
    return sessions, unreaped


#: Sessions parsed from listing rows, by row: a session that has not changed since the last listing
#: (the events watcher lists every 0.25 s) is not parsed again. Sessions are frozen; do not mutate
#: their ``command`` list either, it may be shared.
_PARSED: dict[tuple[str, str, int], Session] = {}
_PARSED_MAX = 4096


def _session_from_row(
    task_id: str, name: str, fields: list[str], attached: int, now: float, quiet_seconds: float
) -> Session:
    # The core fields are in every row (parse_listing checks); the agent's only in agent rows.
    exit_status = _exit_status(fields[_AT_DEAD_STATUS], fields[_AT_DEAD_SIGNAL])
    # tmux marks a pane dead when its output closes, a moment before it reaps the process:
    # until the exit status is known the command counts as running.
    dead = fields[_AT_DEAD] == "1" and exit_status is not None
    agent_fields = len(fields) > _AT_AGENT
    agent = fields[_AT_AGENT] or None if agent_fields else None
    agent_state = fields[_AT_AGENT_STATE] if agent_fields else ""
    if not dead and agent:
        # Started by the built-in workflow: hooks' report corrected by the screen (hooks.py).
        activity = _int(_optional(fields, "window_activity"))
        agent_state = derive_state(
            agent_state,
            _int(_optional(fields, "screen_busy")),
            _int(_optional(fields, "screen_waiting")),
            None if activity is None else now - activity,
            quiet_seconds,
        )
    state = "exited" if dead else (agent_state if agent_state in SESSION_STATES else "running")
    meta = _metadata(name, fields[_AT_META])
    return Session(
        id=task_id,
        name=name,
        running=not dead,
        state=state,
        exit_status=exit_status if dead else None,
        attached_clients=attached,
        started_at=meta.get("started_at"),
        command=meta.get("command"),
        cwd=meta.get("cwd"),
        pid=None if dead else _int(fields[_AT_PID]),
        log_offset=meta.get("log_offset"),
        agent=agent,
        branch=_optional(fields, OPTION_BRANCH) or None if agent_fields else None,
        worktree=_text_or_none(_json_or_none(_optional(fields, OPTION_WORKTREE))) if agent_fields else None,
        ahead=_int(_optional(fields, OPTION_AHEAD)) if agent_fields else None,
        cols=_int(fields[_AT_WIDTH]),
        rows=_int(fields[_AT_HEIGHT]),
        log_health=_log_health(fields, ours=bool(fields[_AT_META])),
    )


def _log_health(fields: list[str], ours: bool) -> str | None:
    """The log's health from the pane's pipe flag and the writer's report (see :mod:`.logpipe`)."""
    if not ours:
        return None
    report = fields[_AT_LOG]
    if report.startswith("lost "):
        count = _int(report[5:])
        return f"lost {count} bytes" if count is not None else "lost bytes"
    if fields[_AT_DEAD] != "1" and fields[_AT_PIPE] != "1":
        return "stalled"
    return "gap" if report == "gap" else "ok"


#: The metadata fields we write into ``@jc_meta``, and the type each must have when read back.
_META_TYPES: dict[str, Callable[[Any], bool]] = {
    "started_at": lambda value: isinstance(value, str) and len(value) < 64,
    "cwd": lambda value: isinstance(value, str),
    "command": lambda value: isinstance(value, list) and all(isinstance(part, str) for part in value),
    "log_offset": lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
}
_WARNED: set[tuple[str, str]] = set()


def _metadata(name: str, text: str) -> dict[str, Any]:
    """The session's ``@jc_meta`` record; anything that is not what we wrote counts as absent
    (logged once per session and value), so one odd session never breaks a listing."""
    if not text:
        return {}
    raw = _json_or_none(text)
    if not isinstance(raw, dict):
        _warn_once(name, text, "is not a JSON object")
        return {}
    kept = {key: value for key, value in raw.items() if key in _META_TYPES and _META_TYPES[key](value)}
    odd = sorted(key for key in raw if key in _META_TYPES and key not in kept)
    if odd:
        _warn_once(name, text, f"has fields of the wrong type ({', '.join(odd)}), ignored")
    return kept


def _warn_once(name: str, text: str, problem: str) -> None:
    if (name, text) in _WARNED:
        return
    if len(_WARNED) > 1024:
        _WARNED.clear()
    _WARNED.add((name, text))
    get_logger().warning("jupyter-claude: tmux session %s: option %s %s", name, OPTION_META, problem)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _optional(fields: list[str], key: str) -> str:
    """A field that only some rows have (the agent's), "" where absent."""
    index = _FIELD[key]
    return fields[index] if index < len(fields) else ""


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _exit_status(status: str, signal: str) -> int | None:
    """The exit code, or 128 + signal number for a command killed by a signal (as shells do)."""
    code = _int(status)
    if code is not None:
        return code
    number = _int(signal)
    return None if number is None else 128 + number


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(text: str) -> int | None:
    # Most fields are empty or digits: no exception on the common path of the listing.
    if text.isdigit():
        return int(text)
    if text[:1] == "-" and text[1:].isdigit():
        return int(text)
    return None


def _json_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def sessions_from_config(config: Config | None = None, **overrides: Any) -> ClaudeSessions:
    """A manager built from ``config`` (or the Jupyter config files) and keyword overrides."""
    return ClaudeSessions(config=config if config is not None else load_jupyter_config(), **overrides)
