"""One background thread per kernel that refreshes every open TaskTable.

Each tick it asks each distinct tmux server for its sessions once (``ClaudeSessions.list()``, a
single tmux call) and fans the answer out to the tables; it stops when the last table is closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from ..core.session import Session

logger = logging.getLogger(__name__)

#: Seconds between two refresher ticks (badges follow external changes within about this long).
REFRESH_INTERVAL = 0.5


class Refreshable(Protocol):
    """What the refresher needs from a table."""

    @property
    def sessions(self) -> Any:
        """The table's manager (``list()`` is called on one table per tmux server)."""

    def server_key(self) -> tuple[Any, ...]:
        """Which tmux server and prefix the table watches."""

    def refresh_from(self, listing: Sequence[Session] | None, error: BaseException | None = None) -> None:
        """Apply one listing."""

    def show_refresh_error(self, error: BaseException) -> None:
        """Show that a refresh failed."""


class Refresher:
    """One background thread per kernel that refreshes every open :class:`TaskTable`.

    Each tick costs one tmux call per distinct tmux server (usually one), whatever the number of
    tables and rows. The thread starts with the first table and ends when the last one closes.
    """

    def __init__(self, interval: float = REFRESH_INTERVAL) -> None:
        self.interval = interval
        self.ticks = 0
        self._tables: list[Refreshable] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the background thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def tables(self) -> list[Refreshable]:
        """The open tables it serves."""
        with self._lock:
            return list(self._tables)

    def register(self, table: Refreshable) -> None:
        """Serve ``table`` from now on (starts the thread if needed)."""
        with self._lock:
            if table not in self._tables:
                self._tables.append(table)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="jupyter-claude-refresher", daemon=True
                )
                self._thread.start()

    def unregister(self, table: Refreshable) -> None:
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

    def tick(self, tables: Sequence[Refreshable]) -> None:
        """Refresh ``tables`` now: one ``list()`` per tmux server, fanned out to every table."""
        self.ticks += 1
        groups: dict[tuple[Any, ...], list[Refreshable]] = {}
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
