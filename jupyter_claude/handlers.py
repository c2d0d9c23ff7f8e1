"""The REST and WebSocket API of the Jupyter server extension (described in docs/api.md).

Every handler is a thin skin over the shared :class:`~jupyter_claude.sessions.ClaudeSessions`: it
checks the id and the body, runs the manager's (blocking) tmux call off the event loop and writes
JSON. Every verb is ``@web.authenticated`` + ``@authorized`` on ``jupyter_claude:sessions`` (GET read,
POST write); the websockets follow jupyter_server's kernel websocket: ``@ws_authenticated``, an
"execute" check, Tornado's origin check. State changes are POST only, so XSRF protects browsers that
authenticate with a cookie. Errors are always ``{"error": code, "reason": sentence}``.
The route table is at the bottom.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from http.client import responses
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.concurrent import Future
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .errors import ClaudeSessionsError, InvalidTaskId
from .ids import validate_task_id
from .logs import strip_ansi
from .stream import run_blocking

if TYPE_CHECKING:
    from .events import SessionEvent, SessionWatcher
    from .sessions import ClaudeSessions
    from .stream import PaneStreams

AUTH_RESOURCE = "jupyter_claude:sessions"

#: HTTP status of each error code of the core (anything else is a 500).
ERROR_STATUS = {
    "invalid_task_id": 400,
    "bad_request": 400,
    "not_found": 404,
    "tmux_not_found": 503,
    "no_command": 500,
    "tmux_error": 500,
    "tmux_unreachable": 500,
    "log_unavailable": 503,
}

#: Error code of plain HTTP errors (raised by Tornado or jupyter_server).
STATUS_CODE = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
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

#: A viewer whose socket is this far behind the pane is closed (it may reconnect for a fresh screen).
MAX_PENDING_BYTES = 8 * 1024 * 1024


class ClaudeError(web.HTTPError):
    """An HTTP error with the API's short error code."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(status, "%s", reason)
        self.error_code = code
        self.error_reason = reason


def bad_request(reason: str) -> ClaudeError:
    """A 400 ``bad_request``."""
    return ClaudeError(400, "bad_request", reason)


def http_error(error: ClaudeSessionsError) -> ClaudeError:
    """The HTTP form of a core error."""
    return ClaudeError(ERROR_STATUS.get(error.code, 500), error.code, str(error))


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
        if isinstance(error, ClaudeError):
            reason = error.error_reason
        elif isinstance(error, web.HTTPError) and error.log_message:
            reason = error.log_message % error.args if error.args else error.log_message
        elif isinstance(error, web.HTTPError) or error is None:
            reason = DEFAULT_REASON.get(status_code) or responses.get(status_code, "error")
        else:
            code, reason = "internal_error", "the server failed unexpectedly; see its log"
        handler: Any = self
        handler.set_header("Content-Type", "application/json")
        handler.finish(json.dumps({"error": code, "reason": reason}))


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


class TasksHandler(ClaudeAPIHandler):
    """``GET claude/tasks``: task files merged with live sessions."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Tasks, sessions without a task file, and the files that could not be read."""
        self.finish(await self.call(self.sessions.overview))


class SessionsHandler(ClaudeAPIHandler):
    """``GET claude/sessions``: every session of ours."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """All sessions, live and exited."""
        sessions = await self.call(self.sessions.list)
        self.finish({"sessions": [session.to_json() for session in sessions]})


class StatusHandler(ClaudeAPIHandler):
    """``GET claude/{id}/status``."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """One session (a never-started id is "stopped", not 404)."""
        task_id = self.valid_id(raw_id)
        self.finish((await self.call(self.sessions.status, task_id)).to_json())


class StartHandler(ClaudeAPIHandler):
    """``POST claude/{id}/start``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Create or re-use the session, then open or focus a terminal on it unless headless."""
        task_id, body = self.valid_id(raw_id), self.body()
        command = self.command_override(task_id, body)
        cwd = self.option(body, "cwd", str)  # the core keeps it inside the root
        headless, new_window = self.option(body, "headless", bool), self.option(body, "new_window", bool)
        attach = self.option(body, "attach", bool, True) is not False
        session, terminal = await self.call(
            self.sessions.start_and_attach,
            task_id,
            cwd,
            command,
            attach=attach,
            new_window=bool(new_window),
            headless=headless,
        )
        self.watcher.note(session)
        self.finish(
            {
                "started": session.created,
                "session": session.to_json(),
                "terminal": terminal.to_json() if terminal else None,
            }
        )

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: starting changes state, so it is POST only."""
        self.not_allowed("POST")


class StopHandler(ClaudeAPIHandler):
    """``POST claude/{id}/stop``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Kill the session (its log is kept)."""
        task_id = self.valid_id(raw_id)
        stopped = await self.call(self.sessions.stop, task_id)
        session = await self.call(self.sessions.status, task_id)
        self.watcher.note(session)
        self.finish({"stopped": stopped, "session": session.to_json()})

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: stopping changes state, so it is POST only."""
        self.not_allowed("POST")


class AttachHandler(ClaudeAPIHandler):
    """``POST claude/{id}/attach``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Open (or bring to the front) the user's terminal on the session."""
        task_id, body = self.valid_id(raw_id), self.body()
        headless, new_window = self.option(body, "headless", bool), self.option(body, "new_window", bool)
        result = await self.call(self.sessions.attach, task_id, bool(new_window), headless)
        self.watcher.poke()
        self.finish(result.to_json())

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: attaching opens a window, so it is POST only."""
        self.not_allowed("POST")


class LogHandler(ClaudeAPIHandler):
    """``GET claude/{id}/log?tail=N&raw=0|1``."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """The persisted log as text (ANSI stripped unless raw=1); kept after stop and restarts."""
        task_id, tail, raw = self.valid_id(raw_id), self.query_tail(), self.query_flag("raw")
        text = await self.call(self.sessions.log, task_id, tail)
        self.finish(text if raw else strip_ansi(text), set_content_type="text/plain; charset=utf-8")

    def query_tail(self) -> int | None:
        """``tail``: a number of lines, or absent for the whole log."""
        value = self.get_query_argument("tail", None)
        if value is None or value == "":
            return None
        if not value.isascii() or not value.isdigit():
            raise bad_request("'tail' must be a non-negative whole number of lines")
        return int(value)

    def query_flag(self, name: str) -> bool:
        """A 0/1 query flag."""
        value = self.get_query_argument(name, "0")
        if value not in ("0", "1", "true", "false"):
            raise bad_request(f"{name!r} must be 0 or 1")
        return value in ("1", "true")


class ClaudeWebSocket(ClaudeMixin, WebSocketMixin, WebSocketHandler, JupyterHandler):  # type: ignore[misc]
    """Base of the websockets: kernel-websocket authentication, JSON errors, bounded buffers."""

    _gone = False
    _pending = 0

    def set_default_headers(self) -> None:
        """No JupyterHandler headers on a websocket."""

    def get_compression_options(self) -> dict[str, Any] | None:
        """The server's websocket compression settings."""
        return self.settings.get("websocket_compression_options", None)

    async def authorize(self) -> None:
        """403 unless the authorizer lets the user "execute" on jupyter_claude:sessions."""
        user = self.current_user
        if user is None or not await ensure_async(
            self.authorizer.is_authorized(self, user, "execute", self.auth_resource)
        ):
            raise ClaudeError(403, "forbidden", f"not authorized to execute on {self.auth_resource}")

    def check_tmux(self) -> None:
        """503 before the upgrade when tmux is missing."""
        try:
            self.sessions.tmux.binary()
        except ClaudeSessionsError as error:
            raise http_error(error) from None

    def on_message(self, message: str | bytes) -> None:
        """Ignored: the views are read-only, nothing a client sends goes anywhere."""

    def on_close(self) -> None:
        """Remember the socket is gone."""
        self._gone = True

    def send(self, message: str | bytes) -> None:
        """Write a frame; a viewer that falls too far behind is closed (code 1013)."""
        if self._gone:
            return
        try:
            future = self.write_message(message, binary=isinstance(message, bytes))
        except WebSocketClosedError:
            self._gone = True
            return
        size = len(message)
        self._pending += size
        future.add_done_callback(functools.partial(self._written, size))
        if self._pending > MAX_PENDING_BYTES:
            self.log.warning("jupyter-claude: closing a websocket that fell %d bytes behind", self._pending)
            self._gone = True
            self.close(1013, "the viewer fell behind; reconnect for a fresh screen")

    def _written(self, size: int, future: Future[None]) -> None:
        self._pending -= size
        if not future.cancelled():
            future.exception()


class StreamWebSocket(ClaudeWebSocket):
    """``WS claude/{id}/stream``: read-only live view of the task's pane, for xterm.js."""

    task_id = ""

    @ws_authenticated
    async def get(self, raw_id: str) -> None:
        """Authorize, check the id and tmux, then upgrade."""
        await self.authorize()
        self.task_id = self.valid_id(raw_id)
        self.check_tmux()
        await super().get(raw_id)

    async def open(self, raw_id: str) -> None:  # type: ignore[override]
        """Join the session's shared stream (screen first, then live bytes)."""
        super().open()
        try:
            await self.streams.open(self.task_id, self)
        except ClaudeSessionsError as error:
            self.send_message({"type": "error", "error": error.code, "reason": str(error)})
            self._gone = True
            self.close(1011, error.code)
        if self._gone:
            self.streams.close(self.task_id, self)

    def on_close(self) -> None:
        """Leave the stream; the last viewer's departure stops its log follower."""
        super().on_close()
        self.streams.close(self.task_id, self)

    def send_output(self, data: bytes) -> None:
        """Terminal bytes, as a binary frame."""
        self.send(data)

    def send_message(self, message: dict[str, Any]) -> None:
        """A JSON control message, as a text frame."""
        self.send(json.dumps(message))

    def end(self) -> None:
        """Close normally (1000) after the exit message."""
        if not self._gone:
            self._gone = True
            self.close(1000)


class EventsWebSocket(ClaudeWebSocket):
    """``WS claude/events``: a snapshot, then every change of every session."""

    _unlisten: Callable[[], None] | None = None

    @ws_authenticated
    async def get(self) -> None:
        """Authorize and check tmux, then upgrade."""
        await self.authorize()
        self.check_tmux()
        await super().get()

    def open(self) -> None:  # type: ignore[override]
        """Start listening to the server's one watcher."""
        super().open()
        self._unlisten = self.watcher.listen(self.on_event)

    def on_event(self, event: SessionEvent) -> None:
        """Forward one event."""
        self.send(event.text)

    def on_close(self) -> None:
        """Stop listening (the watcher stops with its last listener)."""
        super().on_close()
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None


#: Anything between ``claude/`` and the verb is taken as the id, so every malformed id (slashes,
#: dots, percent-encoded bytes) gets the JSON 400, not an HTML 404.
_ID = r"(.*)"

default_handlers: list[tuple[str, type[Any]]] = [
    (r"claude/tasks", TasksHandler),
    (r"claude/sessions", SessionsHandler),
    (r"claude/events", EventsWebSocket),
    (rf"claude/{_ID}/status", StatusHandler),
    (rf"claude/{_ID}/start", StartHandler),
    (rf"claude/{_ID}/stop", StopHandler),
    (rf"claude/{_ID}/attach", AttachHandler),
    (rf"claude/{_ID}/log", LogHandler),
    (rf"claude/{_ID}/stream", StreamWebSocket),
]
