"""What every handler of the API shares: the core objects, JSON errors, the id gate, the body.

Every error is ``{"error": code, "reason": sentence}``; core errors map to HTTP statuses by their
code (:data:`ERROR_STATUS`). Blocking core calls (a tmux invocation, a git command) run off the
event loop (:meth:`ClaudeMixin.call`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.client import responses
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..core.errors import ClaudeSessionsError, InvalidTaskId
from ..core.ids import validate_task_id
from ..core.manager import ClaudeSessions
from .background import run_blocking
from .events import SessionWatcher
from .stream import PaneStreams

AUTH_RESOURCE = "jupyter_claude:sessions"

#: HTTP status of each error code of the core (anything else is a 500).
ERROR_STATUS = {
    "invalid_task_id": 400,
    "bad_request": 400,
    "not_found": 404,
    "land_refused": 409,
    "tmux_not_found": 503,
    "no_command": 500,
    "tmux_error": 500,
    "tmux_unreachable": 500,
    "log_unavailable": 503,
    "conflict": 409,
    "forbidden": 403,
    "not_editable": 422,
}

#: Error code of plain HTTP errors (raised by Tornado or jupyter_server).
STATUS_CODE = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    503: "tmux_not_found",
}

#: Reason of plain HTTP errors that carry none.
DEFAULT_REASON = {
    403: "not authenticated or not authorized: send the server's token (Authorization: token ...) or log in",
    404: "no such route",
    405: "this method is not allowed on this route",
}

#: Largest request body the API reads (413 beyond it).
MAX_BODY_BYTES = 64 * 1024


class ClaudeError(web.HTTPError):
    """An HTTP error with the API's short error code."""

    def __init__(self, status: int, code: str, reason: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(status, "%s", reason)
        self.error_code = code
        self.error_reason = reason
        #: More fields for the JSON body (e.g. the ``paths`` of a refused land).
        self.details = details or {}


def bad_request(reason: str) -> ClaudeError:
    """A 400 ``bad_request``."""
    return ClaudeError(400, "bad_request", reason)


def http_error(error: ClaudeSessionsError) -> ClaudeError:
    """The HTTP form of a core error (with its ``details()``, when it has any)."""
    details = getattr(error, "details", None)
    extra = details() if callable(details) else None
    return ClaudeError(ERROR_STATUS.get(error.code, 500), error.code, str(error), extra)


class ClaudeMixin:
    """What every jupyter-claude handler shares: the core objects, JSON errors, the id gate."""

    auth_resource = AUTH_RESOURCE
    settings: dict[str, Any]
    log: Any

    @property
    def sessions(self) -> ClaudeSessions:
        """The server's one session manager."""
        return self.settings["claude_sessions"]  # type: ignore[no-any-return]

    @property
    def watcher(self) -> SessionWatcher:
        """The server's one events watcher."""
        return self.settings["claude_watcher"]  # type: ignore[no-any-return]

    @property
    def streams(self) -> PaneStreams:
        """The server's live pane streams."""
        return self.settings["claude_streams"]  # type: ignore[no-any-return]

    def valid_id(self, raw: str) -> str:
        """The task id from the URL (already percent-decoded), or a 400 before tmux is touched."""
        try:
            return validate_task_id(raw)
        except InvalidTaskId as error:
            raise http_error(error) from None

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking core call off the event loop; core errors become HTTP errors."""
        try:
            return await run_blocking(function, *args, **kwargs)
        except ClaudeSessionsError as error:
            raise http_error(error) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error as ``{"error": code, "reason": sentence}``."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        code = getattr(error, "error_code", None) or STATUS_CODE.get(status_code, "error")
        extra: dict[str, Any] = {}
        if isinstance(error, ClaudeError):
            reason, extra = error.error_reason, error.details
        elif isinstance(error, web.HTTPError) and error.log_message:
            reason = error.log_message % error.args if error.args else error.log_message
        elif isinstance(error, web.HTTPError) or error is None:
            reason = DEFAULT_REASON.get(status_code) or responses.get(status_code, "error")
        else:
            code, reason = "internal_error", "the server failed unexpectedly; see its log"
        handler: Any = self
        handler.set_header("Content-Type", "application/json")
        handler.finish(json.dumps({**extra, "error": code, "reason": reason}))


class ClaudeAPIHandler(ClaudeMixin, APIHandler):
    """Base of the REST handlers."""

    def body(self) -> dict[str, Any]:
        """The JSON object in the request body ({} when empty); 413 past MAX_BODY_BYTES."""
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise ClaudeError(
                413, "body_too_large", f"the request body is over {MAX_BODY_BYTES // 1024} KiB (the limit)"
            )
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad_request("the request body is not UTF-8 text") from None
        except (ValueError, RecursionError):
            raise bad_request("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        return body

    def option(self, body: dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
        """``body[key]`` when it is of the given type (or absent/null), else a 400."""
        value = body.get(key, default)
        if value is not None and not isinstance(value, kind):
            raise bad_request(f"{key!r} must be a {kind.__name__} or null")
        return value

    def user_name(self) -> str:
        """Who is asking, as the server's identity provider names them (for the audit trail)."""
        user: Any = getattr(self, "current_user", None)
        return str(getattr(user, "username", None) or getattr(user, "name", None) or "unknown")

    def command_override(self, task_id: str, body: dict[str, Any]) -> list[str] | None:
        """The ``cmd`` of a start request: refused unless allow_command_override; logged."""
        if body.get("cmd") is None:  # absent or null: not given (docs/api.md)
            return None
        if not self.sessions.allow_command_override:
            raise ClaudeError(
                403, "forbidden", "command overrides are off (c.ClaudeSessions.allow_command_override)"
            )
        command = body["cmd"]
        if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
            raise bad_request("'cmd' must be a non-empty JSON array of strings")
        self.log.warning(
            "jupyter-claude: command override for task %s by %s: %s",
            task_id,
            getattr(self.current_user, "username", "?"),
            command,
        )
        return command

    def not_allowed(self, verb: str) -> None:
        """A 405 whose reason names the right verb."""
        self.set_header("Allow", verb)
        raise ClaudeError(
            405, "method_not_allowed", f"use {verb} {self.request.path}: this route changes state"
        )
