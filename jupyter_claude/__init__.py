"""jupyter-claude: one coding-agent session per task, in tmux, from JupyterLab, notebooks, REST and a CLI.

The public API is imported lazily so that light users (the CLI, the log pipe, hook commands run
inside panes) start fast::

    from jupyter_claude import ClaudeSessions, InvalidTaskId
    sessions = ClaudeSessions()
    sessions.start("42")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ClaudeSessions": ".sessions",
    "Session": ".sessions",
    "Task": ".tasks",
    "TaskIndex": ".tasks",
    "ClaudeSessionsError": ".errors",
    "InvalidTaskId": ".errors",
    "InvalidSetting": ".errors",
    "NoCommandConfigured": ".errors",
    "TmuxError": ".errors",
    "TmuxNotFound": ".errors",
    "TmuxUnreachable": ".errors",
    "validate_task_id": ".ids",
    "is_valid_task_id": ".ids",
    "TaskTable": ".widget",
}

__all__ = [
    "ClaudeSessions",
    "ClaudeSessionsError",
    "InvalidSetting",
    "InvalidTaskId",
    "NoCommandConfigured",
    "Session",
    "Task",
    "TaskIndex",
    "TaskTable",
    "TmuxError",
    "TmuxNotFound",
    "TmuxUnreachable",
    "__version__",
    "is_valid_task_id",
    "load_ipython_extension",
    "validate_task_id",
]

if TYPE_CHECKING:
    from .errors import (
        ClaudeSessionsError,
        InvalidSetting,
        InvalidTaskId,
        NoCommandConfigured,
        TmuxError,
        TmuxNotFound,
        TmuxUnreachable,
    )
    from .ids import is_valid_task_id, validate_task_id
    from .sessions import ClaudeSessions, Session
    from .tasks import Task, TaskIndex
    from .widget import TaskTable


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_claude``: register the ``%claude`` magic."""
    from .magic import load_ipython_extension as load

    load(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the built JupyterLab extension lives (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "jupyter-claude"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The Jupyter server extension (imported only when a server loads it)."""
    from .app import ClaudeExtension

    return [{"module": "jupyter_claude.app", "app": ClaudeExtension}]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_claude' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
