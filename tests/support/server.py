"""Helpers shared by the tests that start a Jupyter server (the fixture is in tests/conftest.py).

Every such test gets a real Jupyter server (pytest-jupyter) with the extension enabled, a private tmux
socket and a private log folder; sessions run :data:`tests.conftest.SLEEPER` unless a test says
otherwise, and no GUI terminal is ever opened (``headless``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import Authorizer
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.websocket import WebSocketClientConnection, websocket_connect

from jupyter_claude.server.base import AUTH_RESOURCE

from .data import SLEEPER

Fetch = Callable[..., Awaitable[HTTPResponse]]


REST_ROUTES = [
    ("GET", "status"), ("POST", "start"), ("POST", "stop"), ("POST", "attach"), ("GET", "log"),
    ("GET", "permission"), ("POST", "permission"), ("POST", "input"), ("GET", "diff"), ("POST", "land"),
]  # fmt: skip
#: The POST routes authorized as "write" ("input" drives the agent: it is "execute").
POST_ROUTES = ["start", "stop", "attach", "permission", "land"]
#: The routes that only take POST (a GET gets 405 naming POST).
POST_ONLY_ROUTES = ["start", "stop", "attach", "input", "land"]
WS_ROUTES = ["claude/events", "claude/42/stream"]
ALL_HTTP_ROUTES = [
    ("GET", "claude/tasks"),
    ("GET", "claude/sessions"),
    ("GET", "claude/conflicts"),
    ("POST", "claude/start"),
] + [(method, f"claude/42/{verb}") for method, verb in REST_ROUTES]


def server_config(tmux_socket: str, tmp_path: Path, **claude: Any) -> dict[str, Any]:
    """Server config enabling the extension on the test's socket and log folder."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_claude": True},
            "allow_unauthenticated_access": False,
        },
        "ClaudeSessions": {
            "tmux_socket": tmux_socket,
            "log_dir": str(tmp_path / "logs"),
            "command": SLEEPER,
            "headless": True,
            **claude,
        },
    }


def body(response: HTTPResponse) -> Any:
    """A response's JSON body."""
    return json.loads(response.body.decode())


async def error_of(request: Awaitable[HTTPResponse]) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of a request that must fail."""
    with pytest.raises(HTTPClientError) as caught:
        await request
    response = caught.value.response
    assert response is not None
    return caught.value.code, json.loads(response.body.decode())


async def post(jp_fetch: Fetch, *parts: str, payload: Any = None, **kwargs: Any) -> HTTPResponse:
    """POST JSON (``{}`` by default)."""
    return await jp_fetch(
        *parts, method="POST", body=json.dumps(payload if payload is not None else {}), **kwargs
    )


def ws_url(jp_base_url: str, port: int, path: str) -> str:
    """A websocket URL whose path is used exactly as given (already percent-encoded)."""
    return f"ws://127.0.0.1:{port}{jp_base_url}{path}"


async def connect(url: str, headers: dict[str, str] | None = None) -> WebSocketClientConnection:
    """Open a websocket (headers as given: no token added)."""
    return await websocket_connect(HTTPRequest(url, headers=headers or {}))


def quoted(task_id: str) -> str:
    """A task id as one percent-encoded path segment."""
    return urllib.parse.quote(task_id, safe="")


async def read_frames(
    ws: WebSocketClientConnection, until: Callable[[list[str | bytes]], bool], timeout: float = 1.0
) -> list[str | bytes]:
    """Frames until ``until(frames)`` holds or the socket closes; fail after the deadline."""
    frames: list[str | bytes] = []
    deadline = time.monotonic() + timeout
    while not until(frames):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"not received within {timeout} s; got {frames!r}"[:2000])
        try:
            frame = await asyncio.wait_for(ws.read_message(), remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"not received within {timeout} s; got {frames!r}"[:2000]) from None
        if frame is None:
            break
        frames.append(frame)
    return frames


async def collect(ws: WebSocketClientConnection, seconds: float) -> list[str | bytes]:
    """Every frame received during ``seconds`` (or until the socket closes)."""
    frames: list[str | bytes] = []
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(ws.read_message(), remaining)
        except asyncio.TimeoutError:
            break
        if frame is None:
            break
        frames.append(frame)
    return frames


def output_of(frames: list[str | bytes]) -> bytes:
    """The terminal bytes among frames."""
    return b"".join(frame for frame in frames if isinstance(frame, bytes))


def messages_of(frames: list[str | bytes]) -> list[dict[str, Any]]:
    """The JSON control messages among frames."""
    return [json.loads(frame) for frame in frames if isinstance(frame, str)]


def tmux_run(tmux_socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Raw tmux on the test's socket (retried, as the core does, when tmux drops the connection)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    for _ in range(3):
        done = subprocess.run(
            ["tmux", "-L", tmux_socket, *args], capture_output=True, text=True, env=env, check=False
        )
        if "server exited unexpectedly" not in done.stderr:
            break
        time.sleep(0.05)
    return done


def no_tmux_server(tmux_socket: str) -> bool:
    """True when no tmux server runs on the socket (so nothing has touched tmux)."""
    stderr = tmux_run(tmux_socket, "list-sessions").stderr
    return "no server running" in stderr or "No such file or directory" in stderr


def print_in_pane(tmux_socket: str, task_id: str, data: bytes) -> None:
    """Make the task's pane print ``data`` (written to its terminal, as its program would)."""
    tty = tmux_run(
        tmux_socket, "display-message", "-p", "-t", f"=claude-{task_id}:", "#{pane_tty}"
    ).stdout.strip()
    assert tty, "no pane tty"
    with open(tty, "wb", buffering=0) as handle:
        handle.write(data)


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Await until ``predicate()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


class DenyWrite(Authorizer):
    """An authorizer that lets a user read and watch, never change anything."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        """Everything but "write"."""
        return action != "write"


class DenyExecute(Authorizer):
    """An authorizer that lets a user read and write, not open the websockets or drive the agent."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        """Everything but "execute" on our resource."""
        return not (action == "execute" and resource == AUTH_RESOURCE)
