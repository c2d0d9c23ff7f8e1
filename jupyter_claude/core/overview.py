"""The task listing every front end shows (``GET claude/tasks``): task rows merged with sessions.

A row is a task file's JSON (:meth:`.tasks.Task.to_json`) plus its ``session`` (a stopped Session
when none runs, None for an invalid id or while session states are unknown); a session with no
task file gets a row of its own (``path`` None). At 10,000 task files the listing must cost little
more than stat-ing them, so what depends only on a version of a file is made once: each task's
row with no live session is kept as JSON text, per field selection, on the task itself
(:attr:`.tasks.Task.memo`), and a listing joins those texts; only rows with a live session are
encoded afresh.

``fields`` keeps only the named row keys (``id`` always): a compact listing. Without ``session``
among them the reply lists the sessions tmux has once, under ``sessions``, instead of a stopped
Session per row. ``query`` keeps the rows whose id, title, status, priority or body contains it
(any case): the body text stays on the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .session import Session, pair_tasks_with_sessions
from .tasks import MAX_FIELD, Task, TaskIndex

#: Every key of a row, in the order rows carry them.
ROW_FIELDS = (
    "id",
    "title",
    "status",
    "priority",
    "path",
    "metadata",
    "valid",
    "invalid_reason",
    "version",
    "session",
)

#: Longest text search accepted.
MAX_QUERY = MAX_FIELD


def parse_fields(text: str | None) -> tuple[str, ...] | None:
    """``"id,title"`` → the known row keys it names in row order (``id`` always); None: all.

    Raises ValueError naming an unknown key.
    """
    if text is None:
        return None
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(ROW_FIELDS))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}: fields are {', '.join(ROW_FIELDS)}")
    return tuple(name for name in ROW_FIELDS if name in wanted or name == "id")


def orphan_row(session: Session) -> dict[str, Any]:
    """The row of a session that has no task file."""
    return {
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


def overview(
    index: TaskIndex,
    sessions: Sequence[Session],
    prefix: str,
    sessions_error: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The listing as Python data (the CLI's ``tasks --json``, the notebook)."""
    rows: list[dict[str, Any]] = []
    for task, session in pair_tasks_with_sessions(index.tasks, sessions, prefix):
        if task is not None:
            shown = session.to_json() if session and sessions_error is None else None
            rows.append({**task.to_json(), "session": shown})
        elif session is not None:
            rows.append(orphan_row(session))
    result: dict[str, Any] = {"tasks": rows, "problems": [p.to_json() for p in index.problems]}
    if sessions_error is not None:
        result["sessions_error"] = sessions_error
    return result


def overview_text(
    index: TaskIndex,
    sessions: Sequence[Session],
    prefix: str,
    sessions_error: dict[str, str] | None = None,
    fields: tuple[str, ...] | None = None,
    query: str | None = None,
) -> str:
    """The listing as the JSON text ``GET claude/tasks`` sends (see the module's docstring)."""
    needle = (query or "").lower()
    known = sessions_error is None
    parts: list[str] = []
    for task, session in _pairs(index.tasks, sessions, prefix, needle):
        if task is None:
            assert session is not None
            parts.append(_encode(_project(orphan_row(session), fields)))
        elif session is not None and known and (session.state != "stopped" or session.usage is not None):
            parts.append(_encode(_project({**task.to_json(), "session": session.to_json()}, fields)))
        else:
            parts.append(_quiet_row(task, prefix if known else None, fields))
    head = {"problems": [problem.to_json() for problem in index.problems]}
    if fields is not None and "session" not in fields:
        head["sessions"] = [session.to_json() for session in sessions] if known else []
    if sessions_error is not None:
        head["sessions_error"] = sessions_error  # type: ignore[assignment]
    rest = _encode(head)[1:]  # '"problems": [...], ...}'
    return '{"tasks": [' + ", ".join(parts) + "], " + rest


class LastListing:
    """The last listing's text, given again while nothing it was made from changed (the same
    index object, equal sessions, the same selection): a warm listing then costs the stat of the
    files and one tmux call."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._text = ""

    def text(
        self,
        index: TaskIndex,
        sessions: Sequence[Session],
        prefix: str,
        sessions_error: dict[str, str] | None = None,
        fields: tuple[str, ...] | None = None,
        query: str | None = None,
    ) -> str:
        """:func:`overview_text`, or the same text as last time when its inputs are the same."""
        key = (index, list(sessions), prefix, sessions_error, fields, query)
        last = self._key
        if last is not None and last[0] is index and last[1:] == key[1:]:
            return self._text
        text = overview_text(index, sessions, prefix, sessions_error, fields, query)
        self._key, self._text = key, text
        return text


def _pairs(
    tasks: Iterable[Task], sessions: Sequence[Session], prefix: str, needle: str
) -> Iterable[tuple[Task | None, Session | None]]:
    """Each task (matching the search) with its live session or None, then the bare sessions."""
    by_id = {session.id: session for session in sessions}
    for task in tasks:
        session = by_id.pop(task.id, None) if task.valid else None
        if not needle or needle in task.search_text:
            yield task, session
    for session in by_id.values():
        if not needle or needle in session.id.lower():
            yield None, session


def _quiet_row(task: Task, prefix: str | None, fields: tuple[str, ...] | None) -> str:
    """A task's row with no live session (a stopped one, or None when ``prefix`` is None: states
    unknown), encoded once per version of the task, field selection and prefix."""
    key = ("row", prefix, fields)
    text = task.memo.get(key)
    if text is None:
        if prefix is None or not task.valid:
            session = None
        else:
            session = Session(id=task.id, name=prefix + task.id).to_json()
        text = task.memo[key] = _encode(_project({**task.to_json(), "session": session}, fields))
    return str(text)


def _project(row: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    return row if fields is None else {name: row[name] for name in fields}


def _encode(value: Any) -> str:
    """JSON as Tornado writes it (``</`` escaped, so no text can close a script tag)."""
    return json.dumps(value).replace("</", "<\\/")
