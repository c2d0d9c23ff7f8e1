"""With ``resume_after_limit`` on, the server lists the sessions every few seconds even while nobody
watches them, so that an agent whose rate limit has reset gets its "continue" (the listing sends it:
:mod:`jupyter_claude.core.limits`). Without that setting nothing runs here."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ..core.errors import ClaudeSessionsError
from ..core.manager import ClaudeSessions
from .background import run_blocking

#: Seconds between two listings made for the resume (one tmux call each).
KEEPER_INTERVAL = 10.0


class LimitKeeper:
    """Lists the sessions every :data:`KEEPER_INTERVAL` seconds while ``resume_after_limit`` is on."""

    def __init__(self, manager: ClaudeSessions, log: Any, interval: float | None = None) -> None:
        self.manager = manager
        self.log = log
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start listing in the background (needs a running event loop)."""
        if self._task is None and self.manager.resume_after_limit:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop listing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval if self.interval is not None else KEEPER_INTERVAL)
            try:
                await run_blocking(self.manager.list)
            except ClaudeSessionsError:
                pass  # tmux gone or no server yet: nothing to resume
            except Exception:  # a bug must not stop the keeper
                self.log.exception("jupyter-claude: listing sessions for resume_after_limit failed")
