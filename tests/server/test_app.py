"""The extension as packaged: enabling, settings on the command line, base_url, the loopback warning,
and a restart (a real ``jupyter server`` process, then a new server that takes over its sessions)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_claude
from jupyter_claude.server.app import ClaudeExtension, is_loopback

from ..support.data import REPO, SLEEPER
from ..support.server import (
    Fetch,
    body,
    messages_of,
    output_of,
    post,
    print_in_pane,
    read_frames,
    server_config,
)

REPO = REPO
CONFIG_FILE = REPO / "jupyter-config" / "jupyter_server_config.d" / "jupyter_claude.json"


def test_extension_point_and_auto_enable_file() -> None:
    (point,) = jupyter_claude._jupyter_server_extension_points()
    assert point == {"module": "jupyter_claude.server.app", "app": ClaudeExtension}
    assert ClaudeExtension.name == "jupyter_claude"
    assert json.loads(CONFIG_FILE.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"jupyter_claude": True}}
    }
    pyproject = (REPO / "pyproject.toml").read_text()
    assert (
        '"jupyter-config/jupyter_server_config.d/jupyter_claude.json" = '
        '"etc/jupyter/jupyter_server_config.d/jupyter_claude.json"'
    ) in pyproject


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("", False),
        ("*", False),
        ("::", False),
        ("192.0.2.7", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


class TestExposedServer:
    """A server listening on every interface warns at load, and says why."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        """The extension on 0.0.0.0."""
        config = server_config(tmux_socket, tmp_path)
        config["ServerApp"]["ip"] = "0.0.0.0"
        return config

    def test_warns(self, capfd: pytest.CaptureFixture[str], jp_serverapp: Any) -> None:
        # Logged while the server initializes (its log goes to stderr then, not to caplog).
        warning = next(line for line in capfd.readouterr().err.splitlines() if "loopback" in line)
        assert "jupyter-claude: this server listens on '0.0.0.0'" in warning

    def test_quiet_when_spawned_by_jupyterhub(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The hub's login guards a spawned server (DockerSpawner and KubeSpawner bind 0.0.0.0)."""
        extension = ClaudeExtension()
        assert extension.warn_if_exposed("0.0.0.0") is True
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "token-of-a-spawned-server")
        assert extension.warn_if_exposed("0.0.0.0") is False


def test_no_warning_on_loopback(capfd: pytest.CaptureFixture[str], jp_serverapp: Any) -> None:
    assert jp_serverapp.ip in ("localhost", "127.0.0.1")
    assert "jupyter_claude" in jp_serverapp.extension_manager.extensions
    assert "not only on the loopback interface" not in capfd.readouterr().err


class TestCommandLineSettings:
    """``--ClaudeSessions.x=…`` on the server's command line reaches the manager (list literal too)."""

    @pytest.fixture
    def jp_argv(self) -> list[str]:
        """Settings as a user types them."""
        return [
            '--ClaudeSessions.command=["sh", "-c", "echo from-argv {id}; sleep 60"]',
            "--ClaudeSessions.session_prefix=cc-",
            "--ClaudeExtension.events_interval=0.3",
        ]

    async def test_settings_apply(self, jp_serverapp: Any, jp_fetch: Fetch) -> None:
        manager = jp_serverapp.web_app.settings["claude_sessions"]
        assert manager.command == ["sh", "-c", "echo from-argv {id}; sleep 60"]
        assert manager.session_prefix == "cc-"
        assert jp_serverapp.web_app.settings["claude_watcher"].interval == 0.3
        answer = body(await post(jp_fetch, "claude", "42", "start"))
        assert answer["session"]["name"] == "cc-42" and answer["session"]["command"][-1].startswith("echo")


class TestJupyterHubBaseUrl:
    """Every route works under a JupyterHub-style base_url."""

    @pytest.fixture
    def jp_base_url(self) -> str:
        """A single-user server's prefix."""
        return "/user/alice/"

    async def test_routes_under_the_prefix(
        self, jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str, jp_serverapp: Any
    ) -> None:
        assert jp_serverapp.base_url == "/user/alice/"
        assert body(await post(jp_fetch, "claude", "42", "start"))["started"] is True
        assert [s["id"] for s in body(await jp_fetch("claude", "sessions"))["sessions"]] == ["42"]
        assert body(await jp_fetch("claude", "42", "status"))["running"] is True
        events = await jp_ws_fetch("claude", "events")
        assert json.loads(await events.read_message())["type"] == "snapshot"
        stream = await jp_ws_fetch("claude", "42", "stream")
        await read_frames(stream, lambda frames: b"ready 42" in output_of(frames))
        events.close()
        stream.close()


# -- restart --------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(url: str, token: str, method: str = "GET", data: dict[str, Any] | None = None) -> Any:
    """One JSON request with the token."""
    payload = None if data is None else json.dumps(data).encode()
    call = urllib.request.Request(
        url, data=payload, method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(call, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def first_server(tmux_socket: str, tmp_path: Path, jp_root_dir: Path) -> Iterator[dict[str, Any]]:
    """A real ``jupyter server`` process: enabled by the packaged config file, set on its command line."""
    port, token = free_port(), uuid.uuid4().hex
    base = "/user/alice/"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": str(REPO / "jupyter-config"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "first-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "first-runtime"),
    }
    argv = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--allow-root",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.base_url={base}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={jp_root_dir}",
        f"--ClaudeSessions.tmux_socket={tmux_socket}",
        f"--ClaudeSessions.log_dir={tmp_path / 'logs'}",
        "--ClaudeSessions.headless=True",
        f"--ClaudeSessions.command={json.dumps(SLEEPER)}",
    ]
    log = (tmp_path / "first-server.log").open("wb")
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}{base}"
    deadline = time.monotonic() + 60
    while True:
        try:
            request(url + "api/status", token)
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError((tmp_path / "first-server.log").read_text()[-3000:]) from None
            time.sleep(0.2)
    yield {"url": url, "token": token, "process": process, "log": tmp_path / "first-server.log"}
    if process.poll() is None:
        process.kill()
    process.wait()
    log.close()


async def test_a_new_server_takes_over_sessions_logs_and_metadata(
    first_server: dict[str, Any], tmux_socket: str, jp_fetch: Fetch, jp_ws_fetch: Any, jp_root_dir: Path
) -> None:
    url, token, process = first_server["url"], first_server["token"], first_server["process"]
    started = request(url + "claude/42/start", token, "POST", {})
    assert started["started"] is True
    print_in_pane(tmux_socket, "42", b"\x1b[32mbefore the restart\x1b[0m\n")
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert b"jupyter_claude | extension was successfully loaded" in first_server["log"].read_bytes()

    (session,) = body(await jp_fetch("claude", "sessions"))["sessions"]
    assert session["running"] is True and session["pid"] == started["session"]["pid"]
    for key in ("started_at", "command", "cwd"):
        assert session[key] == started["session"][key]
    assert session["cwd"] == str(jp_root_dir.resolve())
    log = (await jp_fetch("claude", "42", "log")).body.decode()
    assert "ready 42" in log and "before the restart" in log and "\x1b[" not in log
    stream = await jp_ws_fetch("claude", "42", "stream")
    frames = await read_frames(stream, lambda frames: b"before the restart" in output_of(frames))
    assert b"\x1b[32m" in output_of(frames) and messages_of(frames)[0]["type"] == "size"
    stream.close()
    assert body(await post(jp_fetch, "claude", "42", "stop"))["stopped"] is True
