"""The API's websockets: the live view of a task's pane, and the events of every session.

They follow jupyter_server's kernel websocket: ``@ws_authenticated``, an "execute" check on
``jupyter_claude:sessions``, Tornado's origin check; a viewer that falls too far behind is closed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado.concurrent import Future
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..core.errors import ClaudeSessionsError
from .base import ClaudeError, ClaudeMixin, http_error
from .events import SessionEvent

#: A viewer whose socket is this far behind the pane is closed (it may reconnect for a fresh screen).
MAX_PENDING_BYTES = 8 * 1024 * 1024


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
