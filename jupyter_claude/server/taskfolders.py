"""Task files made, moved or removed by anyone pushed on ``claude/events`` as ``{"type": "tasks"}``.

After each tick of the events watcher, one ``stat`` of each task folder: a file created, removed or
renamed in it (a card moved on another browser's board, ``jupyter claude new``, ``%claude move``, a
``git checkout``) changes the folder's modification time, and the listeners are told; front ends
then read ``GET claude/tasks`` again, which re-reads only the files that changed. An edit in place
that leaves the folder alone (an editor writing over the file) is seen at a front end's next
refresh. The first tick after the watcher starts only takes the baseline: a listener that joins
reads the task list itself.

File times come from a coarse clock (a few milliseconds): a file made in the same clock tick as the
last ``stat``, just after it, leaves the folder's time as it was. So a ``stat`` that finds a folder
changed within :data:`RACY_NS` of itself is not trusted, and the next tick pushes again whatever it
finds (at most one extra push after a change, never a missed one).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..core.manager import ClaudeSessions
from ..core.session import Session
from .events import Listener, SessionEvent, SessionWatcher

#: The one message, built once.
TASKS_CHANGED = SessionEvent("tasks", payload={})

#: A folder changed this recently (nanoseconds) may change again within the same clock tick.
RACY_NS = 50_000_000

#: A folder's identity and modification time (None: it does not exist or cannot be read).
Signature = tuple[tuple[str, int, int] | None, ...]


class TaskFoldersNotifier:
    """Tells the watcher's listeners when a task folder's entries change."""

    def __init__(self, manager: ClaudeSessions, watcher: SessionWatcher) -> None:
        self.manager = manager
        self.watcher = watcher
        self._last: Signature | None = None
        self._racy = False
        watcher.observers.append(self.after_tick)

    def signature(self) -> tuple[Signature, bool]:
        """One ``stat`` per task folder; and whether one of them changed too recently to trust."""
        root = Path(self.manager.root_dir).expanduser()
        found: list[tuple[str, int, int] | None] = []
        racy = False
        now = time.time_ns()
        for folder in self.manager.tasks_dirs:
            path = str(root / folder)
            try:
                info = os.stat(path)
            except OSError:
                found.append(None)
            else:
                found.append((path, info.st_ino, info.st_mtime_ns))
                racy = racy or now - info.st_mtime_ns < RACY_NS
        return tuple(found), racy

    def after_tick(self, first: bool, current: dict[str, Session], joining: list[Listener]) -> None:
        """Push ``tasks`` when a folder changed since the last tick (the first takes the baseline)."""
        now, racy = self.signature()
        if not first and self._last is not None and (now != self._last or self._racy):
            self.watcher.broadcast(TASKS_CHANGED)
        self._last, self._racy = now, racy
