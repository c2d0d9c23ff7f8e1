"""``TaskTable``: the notebook widget that lists tasks with a live session badge and Run/Stop/Attach/Log/Diff,
and a ⚠ on tasks whose branches would conflict.

It calls :class:`~jupyter_claude.core.manager.ClaudeSessions` directly, in the kernel, so it agrees with
the CLI, the Jupyter server and JupyterLab because tmux is the one source of truth.

How it stays live and cheap:

* ONE background :class:`~.refresher.Refresher` thread per kernel serves every open table.
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

import getpass
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Int, Unicode, observe, validate

from ..core import vocabulary
from ..core.errors import ClaudeSessionsError
from ..core.manager import ClaudeSessions
from ..core.permissions import NotPending
from ..core.session import Session
from ..core.tasks import TaskIndex
from . import batch
from .html import banner_html, error_div, error_text, escape
from .items import COLUMNS, NO_STATUS, STATE_FILTERS, TaskItem, merge_items, passes, sort_key
from .logpanel import LogPanel
from .refresher import REFRESHER, Refresher
from .review import ConflictWatch, DiffPanel
from .row import TaskRow, _SharedLook

logger = logging.getLogger(__name__)

#: Seconds between two re-reads of the task files (the Refresh button re-reads at once).
TASK_RESCAN_INTERVAL = 5.0


class TaskTable(batch.BatchActions, widgets.VBox):  # type: ignore[misc]
    """Every task with its live session badge and Run / Stop / Attach / Log buttons.

    ``TaskTable()`` reads the tasks under ``ClaudeSessions.from_config().tasks_dirs`` (relative to the current
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
            sessions = ClaudeSessions.from_config()
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
        tools = batch.toolbar(self, [self.status_dropdown, self.state_dropdown, self.refresh_button])
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
        self.log_panel = LogPanel(self.close_log)
        # The viewer's parts, by the names the table has always given them.
        self.log_title, self.log_html = self.log_panel.title_html, self.log_panel.text_html
        self.log_close_button = self.log_panel.close_button
        self.diff_panel = DiffPanel(lambda: self.diff_panel.show(None, ""))
        self._review = ConflictWatch()
        super().__init__(
            [
                widgets.HBox(tools),
                self.banner_html,
                # Header and rows scroll sideways together when the notebook is narrower.
                widgets.VBox(
                    [
                        widgets.HBox(
                            batch.header_cells(list(self.header_buttons.values())),
                            layout=widgets.Layout(overflow="visible"),
                        ),
                        self.rows_box,
                    ],
                    layout=widgets.Layout(overflow="auto"),
                ),
                self.pager,
                self.log_panel,
                self.diff_panel,
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
                self._review.update(self.sessions, self._sessions)
            elif error is not None:
                self._tmux_error = error_text(error)
            self._apply()
            self._refresh_log()

    def show_refresh_error(self, error: BaseException) -> None:
        """Show in the banner that a refresh failed (the refresher calls it; never raises)."""
        text = error_div(f"refreshing failed: {error_text(error)}")
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

    def show_diff(self, task_id: str) -> None:
        """What the Diff button does: the task's changes below the table."""
        self._act("diff", task_id)

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
            for child in (row.cells, row.select_box, *row.buttons.values()):
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
                        message += "; " + vocabulary.terminal_line(
                            self.sessions.attach(task_id, session=session)
                        )
                    except Exception as error:  # the session runs; only the terminal failed
                        message += f"; could not open a terminal: {error_text(error)}"
                        failed = True
                self._log_files.add(task_id)
                self._set_message(task_id, message, failed, session)
            elif action == "stop":
                stopped = self.sessions.stop(task_id)
                message = "stopped" if stopped else "was not running"
                self._set_message(task_id, message, False, None, stop=True)
            elif action == "attach":
                self._set_message(task_id, vocabulary.terminal_line(self.sessions.attach(task_id)), False)
            elif action in ("allow", "deny"):
                self._answer(task_id, action)
            elif action == "diff":
                self.diff_panel.show(self.sessions, task_id)
            elif action in ("select", "unselect"):
                self._tick(task_id, action == "select")
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
            self._set_message(task_id, f"{action} failed: {error_text(error)}", True)

    def _answer(self, task_id: str, decision: str) -> None:
        """Answer the permission request the row shows (not a newer one it has not shown yet)."""
        item = self._items.get(task_id)
        if item is None or not item.request:
            self._set_message(task_id, "the agent asks for nothing now", True)
            return
        message = "" if decision == "allow" else "Denied from the notebook."
        try:
            self.sessions.answer(
                task_id, item.request, decision, message, by=f"notebook ({getpass.getuser()})"
            )
        except NotPending:
            self._set_message(task_id, "that request was answered elsewhere", True)
            return
        verb = "allowed" if decision == "allow" else "denied"
        self._set_message(task_id, f"{verb} {item.asks}", False)
        self.refresh()

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
            self._tasks_error = f"cannot read the task files: {error_text(error)}"
            return
        self._tasks_error = ""
        self._usage = batch.tasks_usage(self.sessions, self._tasks)  # stopped tasks' too
        self._log_files = {task.id for task in self._tasks.tasks if task.valid and self._log_exists(task.id)}
        statuses = sorted({task.status or NO_STATUS for task in self._tasks.tasks})
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
        notes, (ticked, usage) = self._review.notes(), self._marks()
        items = merge_items(self._tasks, self._sessions, self._messages, prefix, notes, ticked, usage)
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
        return passes(item, self.status_filter, self.state_filter)

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
        self.page_label.value = f"&nbsp;page {self.page + 1} of {pages} · {escape(shown)}&nbsp;"
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
        text = banner_html(
            self._tmux_error,
            self._tasks_error,
            self._tasks.problems if self._tasks is not None else [],
            None
            if self._tasks is None or self._items
            else (self.sessions.tasks_dirs, self.sessions.root_dir),
        )
        self.banner = text
        if self.banner_html.value != text:
            self.banner_html.value = text

    # -- the log viewer -------------------------------------------------------------------------

    @observe("log_task")
    def _log_task_changed(self, _change: dict[str, Any]) -> None:
        with self._lock:
            self.log_panel.show(self.log_task)
            self._refresh_log(force=True)

    def _refresh_log(self, force: bool = False) -> None:
        task_id = self.log_task
        if not task_id or not hasattr(self, "log_panel"):
            return
        try:
            path: Path | None = self.sessions.log_path(task_id)
        except Exception:
            path = None
        item = self._items.get(task_id)
        session = next((s for s in self._sessions if s.id == task_id), None)
        size = (session.cols, session.rows) if session and session.cols and session.rows else None
        self.log_panel.refresh(path, task_id, item.badge if item else None, force, size)

    @staticmethod
    def _descendants(widget: widgets.Widget) -> Iterator[widgets.Widget]:
        for child in getattr(widget, "children", ()):
            if isinstance(child, TaskRow):
                continue
            yield from TaskTable._descendants(child)
            yield child


__all__ = ["TaskTable"]
