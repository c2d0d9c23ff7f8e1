"""Errors every front end knows how to show: one sentence a person can act on, never a traceback."""

from __future__ import annotations


class ClaudeSessionsError(Exception):
    """Base of every error jupyter-claude raises on purpose."""

    #: Short machine-readable code, used as ``error`` in the REST API's JSON bodies.
    code = "error"


class InvalidTaskId(ClaudeSessionsError, ValueError):
    """A task id failed the gate; nothing was changed."""

    code = "invalid_task_id"


class TmuxNotFound(ClaudeSessionsError):
    """The tmux executable is not installed or not on PATH."""

    code = "tmux_not_found"


class TmuxError(ClaudeSessionsError):
    """tmux ran but refused a command (the message carries tmux's own words)."""

    code = "tmux_error"


class TmuxUnreachable(TmuxError):
    """The configured tmux socket cannot be reached (permissions, a missing directory)."""

    code = "tmux_unreachable"


class NoCommandConfigured(ClaudeSessionsError):
    """Neither a configured command nor a default one is available to start."""

    code = "no_command"


class InvalidSetting(ClaudeSessionsError, ValueError):
    """A setting or argument other than the task id is unusable (a cwd that is not a directory, ...)."""

    code = "bad_request"


class SessionNotFound(ClaudeSessionsError):
    """The task has no tmux session (start it first); nothing was changed."""

    code = "not_found"


class LogUnavailable(ClaudeSessionsError):
    """The task log folder cannot be created or written; nothing was started."""

    code = "log_unavailable"


class InputRefused(ClaudeSessionsError):
    """Typing into agents is turned off (the ``allow_input`` setting)."""

    code = "forbidden"


class WorktreeNotFound(ClaudeSessionsError):
    """The task has no worktree (a ``tw-start`` or custom command, or it was removed); nothing changed."""

    code = "not_found"


class TaskNotFound(ClaudeSessionsError, LookupError):
    """No task file has this id; nothing was changed."""

    code = "not_found"


class LandRefused(ClaudeSessionsError):
    """A task cannot land now (conflicts, a dirty checkout, ...); nothing was changed.

    ``paths`` names the files involved (the conflicting ones, the dirty ones).
    """

    code = "land_refused"

    def __init__(self, message: str, paths: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.paths = list(paths)

    def details(self) -> dict[str, list[str]]:
        """Fields the REST API adds to the error's JSON."""
        return {"paths": self.paths}


class TaskConflict(ClaudeSessionsError):
    """The task file changed since the caller read it, or a new task's id is taken; nothing was
    changed (read it again and retry)."""

    code = "conflict"


class TaskNotEditable(ClaudeSessionsError):
    """The task file's front matter holds the value in a form that cannot be rewritten exactly
    (edit it by hand); nothing was changed."""

    code = "not_editable"
