"""The manager's methods for what tasks cost and for starting many at once, kept out of
:mod:`.manager` (which stays readable in one sitting): ``usage()``, ``start_many()``, and the
:class:`~.ledger.Ledger` every listing goes through.

:class:`Accounting` is a base of :class:`~.manager.ClaudeSessions`; its methods use only what
:class:`ManagerParts` names of it.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .errors import InvalidSetting
from .ids import validate_task_id
from .ledger import Ledger
from .queue import queue_launches
from .session import Session
from .spawn import Launch
from .tasks import TaskIndex
from .tmux import TmuxServer


class ManagerParts(Protocol):
    """What :class:`Accounting` uses of the manager."""

    _ledger: Ledger | None

    @property
    def root_dir(self) -> str: ...
    @property
    def session_prefix(self) -> str: ...
    @property
    def prices(self) -> dict[str, Any]: ...
    @property
    def resume_after_limit(self) -> bool: ...
    @property
    def start_interval(self) -> float: ...
    @property
    def max_starting(self) -> int: ...
    @property
    def tmux(self) -> TmuxServer: ...
    @property
    def log(self) -> Any: ...
    @property
    def ledger(self) -> Ledger: ...
    def tasks(self) -> TaskIndex: ...
    def list(self) -> builtins.list[Session]: ...
    def _launch(self, task_id: str, cwd: str | None, command: builtins.list[str] | None) -> Launch: ...
    def _create(self, launch: Launch) -> Session: ...


class Accounting:
    """Usage, limits and the launch queue, as methods of the manager."""

    _ledger: Ledger | None = None

    @property
    def ledger(self: ManagerParts) -> Ledger:
        """Usage, limits and queue places of this root's sessions (kept between listings)."""
        ledger = self._ledger = Ledger.of_root(
            self._ledger, str(Path(self.root_dir).expanduser().resolve()), self.log
        )
        return ledger

    def _annotate(self: ManagerParts, sessions: builtins.list[Session]) -> builtins.list[Session]:
        """Sessions with their usage, limit and queue place ("continue" when a limit reset)."""
        return self.ledger.annotate(sessions, self.prices, self.tmux, self.resume_after_limit)

    def _stopped_usage(
        self: ManagerParts, index: TaskIndex, live: Sequence[Session]
    ) -> builtins.list[Session]:
        """The stopped tasks that used something: their rows show it."""
        return self.ledger.stopped(index, live, self.session_prefix, self.prices)

    def usage(self: ManagerParts, task_ids: Sequence[str] | None = None) -> builtins.list[dict[str, Any]]:
        """One dict per task (every task file and session, or ``task_ids``): id, title, state,
        ``usage`` (the Session shape; None before the first model turn), ``limit`` and the
        ``problems`` met reading its transcripts."""
        ids = [validate_task_id(task_id) for task_id in task_ids or ()]
        return self.ledger.report(self.tasks(), self.list, ids, self.session_prefix, self.prices)

    def start_many(
        self: ManagerParts,
        task_ids: Sequence[str],
        cwd: str | None = None,
        command: builtins.list[str] | None = None,
    ) -> builtins.list[Session]:
        """Create every task's session now, queued: their commands launch ``start_interval``
        seconds apart with at most ``max_starting`` agents starting at once (:mod:`.queue`).
        Live sessions are re-used as they are. Every id is checked before anything starts."""
        ids = list(dict.fromkeys(validate_task_id(task_id) for task_id in task_ids))
        if not ids:
            raise InvalidSetting("give at least one task id to start")
        launches = [self._launch(task_id, cwd, command) for task_id in ids]
        self.log.info("queued %s: launches %g s apart", ids, self.start_interval)
        queued = queue_launches(launches, self.session_prefix, self.start_interval, self.max_starting)
        return [self._create(launch) for launch in queued]
