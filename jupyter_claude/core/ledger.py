"""What a listing adds to each session beyond tmux: the task's usage, the limit its agent is stopped
by, its place in the launch queue; and the opt-in "continue" once a limit has reset (:class:`Resumer`,
typing as ``ClaudeSessions.send`` does).

The manager keeps one :class:`Ledger` per repository root: its :class:`~.usage.UsageBook` reads
only what is new in each transcript, so a listing stays one tmux call plus what was appended.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import limits
from .entries import epoch_of
from .errors import ClaudeSessionsError
from .interaction import send_commands
from .limits import Limit, claim_resume_commands
from .prices import PriceTable
from .queue import positions
from .session import Session
from .spawn import iso
from .tasks import TaskIndex
from .tmux import TmuxServer, exact_pane
from .usage import UsageBook

#: The reason shown when the agent reported a limit but recorded no words for it.
REPORTED = "the agent reported a rate or usage limit"
#: The reason shown when only the screen shows a limit (agents without hooks or transcripts).
ON_SCREEN = "the agent's screen shows a rate or usage limit"


class Ledger:
    """Usage, limits and queue places for one repository root's sessions."""

    def __init__(self, root_dir: str, log: Any) -> None:
        self.root_dir = root_dir
        self.log = log
        self.book = UsageBook(root_dir, log)
        self.resumer = Resumer(log)
        self._prices_key: str | None = None
        self._prices = PriceTable.from_setting({})

    @classmethod
    def of_root(cls, ledger: Ledger | None, root_dir: str, log: Any) -> Ledger:
        """``ledger`` when it keeps ``root_dir``'s sessions, else a new one."""
        return ledger if ledger is not None and ledger.root_dir == root_dir else cls(root_dir, log)

    def prices(self, setting: Any) -> PriceTable:
        """The price table of the ``prices`` setting (built again only when it changed); its
        problems are logged once."""
        try:
            key = json.dumps(setting, sort_keys=True, default=repr)
        except (TypeError, ValueError):
            key = repr(setting)
        if key != self._prices_key:
            self._prices_key = key
            self._prices = PriceTable.from_setting(setting)
            for problem in self._prices.problems:
                self.log.warning("jupyter-claude: %s", problem)
        return self._prices

    def annotate(
        self,
        sessions: Sequence[Session],
        prices_setting: Any,
        tmux: TmuxServer | None = None,
        resume: bool = False,
    ) -> list[Session]:
        """``sessions`` with their usage, limit and queue place; with ``resume``, a limited agent
        whose limit has reset gets its "continue" (``tmux``: the server it runs on)."""
        found = self.book.read([session.id for session in sessions], self.prices(prices_setting))
        queued = [(s.name, s.queued_at) for s in sessions if s.queued_at is not None]
        places = positions(queued) if queued else {}
        shown = []
        for session in sessions:
            usage, recorded = found.get(session.id, (None, None))
            state, limit = self._limit(session, recorded)
            place = places.get(session.name)
            if (usage, limit, state, place) != (
                session.usage,
                session.limit,
                session.state,
                session.queue_position,
            ):
                session = dataclasses.replace(
                    session, usage=usage, limit=limit, state=state, queue_position=place
                )
            shown.append(session)
            if resume and tmux is not None and self.resumer.due(session.name, session.limit):
                assert session.limit is not None
                self.resumer.resume(tmux, session.name, session.limit)
        return shown

    def _limit(self, session: Session, recorded: Limit | None) -> tuple[str, Limit | None]:
        """The session's state and limit: the agent's report, its transcript's refusal record (an
        agent whose turn ended on a refusal is limited even when no hook said so), or the screen."""
        state = session.state
        if state not in ("limited", "idle"):
            return state, None
        if recorded is not None and recorded.recorded_at < epoch_of(session.started_at):
            recorded = None  # recorded before this run started: a restart leaves it behind
        if state == "idle":
            return ("limited", recorded) if recorded is not None else (state, None)
        if recorded is not None:
            return state, recorded
        return state, Limit(reason=REPORTED if session.agent == "claude" else ON_SCREEN)

    def stopped(
        self, index: TaskIndex, live: Sequence[Session], prefix: str, prices_setting: Any
    ) -> list[Session]:
        """A stopped Session with its usage for each task of ``index`` that has transcripts and no
        live session (the tasks without any cost nothing: their lists are looked up once)."""
        running = {session.id for session in live}
        wanted = []
        for task_id in sorted(self.book.listed() - running):
            task = index.get(task_id)
            if task is not None and task.valid:
                wanted.append(Session(id=task_id, name=prefix + task_id))
        return [session for session in self.annotate(wanted, prices_setting) if session.usage is not None]

    def report(
        self,
        index: TaskIndex,
        listing: Callable[[], Sequence[Session]],
        ids: Sequence[str],
        prefix: str,
        prices_setting: Any,
    ) -> list[dict[str, Any]]:
        """One row per task for ``sessions.usage()`` (``ids``, or every task file and session):
        its id, title, state, usage, limit and what could not be read."""
        titles = {task.id: task.title for task in index.tasks if task.valid}
        try:
            sessions = {session.id: session for session in listing()}
        except ClaudeSessionsError:  # tmux missing or failing: the transcripts still tell usage
            sessions = {}
        ids = list(dict.fromkeys(ids or [*titles, *sessions]))
        prices = self.prices(prices_setting)
        self.book.refresh(ids)
        rows = []
        for task_id in ids:
            session = sessions.get(task_id) or Session(id=task_id, name=prefix + task_id)
            usage = self.book.usage(task_id, prices)
            rows.append(
                {
                    "id": task_id,
                    "title": titles.get(task_id, task_id),
                    "state": session.state,
                    "usage": usage.to_json() if usage is not None else None,
                    "limit": session.limit.to_json() if session.limit is not None else None,
                    "problems": self.book.problems(task_id),
                }
            )
        return rows


class Resumer:
    """Sends "continue" to limited agents once their limit has reset (``resume_after_limit``)."""

    def __init__(self, log: Any, clock: Callable[[], float] = time.time) -> None:
        self.log = log
        self.clock = clock
        self._tried: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def due(self, name: str, limit: Limit | None) -> bool:
        """True when ``limit`` has reset (plus the margin) and this manager has not tried it yet."""
        if limit is None or limit.resets_at is None or not limit.key:
            return False
        if self.clock() < limit.resets_at + limits.RESUME_MARGIN:
            return False
        with self._lock:
            return (name, limit.key) not in self._tried

    def resume(self, tmux: TmuxServer, name: str, limit: Limit, wait: bool = False) -> threading.Thread:
        """Claim the limit and, when this call won it, type "continue" (in a thread: it pauses
        between closing Claude Code's limit dialog and typing)."""
        assert limit.key
        with self._lock:
            self._tried.add((name, limit.key))
        thread = threading.Thread(
            target=self._send, args=(tmux, name, limit), name="jupyter-claude-resume", daemon=False
        )
        thread.start()
        if wait:
            thread.join()
        return thread

    def _send(self, tmux: TmuxServer, name: str, limit: Limit) -> None:
        target = exact_pane(name)
        try:
            won = tmux.run(*claim_resume_commands(target, str(limit.key))).strip() == "won"
            if not won:
                return
            # Claude Code opens its limit dialog; Escape closes it (nothing happens without one).
            tmux.run(["send-keys", "-t", target, "Escape"])
            time.sleep(limits.DIALOG_PAUSE)
            tmux.run(*send_commands(target, limits.RESUME_TEXT))
        except Exception as error:  # a session stopped meanwhile, tmux gone: say so, never raise
            self.log.warning("jupyter-claude: could not resume %s after its limit: %s", name, error)
            return
        self.log.warning(
            "jupyter-claude: %s: the limit (%s) reset at %s: sent %r to the agent (resume_after_limit)",
            name,
            limit.reason,
            iso(limit.resets_at) if limit.resets_at is not None else "?",
            limits.RESUME_TEXT,
        )
