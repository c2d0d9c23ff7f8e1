"""The ``Session`` record: what tmux knows about one task's session, as every front end shows it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import vocabulary
from .limits import Limit, iso
from .tasks import Task
from .usage import Usage


@dataclass(frozen=True)
class Session:
    """What tmux knows about one task's session (``state`` "stopped" when there is none).

    Sessions are frozen and may be shared between callers (the listing keeps unchanged ones):
    do not change their ``command`` list either.
    """

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
    #: The agent's pending permission request, summed up: {"request", "tool", "summary", "asked_at"}.
    pending: dict[str, str] | None = field(default=None, compare=True, hash=False)
    #: What the task's agent conversations have used so far (None before the first model turn),
    #: and the rate or usage limit its agent is stopped by (only while ``state`` is "limited").
    usage: Usage | None = None
    limit: Limit | None = None
    #: When the session was queued (epoch seconds) while its command waits for its turn to launch
    #: (``state`` "queued"), and its place in that queue (1 is next).
    queued_at: float | None = None
    queue_position: int | None = None
    #: True when the call that returned this session created or respawned it; not part of the JSON.
    created: bool = field(default=False, compare=False, repr=False)
    #: Where this run's output starts in the task log (its size when the command started), so a
    #: live view replays this run's screen, not earlier runs'; not part of the JSON.
    log_offset: int | None = field(default=None, compare=False, repr=False)

    @property
    def badge(self) -> str:
        """The state as people see it everywhere: "🟢 running", "🔴 exited (3)", "⚫ stopped"."""
        return vocabulary.badge(self.state, self.exit_status)

    @property
    def live(self) -> bool:
        """True while the session's command runs."""
        return self.state in vocabulary.LIVE_STATES

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
            "pending": self.pending,
            "usage": self.usage.to_json() if self.usage is not None else None,
            "limit": self.limit.to_json() if self.limit is not None else None,
            "queue": (
                {"position": self.queue_position, "since": iso(self.queued_at)}
                if self.queued_at is not None
                else None
            ),
        }

    @cached_property
    def json_text(self) -> str:
        """:meth:`to_json` as JSON text (``</`` escaped, as Tornado does), made once per session:
        the listing keeps unchanged sessions, so a repeated listing re-encodes only what changed."""
        return json.dumps(self.to_json(), separators=(",", ":")).replace("</", "<\\/")


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
