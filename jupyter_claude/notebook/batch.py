"""What a TaskTable does with several rows at once: "Run selected" (the sessions start queued, their
agents launch ``start_interval`` seconds apart) and the rows' usage as a pandas DataFrame (pandas
is optional: without it, one line says so)."""

from __future__ import annotations

import sys
import threading
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ..core.manager import ClaudeSessions
from ..core.session import Session
from ..core.tasks import TaskIndex
from .html import error_text
from .items import TaskItem

#: The DataFrame's columns (after the index, ``id``).
FRAME_COLUMNS = (
    "title",
    "status",
    "priority",
    "state",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "turns",
    "models",
    "working_seconds",
    "cost",
)

MISSING_PANDAS = "TaskTable.to_dataframe() needs pandas, which is not installed here: pip install pandas"


def toolbar(table: BatchActions, tools: list[widgets.Widget]) -> list[widgets.Widget]:
    """The table's tools followed by its "Run selected" button (disabled until a row is ticked);
    the selection starts empty, and so does the usage of stopped tasks."""
    table._selected = set()
    table._usage = {}
    button = table.run_selected_button = widgets.Button(
        description="Run selected",
        icon="play",
        disabled=True,
        tooltip="Start the ticked tasks: their agents launch start_interval seconds apart",
        layout=widgets.Layout(width="150px"),
    )
    button.on_click(lambda _button: table.run_selected())
    return [*tools, button]


def header_cells(buttons: list[widgets.Button]) -> list[widgets.Widget]:
    """The header row: a cell above the rows' checkboxes, the column buttons, "Actions"."""
    spacer = widgets.HTML("", layout=widgets.Layout(width="22px", flex="0 0 auto", margin="0"))
    return [spacer, *buttons, widgets.HTML("<b>&nbsp;Actions</b>")]


def tasks_usage(sessions: ClaudeSessions, index: TaskIndex) -> dict[str, dict[str, Any]]:
    """What each task has used (stopped ones included), by id, as the Session JSON shows it."""
    ledger = sessions.ledger
    placeholders = [
        Session(id=task.id, name=sessions.session_prefix + task.id) for task in index.tasks if task.valid
    ]
    shown = ledger.annotate(placeholders, sessions.prices)
    return {session.id: session.usage.to_json() for session in shown if session.usage is not None}


class BatchActions:
    """The TaskTable's actions on several rows (it provides the attributes named here)."""

    sessions: ClaudeSessions
    run_selected_button: widgets.Button
    _lock: threading.RLock
    _view: list[str]
    _selected: set[str]
    _usage: dict[str, dict[str, Any]]
    _log_files: set[str]

    @property
    def selected(self) -> list[str]:
        """The ticked tasks, in display order."""
        with self._lock:
            return [task_id for task_id in self._view if task_id in self._selected]

    def select(self, task_ids: Sequence[str], selected: bool = True) -> None:
        """Tick (or untick) tasks, as their rows' checkboxes do."""
        for task_id in task_ids:
            self._tick(task_id, selected)

    def run_selected(self) -> None:
        """What "Run selected" does: start the ticked tasks at once, queued (no terminal opens)."""
        ids = self.selected
        if not ids:
            return
        try:
            started, messages = start_selected(self.sessions, ids)
        except Exception as error:
            for task_id in ids:
                self._set_message(task_id, f"run failed: {error_text(error)}", True)
            return
        with self._lock:
            self._selected.clear()
            self._show_selection()
            for session in started:
                self._log_files.add(session.id)
                self._set_message(session.id, messages[session.id], False, session)

    def to_dataframe(self) -> Any:
        """Every row's task and usage as a pandas DataFrame (None, with one line, without pandas)."""
        return dataframe(self.items)

    def _marks(self) -> tuple[set[str], dict[str, dict[str, Any]]]:
        """What rows carry from here: the ticked tasks, and stopped tasks' usage."""
        return self._selected, self._usage

    def _tick(self, task_id: str, selected: bool) -> None:
        with self._lock:
            (self._selected.add if selected else self._selected.discard)(task_id)
            self._show_selection()
            self._apply()

    def _show_selection(self) -> None:
        count = len(self._selected)
        self.run_selected_button.disabled = count == 0
        self.run_selected_button.description = f"Run selected ({count})" if count else "Run selected"

    # What the mixin calls and TaskTable defines (declared here for the type checker).

    @property
    @abstractmethod
    def items(self) -> list[TaskItem]:
        """The table's rows (TaskTable.items)."""

    @abstractmethod
    def _set_message(
        self, task_id: str, message: str, is_error: bool, session: Session | None = None, stop: bool = False
    ) -> None:
        """Show a row's message (TaskTable._set_message)."""

    @abstractmethod
    def _apply(self) -> None:
        """Redraw the rows (TaskTable._apply)."""


def start_selected(sessions: ClaudeSessions, ids: Sequence[str]) -> tuple[list[Session], dict[str, str]]:
    """Start the selected tasks queued; returns the sessions and a message per task."""
    started = sessions.start_many(ids)
    messages = {}
    for session in started:
        if session.state == "queued":
            messages[session.id] = (
                f"queued (#{session.queue_position}): its agent launches when its turn comes"
                if session.queue_position
                else "queued: its agent launches when its turn comes"
            )
        else:
            messages[session.id] = "re-used: it was running"
    return started, messages


def dataframe(items: Sequence[TaskItem]) -> Any:
    """The rows' tasks and usage as a pandas DataFrame indexed by id; None (and one line on
    stderr) when pandas is not installed."""
    try:
        import pandas
    except ImportError:
        print(MISSING_PANDAS, file=sys.stderr)
        return None
    rows = []
    for item in items:
        usage = item.usage or {}
        rows.append(
            {
                "id": item.id,
                "title": item.title,
                "status": item.status,
                "priority": item.priority,
                "state": item.state,
                **{key: usage.get(key, 0) for key in FRAME_COLUMNS[4:9]},
                "models": ", ".join(usage.get("models", [])),
                "working_seconds": usage.get("working_seconds", 0.0),
                "cost": usage.get("cost") if item.usage else 0.0,
            }
        )
    frame = pandas.DataFrame(rows, columns=["id", *FRAME_COLUMNS])
    return frame.set_index("id")
