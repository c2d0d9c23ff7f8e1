"""The session manager: one tmux session per task, with tmux as the only record of what runs.

``ClaudeSessions`` starts, re-uses, respawns, lists and stops tmux sessions named
``session_prefix + id``. Everything a front end needs to show about a session (task id, cwd,
command, start time, agent state, log health) is stored in tmux session user options
(:mod:`.options`), so the Jupyter server, a kernel, the CLI and a restarted server all read the same
truth. Listing any number of sessions costs one tmux invocation (:mod:`.listing`); starting one
costs one (:mod:`.spawn`).
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from traitlets.config import Config

from . import board, logs, overview, taskwrite
from .config import encode_pane_settings, load_jupyter_config
from .errors import ClaudeSessionsError, InvalidSetting, SessionNotFound, TaskNotFound, TmuxError
from .ids import validate_task_id
from .listing import COMMANDS as LISTING_COMMANDS
from .listing import Listing
from .session import Session
from .settings import SessionSettings
from .spawn import Argv, Launch, iso, restart_pipe_commands
from .tasks import Task, TaskFiles, TaskIndex
from .terminal import TerminalResult, open_terminal
from .tmux import TmuxServer, exact_pane, exact_session, is_missing_session, is_no_server

#: Longest ``cwd`` a caller may ask for (Linux's PATH_MAX).
MAX_PATH_LENGTH = 4096

#: The settings the built-in workflow needs inside the pane (see :func:`.config.encode_pane_settings`).
PANE_SETTINGS = (
    "root_dir",
    "tasks_dirs",
    "session_prefix",
    "agent",
    "agents",
    "worktrees_root",
    "worktree_base",
    "prompt_template",
)


class ClaudeSessions(SessionSettings):
    """Start, re-use, list and stop one tmux session per task.

    ``ClaudeSessions(**settings)`` takes its settings as given; ``ClaudeSessions.from_config()``
    reads them from the Jupyter config files first, as the server does.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._task_files: TaskFiles | None = None
        self._last_listing = overview.LastListing()
        self._listing: Listing | None = None
        self._tmux: TmuxServer | None = None

    @classmethod
    def from_config(
        cls, config: Config | None = None, settings: Sequence[str] = (), **overrides: Any
    ) -> ClaudeSessions:
        """A manager from ``config`` (else the Jupyter config files), command-line ``settings``
        (``--ClaudeSessions.name=value``) and keyword overrides, in rising priority."""
        merged = Config(config) if config is not None else load_jupyter_config()
        if settings:
            from traitlets.config.loader import KVArgParseConfigLoader

            merged.merge(KVArgParseConfigLoader(list(settings), classes=[cls]).load_config())
        return cls(config=merged, **overrides)

    # -- naming -----------------------------------------------------------------------------

    @property
    def tmux(self) -> TmuxServer:
        """The tmux server this manager talks to (made once per socket setting)."""
        socket = os.environ.get("JUPYTER_CLAUDE_TMUX_SOCKET", self.tmux_socket)
        if self._tmux is None or self._tmux.socket != socket:
            self._tmux = TmuxServer(socket)
        return self._tmux

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
        launch = self._launch(task_id, cwd, command)
        try:
            out = self.tmux.run(*launch.new_session())
        except TmuxError as error:
            if "duplicate session" not in str(error):
                raise
            return self._reuse(launch)
        pid, cols, rows = [*out.split(), "", "", ""][:3]
        self.log.info("started tmux session %s: %s", launch.name, launch.argv)
        return Session(
            id=task_id,
            name=launch.name,
            running=True,
            state="running",
            started_at=iso(launch.started_at),
            command=launch.argv,
            cwd=launch.directory,
            pid=int(pid) if pid.isdigit() else None,
            cols=int(cols) if cols.isdigit() else None,
            rows=int(rows) if rows.isdigit() else None,
            created=True,
            log_offset=launch.log_offset,
            log_health="ok",
        )

    def _launch(self, task_id: str, cwd: str | None, command: list[str] | None) -> Launch:
        """Everything a start needs, checked before tmux is touched."""
        name = self.session_name(task_id)
        argv = self.command_for(task_id, command)
        directory = self.resolve_cwd(cwd)
        folder = Path(self.log_dir).expanduser()
        logs.prepare_log_dir(folder, self.log)
        log = self.log_path(task_id)
        return Launch(
            task_id=task_id,
            name=name,
            directory=directory,
            argv=argv,
            log=log,
            log_max_bytes=self.log_max_bytes,
            pane_settings=self.pane_settings(),
            tmux_binary=self.tmux.binary(),
            started_at=time.time(),
            log_offset=logs.size_of(log),
        )

    def _reuse(self, launch: Launch) -> Session:
        """A session of that name exists: return it, or respawn its pane if the command exited."""
        current = self.status(launch.task_id)
        if current.state != "exited":
            return current
        # The log may have grown since _launch: this run starts at its size now.
        launch = dataclasses.replace(launch, started_at=time.time(), log_offset=logs.size_of(launch.log))
        try:
            self.tmux.run(*launch.respawn(exact_pane(current.name)))
        except TmuxError as error:
            # Someone else respawned it (or stopped it) between our two calls: report what is.
            if "still active" not in str(error) and not is_missing_session(error):
                raise
            return self.status(launch.task_id)
        self.log.info("respawned tmux session %s: %s", current.name, launch.argv)
        return dataclasses.replace(self.status(launch.task_id), created=True)

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

    def list(self) -> builtins.list[Session]:
        """Every session of ours on the tmux server, from one tmux invocation.

        A live session whose log writer died (``#{pane_pipe}`` 0) gets a new one, with the gap
        marked in the log: a second tmux call, made only then.
        """
        listing = self._listing
        if listing is None or (listing.prefix, listing.quiet_seconds) != (
            self.session_prefix,
            self.agent_quiet_seconds,
        ):
            listing = self._listing = Listing(self.session_prefix, self.agent_quiet_seconds, self.log)
        try:
            sessions, unreaped = listing.parse(self.tmux.run(*LISTING_COMMANDS))
            if unreaped:
                # tmux 3.3a now and then misses the SIGCHLD of a command that exits at once and
                # leaves it a zombie (seen 5 in 80 here); any other child's exit makes it reap
                # them all, so run one and list again. Only in that case: a second call.
                sessions, _ = listing.parse(self.tmux.run(["run-shell", "true"], *LISTING_COMMANDS))
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
        try:
            logs.prepare_log_dir(Path(self.log_dir).expanduser())
            binary = self.tmux.binary()
            commands = [
                command
                for session in stalled
                for command in restart_pipe_commands(
                    exact_pane(session.name), self.log_path(session.id), self.log_max_bytes, binary
                )
            ]
            self.tmux.run(*commands)
        except ClaudeSessionsError as error:
            self.log.warning("jupyter-claude: cannot restart a dead log writer: %s", error)
            return sessions
        self.log.warning(
            "jupyter-claude: the log writer of %s had stopped: restarted, the gap is marked in the log",
            ", ".join(session.name for session in stalled),
        )
        return [
            dataclasses.replace(session, log_health="gap") if session.log_health == "stalled" else session
            for session in sessions
        ]

    # -- logs and tasks ---------------------------------------------------------------------

    def read_log(self, task_id: str, tail: int | None = None) -> str:
        """The task's log as text (the last ``tail`` lines when given); kept after stop and restarts."""
        return logs.read_log(self.log_path(task_id), tail)

    def tasks(self) -> TaskIndex:
        """The task files under ``tasks_dirs``, with the files that were skipped and why.

        Parsed files are kept by the manager: a second call re-reads only files that changed.
        """
        root, folders = str(Path(self.root_dir).expanduser()), tuple(self.tasks_dirs)
        files = self._task_files
        if files is None or (str(files.root), tuple(files.folders)) != (root, folders):
            files = self._task_files = TaskFiles(root, folders)
        return files.index()

    def overview(self) -> dict[str, Any]:
        """Tasks merged with their sessions, as the REST API's ``GET claude/tasks`` answers it.

        A session with no task file is listed too (``path`` None). One tmux call. Without tmux
        (or when it fails) the tasks are still listed, their sessions unknown (``session`` None)
        and ``sessions_error`` says why.
        """
        index = self.tasks()
        sessions, sessions_error = self._sessions_or_error()
        return overview.overview(index, sessions, self.session_prefix, sessions_error)

    def overview_text(self, fields: Sequence[str] | None = None, query: str | None = None) -> str:
        """:meth:`overview` as the JSON text the REST API sends, made fast at 10,000 tasks:
        ``fields`` keeps only those row keys, ``query`` only the tasks whose text holds it
        (see :mod:`.overview`)."""
        index = self.tasks()
        sessions, sessions_error = self._sessions_or_error()
        chosen = None if fields is None else overview.parse_fields(",".join(fields))
        return self._last_listing.text(index, sessions, self.session_prefix, sessions_error, chosen, query)

    def _sessions_or_error(self) -> tuple[builtins.list[Session], dict[str, str] | None]:
        try:
            return self.list(), None
        except ClaudeSessionsError as error:
            return [], {"error": error.code, "reason": str(error)}

    # -- the task board -----------------------------------------------------------------------

    def task(self, task_id: str) -> Task:
        """The task with this id (:class:`TaskNotFound` when no task file has it)."""
        task = self.tasks().get(validate_task_id(task_id))
        if task is None:
            raise TaskNotFound(f"no task file has the id {task_id!r} (under {', '.join(self.tasks_dirs)})")
        return task

    def create_task(
        self,
        title: str,
        body: str = "",
        status: str | None = None,
        priority: str | None = None,
        task_id: str | None = None,
    ) -> Task:
        """Write a new task file ``{first of tasks_dirs}/{id}.md`` (TOML front matter) and return it.

        The id is ``task_id``, or made from the title (a slug, made unique with -2, -3…); the
        status defaults to the first board column. Never overwrites a file.
        """
        if not self.tasks_dirs:
            raise InvalidSetting("tasks_dirs is empty: there is no folder to put a new task in")
        task = taskwrite.create_task(
            Path(self.root_dir).expanduser(),
            self.tasks_dirs[0],
            self.tasks(),
            title,
            body,
            status,
            priority,
            task_id,
            default_status=self.board_columns[0],
            created=time.strftime("%Y-%m-%d"),
        )
        self.log.info("jupyter-claude: created task %s (%s)", task.id, task.path)
        return task

    def set_status(self, task_id: str, status: str, if_match: str | None = None) -> Task:
        """Set the task file's front matter ``status`` (nothing else in the file changes).

        ``if_match``: the task's ``version`` as the caller read it; when the file changed since,
        :class:`TaskConflict` and no change.
        """
        task = self.task(task_id)
        moved = taskwrite.set_status(Path(self.root_dir).expanduser(), task, status, if_match)
        self.log.info(
            "jupyter-claude: task %s status %r -> %r (%s)", task.id, task.status, moved.status, task.path
        )
        return moved

    def task_row(self, task: Task, body: bool = False) -> dict[str, Any]:
        """A task as a row of the listing (with its session; ``body`` adds the body text)."""
        try:
            session = self.status(task.id) if task.valid else None
        except ClaudeSessionsError:  # tmux missing or failing: the task is there all the same
            session = None
        row = {**task.to_json(), "session": session.to_json() if session else None}
        if body:
            row["body"] = task.body
        return row

    def board(self) -> dict[str, Any]:
        """The board's columns and the name of the column of statuses that match none."""
        return {"columns": list(self.board_columns), "other": board.OTHER}

    # -- building blocks --------------------------------------------------------------------

    def default_command(self) -> Argv:
        """``tw-start {id}`` when the user's script is on PATH, else the built-in task workflow."""
        if shutil.which("tw-start"):
            return ["tw-start", "{id}"]
        return [sys.executable, "-m", "jupyter_claude", "run-task", "{id}"]

    def pane_settings(self) -> str:
        """The settings the built-in workflow needs, as JSON for ``JUPYTER_CLAUDE_SETTINGS``: the
        pane gets the tmux server's environment and config files, not this manager's."""
        values = {name: getattr(self, name) for name in PANE_SETTINGS}
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
