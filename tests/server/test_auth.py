"""Authentication and authorization of every route: tokens, cookies and XSRF, origins, authorizers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.serverapp import ServerWebApplication
from jupyter_server.utils import JupyterServerAuthWarning
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClosedError, WebSocketError

from jupyter_claude.server.base import AUTH_RESOURCE
from jupyter_claude.server.handlers import default_handlers

from ..support.server import (
    ALL_HTTP_ROUTES,
    POST_ROUTES,
    WS_ROUTES,
    DenyExecute,
    DenyWrite,
    Fetch,
    body,
    connect,
    error_of,
    no_tmux_server,
    post,
    server_config,
    ws_url,
)


async def refused(request: Any) -> int:
    """Status of a request that must be refused."""
    with pytest.raises((HTTPClientError, WebSocketError, WebSocketClosedError)) as caught:
        await request
    return int(getattr(caught.value, "code", 0) or 0)


@pytest.fixture
def cookie(jp_fetch: Fetch, jp_serverapp: Any) -> Any:
    """A browser's login cookie (from logging in with ``?token=`` once) and its XSRF cookie value."""

    async def login() -> tuple[str, str]:
        token = jp_serverapp.identity_provider.token
        response = await jp_fetch("api", "status", params={"token": token}, headers={"Authorization": ""})
        login_cookie = next(
            value.split(";", 1)[0]
            for value in response.headers.get_list("Set-Cookie")
            if value.startswith("username-")
        )
        page = await jp_fetch("login", headers={"Authorization": ""}, follow_redirects=False)
        xsrf = next(
            value.split(";", 1)[0].split("=", 1)[1]
            for value in page.headers.get_list("Set-Cookie")
            if value.startswith("_xsrf=")
        )
        return login_cookie, xsrf

    return login


def test_every_handler_method_is_authenticated() -> None:
    for pattern, handler in default_handlers:
        assert ServerWebApplication._check_handler_auth(None, pattern, handler) == []  # type: ignore[arg-type]
        assert handler.auth_resource == AUTH_RESOURCE == "jupyter_claude:sessions"


def test_loading_emits_no_auth_warning(recwarn: pytest.WarningsRecorder, jp_serverapp: Any) -> None:
    assert jp_serverapp.allow_unauthenticated_access is False
    ours = [
        w for w in recwarn if issubclass(w.category, JupyterServerAuthWarning) and "claude" in str(w.message)
    ]
    assert ours == []
    assert "jupyter_claude" in jp_serverapp.extension_manager.extensions


@pytest.mark.parametrize("route", ALL_HTTP_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("authorization", ["", "token wrong", "bearer wrong"])
async def test_http_routes_refuse_missing_or_wrong_token(
    jp_fetch: Fetch, route: tuple[str, str], authorization: str, tmux_socket: str
) -> None:
    method, path = route
    code, error = await error_of(
        jp_fetch(
            *path.split("/"),
            method=method,
            headers={"Authorization": authorization},
            body="{}" if method == "POST" else None,
            follow_redirects=False,
        )
    )
    assert code == 403 and error["error"] == "forbidden"
    assert no_tmux_server(tmux_socket)


@pytest.mark.parametrize("path", WS_ROUTES)
@pytest.mark.parametrize("authorization", ["", "token wrong"])
async def test_websockets_refuse_missing_or_wrong_token(
    http_server_client: Any, jp_base_url: str, jp_http_port: int, path: str, authorization: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert await refused(connect(ws_url(jp_base_url, jp_http_port, path), headers)) == 403


@pytest.mark.parametrize("verb", POST_ROUTES)
async def test_cookie_without_xsrf_cannot_post(
    jp_fetch: Fetch, cookie: Any, verb: str, tmux_socket: str
) -> None:
    login_cookie, _ = await cookie()
    headers = {"Authorization": "", "Cookie": login_cookie}
    # The cookie alone is a valid login: reading works.
    assert body(await jp_fetch("claude", "42", "status", headers=headers))["state"] == "stopped"
    code, error = await error_of(jp_fetch("claude", "42", verb, method="POST", body="{}", headers=headers))
    assert code == 403 and error["error"] == "forbidden" and "_xsrf" in error["reason"]
    assert no_tmux_server(tmux_socket)


async def test_cookie_with_xsrf_can_post(jp_fetch: Fetch, cookie: Any) -> None:
    login_cookie, xsrf = await cookie()
    assert xsrf
    headers = {"Authorization": "", "Cookie": f"{login_cookie}; _xsrf={xsrf}", "X-XSRFToken": xsrf}
    answer = await jp_fetch("claude", "42", "start", method="POST", body="{}", headers=headers)
    assert body(answer)["started"] is True


@pytest.mark.parametrize("path", WS_ROUTES)
async def test_websockets_refuse_a_foreign_origin(
    jp_base_url: str, jp_http_port: int, cookie: Any, path: str
) -> None:
    login_cookie, _ = await cookie()
    url = ws_url(jp_base_url, jp_http_port, path)
    foreign = {"Cookie": login_cookie, "Origin": "http://evil.example"}
    assert await refused(connect(url, foreign)) == 403
    # The same browser from the server's own origin is let in.
    ws = await connect(url, {"Cookie": login_cookie, "Origin": f"http://127.0.0.1:{jp_http_port}"})
    assert await ws.read_message() is not None
    ws.close()


async def test_websockets_send_nothing_to_the_pane(
    jp_ws_fetch: Any, jp_fetch: Fetch, tmux_socket: str
) -> None:
    await post(jp_fetch, "claude", "42", "start")
    ws = await jp_ws_fetch("claude", "42", "stream")
    await ws.read_message()
    for message in ("echo pwned\r", b"\x03", json.dumps({"type": "input", "data": "x\r"})):
        await ws.write_message(message, binary=isinstance(message, bytes))
    status = body(await jp_fetch("claude", "42", "status"))
    assert status["running"] is True
    log = (await jp_fetch("claude", "42", "log")).body.decode()
    assert "pwned" not in log
    ws.close()


class TestAuthorizerDeniesWrite:
    """A custom Authorizer that denies "write" blocks start/stop/attach but not reads or watching."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        """The extension with the DenyWrite authorizer."""
        config = server_config(tmux_socket, tmp_path)
        config["ServerApp"]["authorizer_class"] = DenyWrite
        return config

    async def test_writes_are_forbidden_reads_are_not(
        self, jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str
    ) -> None:
        for verb in POST_ROUTES:
            code, error = await error_of(post(jp_fetch, "claude", "42", verb))
            assert code == 403 and error["error"] == "forbidden" and "write" in error["reason"]
        assert no_tmux_server(tmux_socket)
        assert body(await jp_fetch("claude", "42", "status"))["running"] is False
        assert body(await jp_fetch("claude", "sessions")) == {"sessions": []}
        assert (await jp_fetch("claude", "tasks")).code == 200
        assert (await jp_fetch("claude", "42", "log")).code == 200
        ws = await jp_ws_fetch("claude", "events")
        assert json.loads(await ws.read_message()) == {"type": "snapshot", "sessions": []}
        ws.close()


class TestAuthorizerDeniesExecute:
    """The websockets ask for "execute"."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        """The extension with the DenyExecute authorizer."""
        config = server_config(tmux_socket, tmp_path)
        config["ServerApp"]["authorizer_class"] = DenyExecute
        return config

    @pytest.mark.parametrize("path", WS_ROUTES)
    async def test_websockets_are_forbidden(self, jp_ws_fetch: Any, jp_fetch: Fetch, path: str) -> None:
        assert await refused(jp_ws_fetch(*path.split("/"))) == 403
        assert body(await jp_fetch("claude", "42", "status"))["state"] == "stopped"
