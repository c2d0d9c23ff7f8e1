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
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from traitlets.config import Config

from . import board, interaction, logs, overview, permissions, taskwrite
from .accounting import Accounting
from .config import encode_pane_settings, load_jupyter_config
from .conflicts import ConflictCache, ConflictReport, check_conflicts
from .diff import FileVersions, TaskDiff, file_versions, task_diff
from .errors import (
    ClaudeSessionsError,
    InputRefused,
    InvalidSetting,
    SessionNotFound,
    TaskNotFound,
    TmuxError,
)
from .ids import validate_task_id
from .land import Landing, land
from .listing import COMMANDS as LISTING_COMMANDS
from .listing import Listing
from .permissions import PendingRequest
from .session import Session
from .settings import SessionSettings
from .spawn import Argv, Launch, command_for, iso, resolve_cwd, restart_log_writers
from .tasks import Task, TaskFiles, TaskIndex
from .terminal import TerminalResult, open_terminal
from .tmux import TmuxServer, exact_pane, exact_session, is_missing_session, is_no_server

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
    "log_dir",
    "permission_timeout",
)


class ClaudeSessions(SessionSettings, Accounting):
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
        self._sizes: dict[str, tuple[int | None, int | None]] = {}
        #: merge-tree results by commit ids (conflicts), and one land at a time.
        self._conflict_cache = ConflictCache()
        self._land_lock = threading.Lock()

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

    def audit_path(self, task_id: str) -> Path:
        """The task's audit file: every decision made for its agent, one JSON object a line."""
        return Path(self.log_dir).expanduser() / f"{validate_task_id(task_id)}.audit.jsonl"

    # -- sessions ---------------------------------------------------------------------------

    def start(self, task_id: str, cwd: str | None = None, command: list[str] | None = None) -> Session:
        """Create the task's session, or return the live one; a session whose command exited is
        respawned in place. ``Session.created`` tells which happened."""
        return self._create(self._launch(task_id, cwd, command))

    def _create(self, launch: Launch) -> Session:
        """Run a launch: a new session, or the existing one re-used or respawned."""
        task_id = launch.task_id
        try:
            out = self.tmux.run(*launch.new_session())
        except TmuxError as error:
            if "duplicate session" not in str(error):
                raise
            return self._reuse(launch)
        pid, cols, rows = [*out.split(), "", "", ""][:3]
        self.log.info("started tmux session %s: %s", launch.name, launch.argv)
        if cols.isdigit() and rows.isdigit():
            self._sizes[task_id] = (int(cols), int(rows))
            logs.remember_size(launch.log, int(cols), int(rows))
        return Session(
            id=task_id,
            name=launch.name,
            running=True,
            state="running" if launch.queued is None else "queued",
            queued_at=float(launch.queued) if launch.queued is not None else None,
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
        permissions.forget(task_id)  # a request of an agent that is gone is nobody's to answer
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
        return self._annotate([Session(id=task_id, name=name)])[0]

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
            folder = Path(self.log_dir).expanduser()
            sessions = restart_log_writers(self.tmux, sessions, folder, self.log_max_bytes, self.log)
        self._remember_sizes(sessions)
        return self._annotate(sessions)

    def _remember_sizes(self, sessions: builtins.list[Session]) -> None:
        """Keep each pane's size beside its log when it changed (a stopped task's log is drawn at it)."""
        for session in sessions:
            size = (session.cols, session.rows)
            if session.cols and session.rows and self._sizes.get(session.id) != size:
                self._sizes[session.id] = size
                logs.remember_size(self.log_path(session.id), session.cols, session.rows)

    # -- answering the agent ----------------------------------------------------------------

    def pending(self, task_id: str) -> PendingRequest | None:
        """The agent's pending permission request, in full, or None."""
        summary = self.status(task_id).pending
        return permissions.read(task_id, summary["request"]) if summary else None

    def answer(
        self, task_id: str, request: str, decision: str, message: str | None = None, by: str = "python"
    ) -> PendingRequest:
        """Answer a pending permission request: "allow", or "deny" with a message the agent reads.

        :class:`~.permissions.NotPending` when that request is not pending any more (answered in
        the terminal or elsewhere, the session gone); the decision is logged and audited."""
        summary = self.status(task_id).pending
        current = summary["request"] if summary else None
        return permissions.answer(
            task_id, request, current, decision, message, by, self.audit_path(task_id), self.log
        )

    def send(self, task_id: str, text: str) -> Session:
        """Type ``text`` into the agent's pane as literal characters, then Enter (several lines as
        one paste); refused when ``allow_input`` is off or there is no live session."""
        if not self.allow_input:
            raise InputRefused("typing into agents is off on this server (c.ClaudeSessions.allow_input)")
        commands = interaction.send_commands(exact_pane(self.session_name(task_id)), text)
        session = self.status(task_id)
        if not session.live:
            raise SessionNotFound(f"there is no live session {session.name}: start task {task_id} first")
        self.tmux.run(*commands)
        self.log.info("jupyter-claude: typed %d characters into %s", len(text), session.name)
        return session

    def wait(
        self, task_ids: Sequence[str], until: str | Sequence[str] = "any", timeout: float | None = None
    ) -> dict[str, Session]:
        """Block until each task's session is in one of the ``until`` states ("waiting", "idle",
        "exited", "stopped", "limited", or "any" of them); one listing per tick for all of them.
        :class:`~.interaction.WaitTimeout` after ``timeout`` seconds."""
        wanted = interaction.wanted_states(until)
        names = {self.session_name(task_id): task_id for task_id in task_ids}
        return interaction.wait(self.list, names, wanted, timeout)

    # -- logs and tasks ---------------------------------------------------------------------

    def read_log(self, task_id: str, tail: int | None = None) -> str:
        """The task's log as raw text, escape sequences included (the last ``tail`` lines when
        given); kept after stop and restarts."""
        return logs.read_log(self.log_path(task_id), tail)

    def log_text(self, task_id: str, tail: int | None = None, session: Session | None = None) -> str:
        """The task's log as the screen showed it: played through a terminal of the pane's size
        (``session``: the task's session when the caller has it; else one listing finds the size)."""
        lines = logs.text_lines(self.log_path(task_id), self.pane_size(task_id, session), tail)
        return "".join(line + "\n" for line in lines)

    def pane_size(self, task_id: str, session: Session | None = None) -> tuple[int, int]:
        """The task's pane size: the live (or dead) pane's, else the last one seen, else 80x24."""
        if session is None or session.id != task_id:
            session = self.status(task_id)
        if session.cols and session.rows:
            return session.cols, session.rows
        return logs.known_size(self.log_path(task_id))

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
        sessions, sessions_error = self._sessions_or_error(index)
        return overview.overview(index, sessions, self.session_prefix, sessions_error)

    def overview_text(self, fields: Sequence[str] | None = None, query: str | None = None) -> str:
        """:meth:`overview` as the JSON text the REST API sends, made fast at 10,000 tasks:
        ``fields`` keeps only those row keys, ``query`` only the tasks whose text holds it
        (see :mod:`.overview`)."""
        index = self.tasks()
        sessions, sessions_error = self._sessions_or_error(index)
        chosen = None if fields is None else overview.parse_fields(",".join(fields))
        return self._last_listing.text(index, sessions, self.session_prefix, sessions_error, chosen, query)

    def _sessions_or_error(self, index: TaskIndex) -> tuple[builtins.list[Session], dict[str, str] | None]:
        try:
            live = self.list()  # and the stopped tasks that used something (their rows show it)
            return live + self._stopped_usage(index, live), None
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
        where, created = Path(self.root_dir).expanduser(), time.strftime("%Y-%m-%d")
        task = taskwrite.create_task(
            where, self.tasks_dirs[0], self.tasks(), title, body, status, priority, task_id,
            default_status=self.board_columns[0], created=created,
        )  # fmt: skip
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
        return {
            **task.to_json(),
            "session": session.to_json() if session else None,
            **({"body": task.body} if body else {}),
        }

    def board(self) -> dict[str, Any]:
        """The board's columns and the name of the column of statuses that match none."""
        return {"columns": list(self.board_columns), "other": board.OTHER}

    # -- review: a task's changes, conflicts between tasks, landing -----------------------------

    def diff(self, task_id: str) -> TaskDiff:
        """The task branch's commits, files and patch against its base (``worktree_base``), and
        what its worktree holds uncommitted; ``WorktreeNotFound`` for a task without a worktree."""
        return task_diff(self.root_dir, task_id, self.worktree_base, self.diff_max_bytes)

    def diff_file(self, task_id: str, path: str, old_path: str | None = None) -> FileVersions:
        """One changed file at the merge base and on the task branch (a side-by-side view)."""
        return file_versions(self.root_dir, task_id, path, old_path, self.worktree_base, self.diff_max_bytes)

    def conflicts(self) -> ConflictReport:
        """Conflicts between every pair of live task branches, and each against the base (merged
        in memory; results kept by commit ids, so a repeated check costs one git call)."""
        return check_conflicts(self.root_dir, self._conflict_cache)

    def land(
        self,
        task_id: str,
        strategy: str = "merge",
        cleanup: bool = False,
        commit_uncommitted: bool = False,
        message: str | None = None,
    ) -> Landing:
        """Merge the task's branch into the branch the main checkout is on ("merge", "squash" or
        "rebase"), or refuse (``LandRefused``) and change nothing; ``cleanup`` then stops the
        session, removes the worktree and deletes the branch."""
        task = self.tasks().get(validate_task_id(task_id))
        title = task.title if task is not None else None
        with self._land_lock:
            return land(
                self.root_dir, task_id, strategy, cleanup=cleanup, commit_uncommitted=commit_uncommitted,
                message=message, title=title, stop=self.stop, log=self.log,
            )  # fmt: skip

    # -- building blocks --------------------------------------------------------------------

    def pane_settings(self) -> str:
        """The settings the built-in workflow needs, as JSON for ``JUPYTER_CLAUDE_SETTINGS``: the
        pane gets the tmux server's environment and config files, not this manager's."""
        values = {name: getattr(self, name) for name in PANE_SETTINGS}
        values["root_dir"] = str(Path(self.root_dir).expanduser().resolve())
        return encode_pane_settings(values)

    def command_for(self, task_id: str, override: Argv | None = None) -> Argv:
        """The argv for a task: the override, the ``command`` setting, or the default (``tw-start
        {id}`` when that script is on PATH, else the built-in workflow), with {id} filled in."""
        return command_for(task_id, override, self.command)

    def resolve_cwd(self, cwd: str | None) -> str:
        """An existing directory inside ``root_dir`` to start in; relative paths are taken from
        ``root_dir``. Every front end goes through here, so none can start outside the root."""
        return resolve_cwd(self.root_dir, cwd)
