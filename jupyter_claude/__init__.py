"""jupyter-claude: one coding-agent session per task, in tmux, from JupyterLab, notebooks, REST and a CLI.

The package is layered: ``core`` (everything shared), ``workflow`` (the built-in run-task workflow),
and the front ends ``server``, ``notebook`` and ``cli`` over them; imports only go down. The public
API is imported lazily so that light users (the CLI, hook commands run inside panes) start fast::

    from jupyter_claude import ClaudeSessions, InvalidTaskId
    sessions = ClaudeSessions()
    sessions.start("42")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ClaudeSessions": ".core.manager",
    "Session": ".core.session",
    "Task": ".core.tasks",
    "TaskIndex": ".core.tasks",
    "ClaudeSessionsError": ".core.errors",
    "InvalidTaskId": ".core.errors",
    "InvalidSetting": ".core.errors",
    "LandRefused": ".core.errors",
    "LogUnavailable": ".core.errors",
    "NoCommandConfigured": ".core.errors",
    "SessionNotFound": ".core.errors",
    "TmuxError": ".core.errors",
    "TmuxNotFound": ".core.errors",
    "TmuxUnreachable": ".core.errors",
    "WorktreeNotFound": ".core.errors",
    "InputRefused": ".core.errors",
    "TaskNotFound": ".core.errors",
    "TaskConflict": ".core.errors",
    "TaskNotEditable": ".core.errors",
    "NotPending": ".core.permissions",
    "PendingRequest": ".core.permissions",
    "WaitTimeout": ".core.interaction",
    "validate_task_id": ".core.ids",
    "is_valid_task_id": ".core.ids",
    "TaskTable": ".notebook.table",
}

__all__ = [
    "ClaudeSessions",
    "ClaudeSessionsError",
    "InputRefused",
    "InvalidSetting",
    "InvalidTaskId",
    "LandRefused",
    "LogUnavailable",
    "NoCommandConfigured",
    "NotPending",
    "PendingRequest",
    "Session",
    "SessionNotFound",
    "Task",
    "TaskConflict",
    "TaskIndex",
    "TaskNotEditable",
    "TaskNotFound",
    "TaskTable",
    "TmuxError",
    "TmuxNotFound",
    "TmuxUnreachable",
    "WaitTimeout",
    "WorktreeNotFound",
    "__version__",
    "is_valid_task_id",
    "load_ipython_extension",
    "validate_task_id",
]

if TYPE_CHECKING:
    from .core.errors import (
        ClaudeSessionsError,
        InputRefused,
        InvalidSetting,
        InvalidTaskId,
        LandRefused,
        LogUnavailable,
        NoCommandConfigured,
        SessionNotFound,
        TaskConflict,
        TaskNotEditable,
        TaskNotFound,
        TmuxError,
        TmuxNotFound,
        TmuxUnreachable,
        WorktreeNotFound,
    )
    from .core.ids import is_valid_task_id, validate_task_id
    from .core.interaction import WaitTimeout
    from .core.manager import ClaudeSessions
    from .core.permissions import NotPending, PendingRequest
    from .core.session import Session
    from .core.tasks import Task, TaskIndex
    from .notebook.table import TaskTable


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_claude``: register the ``%claude`` magic."""
    from .notebook.magic import load_ipython_extension as load

    load(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the built JupyterLab extension lives (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "jupyter-claude"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The Jupyter server extension (imported only when a server loads it)."""
    from .server.app import ClaudeExtension

    return [{"module": "jupyter_claude.server.app", "app": ClaudeExtension}]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_claude' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
