"""The TaskTable's data: one :class:`TaskItem` per row (a task file merged with its session),
how rows sort and filter. Pure logic: no widgets, no tmux."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import figures, vocabulary
from ..core.session import Session, pair_tasks_with_sessions
from ..core.tasks import TaskIndex

#: Column key, header label, width in pixels.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "ID", 130),
    ("title", "Title", 240),
    ("status", "Status", 120),
    ("priority", "Priority", 100),
    ("session", "Session", 140),
    ("usage", "Usage", 230),
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
    #: The agent's pending permission request: its id, and one line about it ("Bash: rm -rf build").
    request: str = ""
    asks: str = ""
    #: "⚠ conflicts with …" when the task's branch would conflict, else "".
    conflict: str = ""
    #: The task's usage (the Session JSON shape), None before its first model turn.
    usage: dict[str, Any] | None = None
    #: Ticked for "Run selected".
    selected: bool = False

    @property
    def usage_text(self) -> str:
        """The usage cell: "$0.42 · 12.3k tokens · 14 turns" ("" before the first turn)."""
        return figures.usage_line(self.usage)

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
    selected: Collection[str] = (),
    usage: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, TaskItem]:
    """Tasks merged with their sessions (sessions without a task file become rows too), by id;
    ``conflicts`` gives the ⚠ line of the tasks in a conflict; ``selected``: the ticked ones;
    ``usage``: what tasks used, for those whose session has none."""
    items: dict[str, TaskItem] = {}
    conflicts = conflicts or {}
    for task, session in pair_tasks_with_sessions(tasks.tasks if tasks is not None else [], sessions, prefix):
        if session is None:  # a task whose id fails the gate: it has no session
            assert task is not None
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
            continue
        message, is_error = messages.get(session.id, ("", False))
        items[session.id] = TaskItem(
            id=session.id,
            title=task.title if task else session.id,
            status=task.status if task else None,
            priority=task.priority if task else None,
            path=task.path if task else None,
            state=session.state,
            badge=session.badge + vocabulary.log_note(session.log_health),
            message=message,
            message_is_error=is_error,
            request=_request(session),
            asks=_asks(session),
            conflict=conflicts.get(session.id, ""),
            usage=session.usage.to_json() if session.usage is not None else (usage or {}).get(session.id),
            selected=session.id in selected,
        )
    return items


def _request(session: Session) -> str:
    """The id of the agent's pending permission request ("" for none)."""
    return session.pending["request"] if session.pending else ""


def _asks(session: Session) -> str:
    """The agent's pending permission request in one line: "Bash: rm -rf build" ("" for none)."""
    return f"{session.pending['tool']}: {session.pending['summary']}" if session.pending else ""


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
    if column == "usage":
        return lambda item: (-((item.usage or {}).get("cost") or 0.0), natural(item.id))
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
