"""A scripted Anthropic Messages API on loopback, for the real Claude Code CLI in tests.

The real ``claude`` program talks to it through ``ANTHROPIC_BASE_URL``: nothing leaves the machine.
``POST /v1/messages`` answers with server-sent events exactly as the API streams them
(``message_start``, ``content_block_start/delta/stop`` for text and ``tool_use``, ``message_delta``,
``message_stop``), with the usage figures each step was told to report. A test scripts the main
conversation turn by turn::

    server.script(ToolUse("Bash", {"command": "touch made.txt"}), Text("Done."))

Each request of Claude Code's main loop (those that offer tools) takes the next step; its small
side requests (no tools: a title, a topic check) get a short text answer without using the script.
When the script is used up, the answer is "OK." A :class:`RateLimited` step answers 429 with the
rate-limit headers. Every request is kept (``server.requests``), so a test can check what the agent
sent (a tool result, a denial message, a typed line).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The model name the steps report unless told otherwise.
MODEL = "claude-sonnet-4-5-20250929"


@dataclass(frozen=True)
class Usage:
    """What one answer reports it used."""

    input_tokens: int = 120
    output_tokens: int = 30
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
        }


@dataclass(frozen=True)
class Text:
    """A text answer that ends the turn."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = MODEL


@dataclass(frozen=True)
class ToolUse:
    """An answer that calls one tool (Claude Code runs it, then asks again with its result)."""

    name: str
    input: dict[str, Any]
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    model: str = MODEL


@dataclass(frozen=True)
class RateLimited:
    """A 429 refusal, with the unified rate-limit headers (``reset`` in epoch seconds, or None).

    ``claim`` is the limit the refusal is for (``anthropic-ratelimit-unified-representative-claim``:
    "five_hour", "seven_day", ...): Claude Code logged in with a subscription names it and its reset
    time ("You've hit your session limit · resets 11:03pm (UTC)") only when the header is there.
    """

    reset: float | None = None
    message: str = "Rate limited"
    claim: str | None = None


@dataclass(frozen=True)
class Slow:
    """Wait before answering with ``then`` (to watch the agent while it is busy)."""

    seconds: float
    then: Text | ToolUse


Step = Text | ToolUse | RateLimited | Slow


@dataclass
class Request:
    """One request the agent sent."""

    path: str
    body: dict[str, Any]
    at: float

    @property
    def main_loop(self) -> bool:
        """True for the agent's main conversation (it offers tools)."""
        return bool(self.body.get("tools"))

    def last_user_text(self) -> str:
        """Every text of the last user message (tool results included), joined."""
        messages = self.body.get("messages") or []
        for message in reversed(messages):
            if message.get("role") == "user":
                return _text_of(message.get("content"))
        return ""

    def all_text(self) -> str:
        """Every text of every message and the system prompt."""
        system = _text_of(self.body.get("system"))
        return system + "\n" + "\n".join(_text_of(m.get("content")) for m in self.body.get("messages") or [])


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            parts.append(_text_of(block.get("content")))
    return "\n".join(parts)


class ModelServer:
    """The scripted API, serving in a thread until :meth:`close`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._steps: list[Step] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                server._serve(self, self.path, body)

            def do_GET(self) -> None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL for ``ANTHROPIC_BASE_URL``."""
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *steps: Step) -> None:
        """Append steps for the main loop's next requests."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def pending_steps(self) -> int:
        """Steps not used yet."""
        with self._lock:
            return len(self._steps)

    def main_requests(self) -> list[Request]:
        """The main loop's requests so far."""
        with self._lock:
            return [request for request in self.requests if request.main_loop]

    def wait_for_request(self, count: int, timeout: float = 60.0) -> list[Request]:
        """Until the main loop has sent ``count`` requests; returns them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while sum(1 for r in self.requests if r.main_loop) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the agent sent fewer than {count} requests in {timeout} s")
                self._arrived.wait(left)
            return [r for r in self.requests if r.main_loop]

    def close(self) -> None:
        """Stop serving."""
        self._http.shutdown()
        self._http.server_close()

    # -- answering -----------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, path: str, body: dict[str, Any]) -> None:
        request = Request(path, body, time.time())
        with self._arrived:
            self.requests.append(request)
            step: Step | None = None
            if request.main_loop and path.startswith("/v1/messages") and "count_tokens" not in path:
                step = self._steps.pop(0) if self._steps else None
            self._arrived.notify_all()
        if "count_tokens" in path:
            _send_json(handler, 200, {"input_tokens": 100})
            return
        if not path.startswith("/v1/messages"):
            _send_json(handler, 404, {"type": "error", "error": {"type": "not_found_error", "message": path}})
            return
        if isinstance(step, Slow):
            time.sleep(step.seconds)
            step = step.then
        if isinstance(step, RateLimited):
            _send_rate_limited(handler, step)
            return
        if step is None:
            step = Text("OK.")
        if body.get("stream"):
            _stream(handler, step, body)
        else:
            _send_json(handler, 200, _message(step, body))


def _message(step: Text | ToolUse, body: dict[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if step.text:
        content.append({"type": "text", "text": step.text})
    if isinstance(step, ToolUse):
        content.append({"type": "tool_use", "id": _tool_id(), "name": step.name, "input": step.input})
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": step.model,
        "content": content,
        "stop_reason": "tool_use" if isinstance(step, ToolUse) else "end_turn",
        "stop_sequence": None,
        "usage": step.usage.to_json(),
    }


def _tool_id() -> str:
    return f"toolu_{uuid.uuid4().hex[:24]}"


def _events(step: Text | ToolUse) -> Iterator[tuple[str, dict[str, Any]]]:
    usage = step.usage.to_json()
    start_usage = {**usage, "output_tokens": 1}
    message = {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": step.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    yield "message_start", {"type": "message_start", "message": message}
    index = 0
    if step.text:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            },
        )
        for piece in _pieces(step.text):
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    if isinstance(step, ToolUse):
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "tool_use", "id": _tool_id(), "name": step.name, "input": {}},
            },
        )
        yield (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": json.dumps(step.input)},
            },
        )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": "tool_use" if isinstance(step, ToolUse) else "end_turn",
                "stop_sequence": None,
            },
            "usage": {"output_tokens": usage["output_tokens"]},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def _pieces(text: str, size: int = 24) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _stream(handler: BaseHTTPRequestHandler, step: Text | ToolUse, body: dict[str, Any]) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Connection", "close")
    handler.end_headers()
    try:
        for name, data in _events(step):
            handler.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def _send_json(handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any], **headers: str) -> None:
    payload = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)


def _send_rate_limited(handler: BaseHTTPRequestHandler, step: RateLimited) -> None:
    headers = {"anthropic-ratelimit-unified-status": "rejected", "retry-after": "3600"}
    if step.reset is not None:
        headers["anthropic-ratelimit-unified-reset"] = str(int(step.reset))
    if step.claim is not None:
        headers["anthropic-ratelimit-unified-representative-claim"] = step.claim
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": step.message}}
    _send_json(handler, 429, error, **headers)
