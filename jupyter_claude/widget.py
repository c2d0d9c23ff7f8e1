"""``TaskTable``: the notebook widget that lists tasks with a live session badge and Run/Stop/Attach/Log.

It calls :class:`~jupyter_claude.sessions.ClaudeSessions` directly, in the kernel, so it agrees with
the CLI, the Jupyter server and JupyterLab because tmux is the one source of truth.

How it stays live and cheap:

* ONE background :class:`Refresher` thread per kernel serves every open table: each tick it asks
  each distinct tmux server for its sessions once (``ClaudeSessions.list()``, a single tmux call) and
  fans the answer out to the tables; it stops when the last table is closed.
* Live state is kept in synced widget traits (HTML values, ``Button.disabled``), never printed or
  written to an ``Output`` widget from the thread, which ipykernel 7 no longer routes reliably.
* Only the rows on the current page are widgets (a reusable pool); a tick rebinds only rows whose
  data changed, each widget's changes batched with ``hold_sync``.
* Every text that reaches an HTML widget (titles, statuses, log text, error messages) is escaped:
  ``ipywidgets.HTML`` sets ``innerHTML``.

Errors in callbacks (invalid id, tmux missing, no agent command) are shown inline in the row or in
the table's banner, never raised as a traceback.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle
from traitlets import Bool, Int, Unicode, observe, validate

from .errors import ClaudeSessionsError
from .logs import strip_ansi

if TYPE_CHECKING:
    from .sessions import ClaudeSessions, Session
    from .tasks import TaskIndex

logger = logging.getLogger(__name__)

#: Seconds between two refresher ticks (badges follow external changes within about this long).
REFRESH_INTERVAL = 0.5
#: Seconds between two re-reads of the task files (the Refresh button re-reads at once).
TASK_RESCAN_INTERVAL = 5.0
#: Lines and bytes of recent output the log viewer shows.
LOG_LINES = 200
LOG_BYTES = 64 * 1024

#: Column key, header label, width in pixels.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "ID", 130),
    ("title", "Title", 240),
    ("status", "Status", 120),
    ("priority", "Priority", 100),
    ("session", "Session", 140),
)
_ROW_WIDTH = sum(width for _, _, width in COLUMNS)
STATE_FILTERS: tuple[tuple[str, str], ...] = (
    ("any session", ""),
    ("live (running, waiting, idle)", "live"),
    ("🟢 running", "running"),
    ("🟡 waiting", "waiting"),
    ("🔵 idle", "idle"),
    ("🔴 exited", "exited"),
    ("⚫ stopped", "stopped"),
)
LIVE_STATES = frozenset({"running", "working", "waiting", "idle"})
_STATE_ORDER = {
    state: rank for rank, state in enumerate(("waiting", "working", "running", "idle", "exited", "stopped"))
}
_ERROR_COLOUR = "var(--jp-error-color1, #d32f2f)"
_NO_STATUS = "(no status)"
_INVALID_BADGE = "✖ invalid id"


# -- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskItem:
    """One row's data: a task file (or a session without one) merged with its session."""

    id: str
    title: str
    status: str | None = None
    priority: str | None = None
    path: str | None = None
    valid: bool = True
    invalid_reason: str | None = None
    state: str = "stopped"
    badge: str = "⚫ stopped"
    message: str = ""
    message_is_error: bool = False

    @property
    def live(self) -> bool:
        """True while the session's command runs."""
        return self.state in LIVE_STATES


def merge_items(
    tasks: TaskIndex | None,
    sessions: Sequence[Session],
    messages: dict[str, tuple[str, bool]],
    prefix: str = "claude-",
) -> dict[str, TaskItem]:
    """Tasks merged with their sessions (sessions without a task file become rows too), by id."""
    from .sessions import pair_tasks_with_sessions

    items: dict[str, TaskItem] = {}
    for task, session in pair_tasks_with_sessions(tasks.tasks if tasks is not None else [], sessions, prefix):
        item_id = task.id if task is not None else session.id if session is not None else ""
        message, is_error = messages.get(item_id, ("", False))
        if task is not None and session is None:
            items[task.id] = TaskItem(
                id=task.id,
                title=task.title,
                status=task.status,
                priority=task.priority,
                path=task.path,
                valid=False,
                invalid_reason=task.invalid_reason,
                state="",
                badge=_INVALID_BADGE,
                message=task.invalid_reason or "",
                message_is_error=True,
            )
        elif task is not None and session is not None:
            items[task.id] = TaskItem(
                id=task.id,
                title=task.title,
                status=task.status,
                priority=task.priority,
                path=task.path,
                state=session.state,
                badge=session.badge,
                message=message,
                message_is_error=is_error,
            )
        elif session is not None:
            items[session.id] = TaskItem(
                id=session.id,
                title=session.id,
                state=session.state,
                badge=session.badge,
                message=message,
                message_is_error=is_error,
            )
    return items


def _natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def _priority_rank(priority: str | None) -> int:
    text = (priority or "").lower()
    for rank, words in (
        (0, ("critical", "urgent", "highest", "blocker")),
        (1, ("high",)),
        (2, ("medium", "normal")),
        (4, ("lowest",)),
        (3, ("low",)),
    ):
        if any(word in text for word in words):
            return rank
    return 5 if text else 6


def sort_key(column: str) -> Callable[[TaskItem], Any]:
    """The key that sorts rows by a column (ids and numbers in natural order)."""
    if column == "title":
        return lambda item: (_natural_key(item.title), _natural_key(item.id))
    if column == "status":
        return lambda item: (item.status is None, (item.status or "").lower(), _natural_key(item.id))
    if column == "priority":
        return lambda item: (_priority_rank(item.priority), _natural_key(item.id))
    if column == "session":
        return lambda item: (_STATE_ORDER.get(item.state, 9), _natural_key(item.id))
    return lambda item: _natural_key(item.id)


def terminal_text(result: Any) -> str:
    """One line about a terminal launch (``ClaudeSessions.attach``'s TerminalResult)."""
    command = result.attach_command
    if isinstance(command, (list, tuple)):
        command = " ".join(command)
    if result.launched:
        return f"opened {result.terminal} on it"
    if result.focused:
        return f"brought the {result.terminal or 'attached'} terminal to the front"
    return f"no terminal opened: {result.reason} — attach by hand: {command}"


def _escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _error_div(text: str) -> str:
    return f"<div style='color:{_ERROR_COLOUR}'>{_escape(text)}</div>"


def _error_text(error: BaseException) -> str:
    if isinstance(error, ClaudeSessionsError):
        return str(error)
    return f"{type(error).__name__}: {error}"


# -- the shared refresher ------------------------------------------------------------------------


class Refresher:
    """One background thread per kernel that refreshes every open :class:`TaskTable`.

    Each tick costs one tmux call per distinct tmux server (usually one), whatever the number of
    tables and rows. The thread starts with the first table and ends when the last one closes.
    """

    def __init__(self, interval: float = REFRESH_INTERVAL) -> None:
        self.interval = interval
        self.ticks = 0
        self._tables: list[TaskTable] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the background thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def tables(self) -> list[TaskTable]:
        """The open tables it serves."""
        with self._lock:
            return list(self._tables)

    def register(self, table: TaskTable) -> None:
        """Serve ``table`` from now on (starts the thread if needed)."""
        with self._lock:
            if table not in self._tables:
                self._tables.append(table)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="jupyter-claude-refresher", daemon=True
                )
                self._thread.start()

    def unregister(self, table: TaskTable) -> None:
        """Stop serving ``table``; the thread ends after the last one."""
        with self._lock:
            if table in self._tables:
                self._tables.remove(table)
            if not self._tables:
                self._wake.set()

    def poke(self) -> None:
        """Tick now instead of at the end of the interval (after a change made in this kernel)."""
        self._wake.set()

    def wait_stopped(self, timeout: float = 5.0) -> bool:
        """Wait until the thread has ended (after the last table closed); True if it did."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        while True:
            with self._lock:
                tables = list(self._tables)
                if not tables:
                    self._thread = None
                    self._wake.clear()
                    return
            self.tick(tables)
            self._wake.wait(self.interval)
            self._wake.clear()

    def tick(self, tables: Sequence[TaskTable]) -> None:
        """Refresh ``tables`` now: one ``list()`` per tmux server, fanned out to every table."""
        self.ticks += 1
        groups: dict[tuple[Any, ...], list[TaskTable]] = {}
        for table in tables:
            groups.setdefault(table.server_key(), []).append(table)
        for group in groups.values():
            listing: list[Session] | None = None
            error: BaseException | None = None
            try:
                listing = group[0].sessions.list()
            except Exception as caught:  # shown in each table's banner
                error = caught
            for table in group:
                try:
                    table.refresh_from(listing, error)
                except Exception as failed:  # shown in that table; never stops the others' badges
                    logger.debug("refreshing a TaskTable failed", exc_info=True)
                    table.show_refresh_error(failed)


#: The kernel's one refresher.
REFRESHER = Refresher()


# -- one row -------------------------------------------------------------------------------------


class _SharedLook:
    """Layouts and styles shared by every row of a table, so a row costs six widgets, not twenty."""

    def __init__(self) -> None:
        self.cells = widgets.Layout(margin="0", width=f"{_ROW_WIDTH}px", flex="0 0 auto")
        self.button = widgets.Layout(
            width="54px", height="26px", margin="0 2px 0 0", padding="0", flex="0 0 auto"
        )
        self.row = widgets.Layout(align_items="flex-start", margin="0", padding="1px 0", overflow="visible")
        self.button_style = widgets.ButtonStyle()
        self.html_style = HTMLStyle()

    def close(self) -> None:
        for widget in (self.cells, self.button, self.row, self.button_style, self.html_style):
            widget.close()


class TaskRow(widgets.HBox):  # type: ignore[misc]
    """One task: its cells in an HTML widget and four buttons, driven by the row's traits."""

    task_id = Unicode("")
    title = Unicode("")
    task_status = Unicode("")
    priority = Unicode("")
    state = Unicode("stopped")
    badge = Unicode("")
    valid = Bool(True)
    message = Unicode("")
    message_is_error = Bool(False)
    log_available = Bool(False)

    def __init__(
        self,
        look: _SharedLook,
        on_action: Callable[[str, str], None],
        item: TaskItem | None = None,
        log_available: bool = False,
    ) -> None:
        # Fill the traits first, so each child widget opens with its final state (no update after).
        self._deferred = True
        if item is not None:
            self._assign(item, log_available)
        enabled = self.enabled_actions()
        self.cells = widgets.HTML(value=self.cells_html(), layout=look.cells, style=look.html_style)
        self.run_button = self._button("Run", "Start the session (and open a terminal on it)", look, enabled)
        self.stop_button = self._button("Stop", "Kill the session (its log is kept)", look, enabled)
        self.attach_button = self._button("Attach", "Open or focus a terminal on the session", look, enabled)
        self.log_button = self._button("Log", "Show the recent output below the table", look, enabled)
        for action, button in self.buttons.items():
            button.on_click(lambda _button, action=action: on_action(action, self.task_id))
        super().__init__(
            [self.cells, self.run_button, self.stop_button, self.attach_button, self.log_button],
            layout=look.row,
            _dom_classes=("jc-task-row",),
        )
        self._deferred = False

    @staticmethod
    def _button(label: str, tooltip: str, look: _SharedLook, enabled: dict[str, bool]) -> widgets.Button:
        return widgets.Button(
            description=label,
            tooltip=tooltip,
            layout=look.button,
            style=look.button_style,
            disabled=not enabled[label.lower()],
        )

    @property
    def buttons(self) -> dict[str, widgets.Button]:
        """The row's buttons by action name."""
        return {
            "run": self.run_button,
            "stop": self.stop_button,
            "attach": self.attach_button,
            "log": self.log_button,
        }

    def bind(self, item: TaskItem, log_available: bool) -> None:
        """Show ``item`` in this row; only widgets whose value changes send a message."""
        with self._batch():
            self._assign(item, log_available)

    def _assign(self, item: TaskItem, log_available: bool) -> None:
        self.task_id = item.id
        self.title = item.title
        self.task_status = item.status or ""
        self.priority = item.priority or ""
        self.state = item.state
        self.badge = item.badge
        self.valid = item.valid
        self.message = item.message
        self.message_is_error = item.message_is_error
        self.log_available = log_available

    @contextmanager
    def _batch(self) -> Iterator[None]:
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            self._render()

    @observe(
        "task_id",
        "title",
        "task_status",
        "priority",
        "state",
        "badge",
        "valid",
        "message",
        "message_is_error",
        "log_available",
    )
    def _changed(self, _change: dict[str, Any]) -> None:
        if not self._deferred:
            self._render()

    def enabled_actions(self) -> dict[str, bool]:
        """Which buttons make sense: Run when stopped or exited, Stop/Attach while a session exists,
        Log when there is a session or an old log."""
        exists = self.valid and self.state not in ("", "stopped")
        return {
            "run": (self.valid and bool(self.task_id) and not exists) or self.state == "exited",
            "stop": exists,
            "attach": exists,
            "log": self.valid and (exists or self.log_available),
        }

    def _render(self) -> None:
        enabled = self.enabled_actions()
        cells = self.cells_html()
        with self.cells.hold_sync():
            self.cells.value = cells
        for action, button in self.buttons.items():
            disabled = not enabled[action]
            if button.disabled != disabled:
                with button.hold_sync():
                    button.disabled = disabled

    def cells_html(self) -> str:
        """The row's cells as HTML, every text escaped."""
        values = {
            "id": self.task_id,
            "title": self.title,
            "status": self.task_status,
            "priority": self.priority,
            "session": self.badge,
        }
        spans = "".join(_cell(values[key], width, bold=key == "id") for key, _, width in COLUMNS)
        message = ""
        if self.message:
            colour = _ERROR_COLOUR if self.message_is_error else "var(--jp-ui-font-color2, #666)"
            message = (
                f'<div class="jc-message" style="color:{colour};font-size:90%;white-space:pre-wrap;'
                f'line-height:1.35;padding:0 4px 4px 4px">{_escape(self.message)}</div>'
            )
        return (
            f'<div class="jc-row" data-task-id="{_escape(self.task_id)}" data-state="{_escape(self.state)}">'
            f"<div style='display:flex'>{spans}</div>{message}</div>"
        )


def _cell(text: str, width: int, bold: bool = False) -> str:
    weight = "font-weight:600;" if bold else ""
    return (
        f'<span title="{_escape(text)}" style="display:inline-block;box-sizing:border-box;width:{width}px;'
        f"padding:0 4px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;line-height:26px;"
        f'{weight}">{_escape(text)}</span>'
    )


# -- the table -----------------------------------------------------------------------------------


class TaskTable(widgets.VBox):  # type: ignore[misc]
    """Every task with its live session badge and Run / Stop / Attach / Log buttons.

    ``TaskTable()`` reads the tasks under ``ClaudeSessions().tasks_dirs`` (relative to the current
    directory by default); pass ``sessions=`` to use another manager. ``page_size=0`` shows every
    row at once. Close it with ``table.close()`` to stop its share of the refreshing.
    """

    sort_by = Unicode("id", help="column the rows are sorted by: id, title, status, priority, session")
    sort_reverse = Bool(False, help="sort in descending order")
    status_filter = Unicode("", help="show only tasks whose own status is this ('' for all)")
    state_filter = Unicode("", help="show only sessions in this state ('' all, 'live', or a state)")
    page = Int(0, help="the page shown (0-based)")
    page_size = Int(50, help="rows per page; 0 shows every row")
    log_task = Unicode("", help="the task whose log is open below the table ('' when closed)")
    banner = Unicode("", help="the table's own message (problems reading tasks, tmux errors)")

    def __init__(
        self,
        sessions: ClaudeSessions | None = None,
        *,
        page_size: int = 50,
        open_terminal: bool = True,
        refresher: Refresher | None = None,
        **kwargs: Any,
    ) -> None:
        if sessions is None:
            from .sessions import ClaudeSessions

            sessions = ClaudeSessions()
        self._closed = True  # until fully built
        self.sessions = sessions
        self.open_terminal = open_terminal
        self._refresher = refresher or REFRESHER
        self._lock = threading.RLock()
        self._tasks: TaskIndex | None = None
        self._sessions: list[Session] = []
        self._messages: dict[str, tuple[str, bool]] = {}
        self._items: dict[str, TaskItem] = {}
        self._view: list[str] = []
        self._log_files: set[str] = set()
        self._tasks_read_at = 0.0
        self._tasks_error = ""
        self._tmux_error = ""
        self._log_signature: tuple[Any, ...] | None = None
        self._look = _SharedLook()
        self._pool: list[TaskRow] = []

        self.status_dropdown = widgets.Dropdown(
            description="Task status",
            options=[("any status", "")],
            value="",
            layout=widgets.Layout(width="260px"),
        )
        self.state_dropdown = widgets.Dropdown(
            description="Session", options=list(STATE_FILTERS), value="", layout=widgets.Layout(width="300px")
        )
        self.refresh_button = widgets.Button(
            description="Refresh",
            icon="refresh",
            tooltip="Re-read the task files and the sessions now",
            layout=widgets.Layout(width="100px"),
        )
        self.refresh_button.on_click(lambda _button: self.refresh(tasks=True))
        self.banner_html = widgets.HTML()
        self.header_buttons = {
            key: widgets.Button(
                description=label,
                tooltip=f"Sort by {label.lower()}",
                layout=widgets.Layout(width=f"{width}px", margin="0", padding="0 4px", flex="0 0 auto"),
            )
            for key, label, width in COLUMNS
        }
        for key, button in self.header_buttons.items():
            button.on_click(lambda _button, key=key: self.sort(key))
        self.rows_box = widgets.VBox(layout=widgets.Layout(margin="0"))
        self.previous_button = widgets.Button(description="◀ Previous", layout=widgets.Layout(width="110px"))
        self.next_button = widgets.Button(description="Next ▶", layout=widgets.Layout(width="110px"))
        self.page_label = widgets.HTML()
        self.previous_button.on_click(lambda _button: self._turn(-1))
        self.next_button.on_click(lambda _button: self._turn(1))
        self.pager = widgets.HBox([self.previous_button, self.page_label, self.next_button])
        self.log_title = widgets.HTML()
        self.log_close_button = widgets.Button(description="Close log", layout=widgets.Layout(width="100px"))
        self.log_close_button.on_click(lambda _button: self.close_log())
        self.log_html = widgets.HTML()
        self.log_panel = widgets.VBox(
            [widgets.HBox([self.log_title, self.log_close_button]), self.log_html],
            layout=widgets.Layout(display="none"),
        )
        super().__init__(
            [
                widgets.HBox([self.status_dropdown, self.state_dropdown, self.refresh_button]),
                self.banner_html,
                # Header and rows scroll sideways together when the notebook is narrower.
                widgets.VBox(
                    [
                        widgets.HBox(
                            [*self.header_buttons.values(), widgets.HTML("<b>&nbsp;Actions</b>")],
                            layout=widgets.Layout(overflow="visible"),
                        ),
                        self.rows_box,
                    ],
                    layout=widgets.Layout(overflow="auto"),
                ),
                self.pager,
                self.log_panel,
            ],
            **kwargs,
        )
        self.add_class("jupyter-claude-task-table")
        self._links = [
            widgets.link((self.status_dropdown, "value"), (self, "status_filter")),
            widgets.link((self.state_dropdown, "value"), (self, "state_filter")),
        ]
        self.page_size = page_size
        self._closed = False
        self.refresh(tasks=True)
        self._refresher.register(self)

    # -- public API -----------------------------------------------------------------------------

    @property
    def items(self) -> list[TaskItem]:
        """Every row's data (all pages), in the current order, filters ignored."""
        with self._lock:
            return sorted(self._items.values(), key=sort_key(self.sort_by), reverse=self.sort_reverse)

    @property
    def rows(self) -> list[TaskRow]:
        """The row widgets on the current page."""
        return list(self.rows_box.children)

    @property
    def visible_ids(self) -> list[str]:
        """Ids of every row that passes the filters, in display order (all pages)."""
        with self._lock:
            return list(self._view)

    def item(self, task_id: str) -> TaskItem | None:
        """The data of one row, wherever it is."""
        with self._lock:
            return self._items.get(task_id)

    def row(self, task_id: str) -> TaskRow | None:
        """The row widget showing ``task_id`` on the current page, if any."""
        return next((row for row in self.rows if row.task_id == task_id), None)

    def server_key(self) -> tuple[Any, ...]:
        """Which tmux server and prefix this table watches (tables that share one share a tmux call)."""
        try:
            socket = tuple(self.sessions.tmux.socket_args)
        except Exception:
            socket = ()
        return (socket, self.sessions.session_prefix)

    def refresh(self, tasks: bool = False) -> None:
        """Ask tmux now (and re-read the task files when ``tasks``), instead of waiting for the tick."""
        listing: list[Session] | None = None
        error: BaseException | None = None
        try:
            listing = self.sessions.list()
        except Exception as caught:
            error = caught
        self.refresh_from(listing, error, tasks=tasks)

    def refresh_from(
        self, listing: Sequence[Session] | None, error: BaseException | None = None, tasks: bool = False
    ) -> None:
        """Apply one tmux listing (the refresher's tick); task files are re-read when due."""
        if self._closed:
            return
        with self._lock:
            if tasks or time.monotonic() - self._tasks_read_at >= TASK_RESCAN_INTERVAL:
                self._read_tasks()
            if listing is not None:
                self._sessions = list(listing)
                self._tmux_error = ""
            elif error is not None:
                self._tmux_error = _error_text(error)
            self._apply()
            self._refresh_log()

    def show_refresh_error(self, error: BaseException) -> None:
        """Show in the banner that a refresh failed (the refresher calls it; never raises)."""
        text = _error_div(f"refreshing failed: {_error_text(error)}")
        try:
            if self.banner_html.value != text:
                self.banner_html.value = text
        except Exception:
            logger.debug("cannot show a refresh error", exc_info=True)

    def sort(self, column: str) -> None:
        """Sort by ``column``; sorting by the same column again reverses the order."""
        if column == self.sort_by:
            self.sort_reverse = not self.sort_reverse
        else:
            with self.hold_trait_notifications():
                self.sort_by = column
                self.sort_reverse = False

    def run(self, task_id: str) -> None:
        """What the Run button does: start (or respawn) the session, then open a terminal on it."""
        self._act("run", task_id)

    def stop(self, task_id: str) -> None:
        """What the Stop button does."""
        self._act("stop", task_id)

    def attach(self, task_id: str) -> None:
        """What the Attach button does."""
        self._act("attach", task_id)

    def show_log(self, task_id: str) -> None:
        """Open the log viewer on ``task_id`` (it refreshes while open)."""
        self._act("log", task_id)

    def close_log(self) -> None:
        """Close the log viewer."""
        self.log_task = ""

    def close(self) -> None:
        """Close the table and its widgets; the refresher stops when no table is left."""
        if getattr(self, "_closed", True):
            super().close()
            return
        self._closed = True
        self._refresher.unregister(self)
        for link in self._links:
            link.unlink()
        for row in self._pool:
            for child in (row.cells, *row.buttons.values()):
                child.close()
            row.close()
        self._look.close()
        for child in self._descendants(self):
            child.close()
        super().close()

    # -- actions --------------------------------------------------------------------------------

    def _act(self, action: str, task_id: str) -> None:
        """Run a button's action; any error is shown in the task's row, never raised."""
        try:
            if action == "run":
                session = self.sessions.start(task_id)
                message = f"{'started' if session.created else 're-used'} in {session.cwd}"
                failed = False
                if self.open_terminal:
                    try:
                        message += "; " + terminal_text(self.sessions.attach(task_id, session=session))
                    except Exception as error:  # the session runs; only the terminal failed
                        message += f"; could not open a terminal: {_error_text(error)}"
                        failed = True
                self._log_files.add(task_id)
                self._set_message(task_id, message, failed, session)
            elif action == "stop":
                stopped = self.sessions.stop(task_id)
                message = "stopped" if stopped else "was not running"
                self._set_message(task_id, message, False, None, stop=True)
            elif action == "attach":
                self._set_message(task_id, terminal_text(self.sessions.attach(task_id)), False)
            elif action == "log":
                self.sessions.log_path(task_id)  # validates the id
                if self.log_task == task_id:
                    self._refresh_log(force=True)
                self.log_task = task_id
            else:
                raise ValueError(f"unknown action {action!r}")
        except Exception as error:
            if not isinstance(error, ClaudeSessionsError):
                logger.debug("TaskTable %s %s failed", action, task_id, exc_info=True)
            self._set_message(task_id, f"{action} failed: {_error_text(error)}", True)

    def _set_message(
        self, task_id: str, message: str, is_error: bool, session: Session | None = None, stop: bool = False
    ) -> None:
        with self._lock:
            self._messages[task_id] = (message, is_error)
            if session is not None:
                self._sessions = [s for s in self._sessions if s.id != task_id] + [session]
            if stop:
                self._sessions = [s for s in self._sessions if s.id != task_id]
            self._apply()

    # -- building the view ----------------------------------------------------------------------

    def _read_tasks(self) -> None:
        self._tasks_read_at = time.monotonic()
        try:
            self._tasks = self.sessions.tasks()
        except Exception as error:
            self._tasks_error = f"cannot read the task files: {_error_text(error)}"
            return
        self._tasks_error = ""
        self._log_files = {task.id for task in self._tasks.tasks if task.valid and self._log_exists(task.id)}
        statuses = sorted({task.status or _NO_STATUS for task in self._tasks.tasks})
        options = [("any status", ""), *((status, status) for status in statuses)]
        if self.status_filter and self.status_filter not in statuses:
            options.append((self.status_filter, self.status_filter))
        if list(self.status_dropdown.options) != options:
            with self.status_dropdown.hold_sync():
                self.status_dropdown.options = options
                self.status_dropdown.value = self.status_filter

    def _log_exists(self, task_id: str) -> bool:
        try:
            path = self.sessions.log_path(task_id)
            return path.exists() or path.with_name(path.name + ".1").exists()
        except Exception:
            return False

    def _apply(self) -> None:
        """Merge tasks and sessions; rebuild the page if the set or order of rows changed, else
        rebind only the rows whose data changed."""
        prefix = self.sessions.session_prefix
        items = merge_items(self._tasks, self._sessions, self._messages, prefix)
        changed = {key for key, item in items.items() if self._items.get(key) != item}
        membership_changed = items.keys() != self._items.keys()
        self._items = items
        self._update_banner()
        if membership_changed or (changed and (self.state_filter or self.sort_by == "session")):
            self._render_view()
        elif changed:
            for row in self.rows:
                if row.task_id in changed:
                    row.bind(items[row.task_id], row.task_id in self._log_files)

    @observe("sort_by", "sort_reverse", "status_filter", "state_filter", "page_size")
    def _view_changed(self, change: dict[str, Any]) -> None:
        with self._lock:
            if change["name"] in ("status_filter", "state_filter"):
                self.page = 0
            self._render_view()

    @observe("page")
    def _page_changed(self, _change: dict[str, Any]) -> None:
        with self._lock:
            self._render_view()

    @validate("page_size")
    def _check_page_size(self, proposal: Any) -> int:
        return max(0, int(proposal["value"]))

    def _passes(self, item: TaskItem) -> bool:
        if self.status_filter and (item.status or _NO_STATUS) != self.status_filter:
            return False
        if self.state_filter == "live":
            return item.live
        if self.state_filter == "running":
            return item.state in ("running", "working")
        return not self.state_filter or item.state == self.state_filter

    def _render_view(self) -> None:
        if not hasattr(self, "rows_box"):
            return
        items = [item for item in self._items.values() if self._passes(item)]
        items.sort(key=sort_key(self.sort_by), reverse=self.sort_reverse)
        self._view = [item.id for item in items]
        size = self.page_size or max(len(items), 1)
        pages = max(1, -(-len(items) // size))
        if self.page >= pages:
            self.page = pages - 1  # re-enters through _page_changed
            return
        shown = items[self.page * size : (self.page + 1) * size]
        while len(self._pool) < len(shown):
            item = shown[len(self._pool)]
            self._pool.append(TaskRow(self._look, self._act, item, item.id in self._log_files))
        rows = self._pool[: len(shown)]
        for row, item in zip(rows, shown):
            row.bind(item, item.id in self._log_files)
        if list(self.rows_box.children) != rows:
            self.rows_box.children = tuple(rows)
        self._render_pager(pages, len(items))
        self._render_header()

    def _render_pager(self, pages: int, count: int) -> None:
        self.previous_button.disabled = self.page <= 0
        self.next_button.disabled = self.page >= pages - 1
        total = len(self._items)
        shown = f"{count} of {total} tasks" if count != total else f"{total} tasks"
        self.page_label.value = f"&nbsp;page {self.page + 1} of {pages} · {_escape(shown)}&nbsp;"
        self.pager.layout.display = "flex" if pages > 1 else "none"
        if pages <= 1 and not count:
            self.pager.layout.display = "flex"

    def _render_header(self) -> None:
        for key, button in self.header_buttons.items():
            label = dict((k, text) for k, text, _ in COLUMNS)[key]
            arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_by else ""
            if button.description != label + arrow:
                button.description = label + arrow

    def _turn(self, step: int) -> None:
        self.page = max(0, self.page + step)

    def _update_banner(self) -> None:
        parts: list[str] = []
        if self._tmux_error:
            parts.append(_error_div(f"tmux: {self._tmux_error}"))
        if self._tasks_error:
            parts.append(_error_div(self._tasks_error))
        problems = self._tasks.problems if self._tasks is not None else []
        for problem in problems[:5]:
            parts.append(
                f"<div style='color:var(--jp-warn-color1, #f57c00)'>skipped {_escape(problem.path)}: "
                f"{_escape(problem.reason)}</div>"
            )
        if len(problems) > 5:
            parts.append(f"<div>… and {len(problems) - 5} more skipped files</div>")
        if self._tasks is not None and not self._items:
            folders = _escape(", ".join(self.sessions.tasks_dirs))
            root = _escape(self.sessions.root_dir)
            parts.append(f"<div>No tasks: no *.md files under {folders} in {root}, and no sessions.</div>")
        text = "".join(parts)
        self.banner = text
        if self.banner_html.value != text:
            self.banner_html.value = text

    # -- the log viewer -------------------------------------------------------------------------

    @observe("log_task")
    def _log_task_changed(self, _change: dict[str, Any]) -> None:
        with self._lock:
            self._log_signature = None
            self.log_panel.layout.display = "flex" if self.log_task else "none"
            if not self.log_task:
                self.log_html.value = ""
                self.log_title.value = ""
            self._refresh_log(force=True)

    def _refresh_log(self, force: bool = False) -> None:
        task_id = self.log_task
        if not task_id or not hasattr(self, "log_html"):
            return
        try:
            path = self.sessions.log_path(task_id)
            signature = tuple(_stat(p) for p in (path, path.with_name(path.name + ".1")))
            if not force and signature == self._log_signature:
                return
            self._log_signature = signature
            text = tail_text(path, LOG_LINES, LOG_BYTES)
        except Exception as error:
            text, body = "", _error_div(_error_text(error))
        else:
            body = (
                "<div style='display:flex;flex-direction:column-reverse;max-height:320px;overflow:auto;"
                "border:1px solid var(--jp-border-color2, #ccc);background:var(--jp-layout-color1, #fff)'>"
                "<pre class='jc-log' style='margin:0;padding:4px;font-size:12px;line-height:1.3'>"
                f"{_escape(text) if text else '(no output yet)'}</pre></div>"
            )
        item = self._items.get(task_id)
        badge = f" · {_escape(item.badge)}" if item else ""
        title = f"<b>Log of {_escape(task_id)}</b>{badge} · last {LOG_LINES} lines, refreshing"
        with self.log_html.hold_sync():
            self.log_html.value = body
        if self.log_title.value != title:
            self.log_title.value = title

    @staticmethod
    def _descendants(widget: widgets.Widget) -> Iterator[widgets.Widget]:
        for child in getattr(widget, "children", ()):
            if isinstance(child, TaskRow):
                continue
            yield from TaskTable._descendants(child)
            yield child


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


def tail_text(path: Path, lines: int = LOG_LINES, max_bytes: int = LOG_BYTES) -> str:
    """The last ``lines`` lines of a task log (at most ``max_bytes`` read), escape sequences removed."""
    data = b""
    for part in (path, path.with_name(path.name + ".1")):
        if len(data) >= max_bytes:
            break
        try:
            with part.open("rb") as log:
                size = log.seek(0, 2)
                want = max_bytes - len(data)
                log.seek(max(0, size - want))
                data = log.read(want) + data
        except OSError:
            continue
    text = strip_ansi(data.decode("utf-8", errors="replace"))
    # A bare carriage return redraws the line: keep what was drawn last.
    shown = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.rstrip("\n").split("\n")]
    return "\n".join(shown[-lines:])


__all__ = [
    "REFRESHER",
    "Refresher",
    "TaskItem",
    "TaskRow",
    "TaskTable",
    "merge_items",
    "sort_key",
    "tail_text",
]
