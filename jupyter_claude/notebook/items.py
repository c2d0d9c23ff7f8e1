"""The TaskTable's data: one :class:`TaskItem` per row (a task file merged with its session),
how rows sort and filter. Pure logic: no widgets, no tmux."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import vocabulary
from ..core.session import Session, pair_tasks_with_sessions
from ..core.tasks import TaskIndex

#: Column key, header label, width in pixels.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "ID", 130),
    ("title", "Title", 240),
    ("status", "Status", 120),
    ("priority", "Priority", 100),
    ("session", "Session", 140),
)

#: The session filter's choices: (label, value).
STATE_FILTERS: tuple[tuple[str, str], ...] = (
    ("any session", ""),
    ("live (running, waiting, idle)", "live"),
    *(
        (vocabulary.badge(name), name)
        for name in ("running", "waiting", "idle", "limited", "exited", "stopped")
    ),
)

#: What the status filter calls tasks without a status.
NO_STATUS = "(no status)"


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
    badge: str = vocabulary.badge("stopped")
    message: str = ""
    message_is_error: bool = False
    #: "⚠ conflicts with …" when the task's branch would conflict, else "".
    conflict: str = ""

    @property
    def live(self) -> bool:
        """True while the session's command runs."""
        return self.state in vocabulary.LIVE_STATES


def merge_items(
    tasks: TaskIndex | None,
    sessions: Sequence[Session],
    messages: dict[str, tuple[str, bool]],
    prefix: str = "claude-",
    conflicts: dict[str, str] | None = None,
) -> dict[str, TaskItem]:
    """Tasks merged with their sessions (sessions without a task file become rows too), by id;
    ``conflicts`` gives the ⚠ line of the tasks in a conflict."""
    items: dict[str, TaskItem] = {}
    conflicts = conflicts or {}
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
                badge=vocabulary.INVALID,
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
                conflict=conflicts.get(task.id, ""),
            )
        elif session is not None:
            items[session.id] = TaskItem(
                id=session.id,
                title=session.id,
                state=session.state,
                badge=session.badge,
                message=message,
                message_is_error=is_error,
                conflict=conflicts.get(session.id, ""),
            )
    return items


def sort_key(column: str) -> Callable[[TaskItem], Any]:
    """The key that sorts rows by a column (ids and numbers in natural order)."""
    natural = vocabulary.natural_key
    if column == "title":
        return lambda item: (natural(item.title), natural(item.id))
    if column == "status":
        return lambda item: (item.status is None, (item.status or "").lower(), natural(item.id))
    if column == "priority":
        return lambda item: (vocabulary.priority_rank(item.priority), natural(item.id))
    if column == "session":
        return lambda item: (vocabulary.state_rank(item.state), natural(item.id))
    return lambda item: natural(item.id)


def passes(item: TaskItem, status_filter: str, state_filter: str) -> bool:
    """Whether a row passes the table's two filters."""
    if status_filter and (item.status or NO_STATUS) != status_filter:
        return False
    if state_filter == "live":
        return item.live
    if state_filter == "running":
        return item.state in ("running", "working")
    return not state_filter or item.state == state_filter
