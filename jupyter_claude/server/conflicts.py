"""Conflicts between tasks pushed on ``claude/events``: ``{"type": "conflicts", ...}`` when they change.

The events watcher tells :class:`ConflictsNotifier` after each of its ticks. It checks again (off
the event loop, in the background) only when something a conflict depends on may have changed
(:class:`~jupyter_claude.core.conflicts.ReviewTrigger`: a session's ``ahead`` count, an agent's turn
ending, the repository's refs or worktrees changing on disk), and when the watcher starts. The check
itself is the manager's, cached by commit ids; a report is pushed only when its conflicts differ from
the last ones pushed (none at first: clients read the initial state with ``GET claude/conflicts``).
Listeners that join get the last report pushed after their snapshot. So a quiet steady state costs a
few ``stat`` calls per tick and no git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.conflicts import ReviewTrigger, git_dir_of
from ..core.manager import ClaudeSessions
from ..core.session import Session
from .background import background, run_blocking
from .events import Listener, SessionEvent, SessionWatcher


class ConflictsNotifier:
    """Checks conflicts after the watcher's ticks that call for it; pushes them when they change."""

    def __init__(self, manager: ClaudeSessions, watcher: SessionWatcher, log: Any = None) -> None:
        self.manager = manager
        self.watcher = watcher
        self.log = log if log is not None else manager.log
        self.trigger = ReviewTrigger()
        #: The last conflicts message pushed (None before the first check).
        self.last: SessionEvent | None = None
        #: How many checks ran (for tests).
        self.checks = 0
        #: The conflicts last pushed: none until a first conflict is found (a client reads the
        #: initial state with GET claude/conflicts), so a repository without conflicts pushes nothing.
        self._last_key: list[dict[str, Any]] = []
        self._git_dir: tuple[str, Path | None] | None = None
        self._running = False
        self._again = False
        watcher.observers.append(self.after_tick)

    def after_tick(self, first: bool, current: dict[str, Session], joining: list[Listener]) -> None:
        """Give joiners the last report, and check again when something may have changed."""
        if joining and self.last is not None:
            self.watcher.broadcast(self.last, joining)
        if self._git_dir is None or self._git_dir[0] != str(self.manager.root_dir):
            self.check()  # which looks the repository up first, off the event loop
        elif self.trigger.due(self._git_dir[1], current.values()) or first:
            self.check()

    def check(self) -> None:
        """Check now, in the background (once more after the running check, if one runs)."""
        if self._running:
            self._again = True
            return
        self._running = True
        background(self._run())

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                root = str(self.manager.root_dir)
                if self._git_dir is None or self._git_dir[0] != root:
                    self._git_dir = (root, await run_blocking(git_dir_of, root))
                try:
                    report = await run_blocking(self.manager.conflicts)
                except Exception as error:  # a broken repository must not break the events
                    self.log.warning("jupyter-claude: checking conflicts failed: %s", error)
                    return
                self.checks += 1
                payload = report.to_json()
                if payload["conflicts"] != self._last_key:
                    self._last_key = payload["conflicts"]
                    self.last = SessionEvent("conflicts", payload=payload)
                    self.watcher.broadcast(self.last)
                if not self._again:
                    return
        finally:
            self._running = False
