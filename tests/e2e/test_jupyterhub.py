"""jupyter-claude under a real JupyterHub, end to end, on the loopback interface only.

One JupyterHub per module (the pure-Python configurable-http-proxy in front, DummyAuthenticator,
SimpleLocalProcessSpawner with ``--allow-root``, all state in a temp folder) with users alice and
bob. Each single-user server runs the extension from this checkout on a PRIVATE tmux server (a
socket path in the temp folder per hub user, given as ``JUPYTER_CLAUDE_TMUX_SOCKET`` through
``Spawner.environment``) with a harmless printing command; its logs go to the user's temp home.
Every request goes through the hub's proxy under ``/user/alice/``, authenticated the way the hub
does it: a user token, or the login cookie (three OAuth redirects) plus ``X-XSRFToken``.
``JUPYTER_CLAUDE_TEST_HUB_PROXY`` names another proxy binary (e.g. the node configurable-http-proxy).

At the end the hub gets SIGTERM (it stops its proxy and the single-user servers), then SIGKILL;
every process it had started that is still alive is killed by PID (the proxy via its pid file),
and the per-user tmux servers are killed on their private sockets. The user's own tmux server is
never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from ..support.data import REPO
from ..support.processes import descendants, end, start_time

REPO = REPO
BIN = Path(sys.executable).parent
HUB_BIN = BIN / "jupyterhub"
SINGLEUSER_BIN = BIN / "jupyterhub-singleuser"
#: The hub's proxy: the pure-Python configurable-http-proxy of the test extra, or another one
#: (e.g. the node configurable-http-proxy that production hubs run) named by this variable.
PROXY_BIN = Path(os.environ.get("JUPYTER_CLAUDE_TEST_HUB_PROXY") or BIN / "configurable-http-proxy")


def _is_node_script(path: Path) -> bool:
    try:
        with path.open("rb") as script:
            return script.readline().rstrip().endswith(b"node")
    except OSError:
        return False


#: The pure-Python proxy does not pass a server's websocket close on to the client (it drops the
#: upstream close); the node one does.
PROXY_PASSES_CLOSE = _is_node_script(PROXY_BIN)

#: Deadlines (not timings): the machine may be busy with other test runs.
HUB_START_DEADLINE = 90.0
SPAWN_DEADLINE = 120.0
STREAM_DEADLINE = 30.0
STOP_DEADLINE = 20.0
REQUEST_TIMEOUT = 30.0

PASSWORD = "jc-hub-test-password"
TASK_ID = "42"
#: A session kept running on alice's tmux server for the whole module: the restart test checks that
#: it outlived her server, and a crashed tmux server shows as its absence (assert_tmux_alive). The
#: other tests leave it out of what they compare.
KEEPER = "hub-keep"
#: What the task's command prints: "{id}" is filled in by the server, so the marker only appears
#: once the command really ran (the argv itself holds "{id}", not the id).
MARKER = "jupyter-claude-under-hub says hello from task"
COMMAND = [sys.executable, "-c", f"import time; print('{MARKER} {{id}}', flush=True); time.sleep(600)"]


def _missing_tools() -> list[str]:
    missing = [str(path) for path in (HUB_BIN, SINGLEUSER_BIN, PROXY_BIN) if not path.exists()]
    if not shutil.which("tmux"):
        missing.append("tmux")
    return missing


if _missing_tools():
    # Never skipped: the test command (scripts/test.sh) installs all of these.
    raise RuntimeError(
        f"jupyterhub end-to-end test: missing {_missing_tools()}: install the 'test' extra and tmux"
    )

T = TypeVar("T")


# -- processes ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tmux_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}


def _tmux(socket_path: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Raw tmux on a private socket (never the user's default server)."""
    return subprocess.run(
        ["tmux", "-S", socket_path, *args], capture_output=True, text=True, env=_tmux_env(), check=False
    )


def wait_for(what: str, probe: Callable[[], T | None], deadline: float, hub: Hub | None = None) -> T:
    """Poll ``probe`` until it returns something other than None (or False)."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if hub is not None and hub.process.poll() is not None:
            pytest.fail(
                f"the hub exited ({hub.process.returncode}) while waiting for {what}\n{hub.log_tail()}"
            )
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {deadline:.0f} s" + (f"\n{hub.log_tail()}" if hub else ""))
        time.sleep(0.2)


# -- the hub --------------------------------------------------------------------------------------


def hub_config(
    *,
    port: int,
    hub_port: int,
    api_port: int,
    state: Path,
    proxy_token: str,
    service_token: str,
    socket_prefix: str,
) -> str:
    """A jupyterhub_config.py: everything on 127.0.0.1, state under ``state``."""
    return textwrap.dedent(
        f"""\
        # Written by tests/test_jupyterhub.py: a throwaway hub on the loopback interface.
        c = get_config()  # noqa

        c.JupyterHub.bind_url = "http://127.0.0.1:{port}/"
        c.JupyterHub.hub_ip = "127.0.0.1"
        c.JupyterHub.hub_port = {hub_port}
        c.JupyterHub.db_url = {f"sqlite:///{state / 'jupyterhub.sqlite'}"!r}
        c.JupyterHub.cookie_secret_file = {str(state / "jupyterhub_cookie_secret")!r}
        c.JupyterHub.log_level = "INFO"

        # configurable-http-proxy (the pure-Python one by default; both proxy websockets).
        c.ConfigurableHTTPProxy.command = [{str(PROXY_BIN)!r}]
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
        c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
        c.ConfigurableHTTPProxy.pid_file = {str(state / "proxy.pid")!r}

        c.JupyterHub.authenticator_class = "dummy"
        c.DummyAuthenticator.password = {PASSWORD!r}
        c.Authenticator.allow_all = True

        c.JupyterHub.spawner_class = "simple"
        c.SimpleLocalProcessSpawner.home_dir_template = {str(state / "home" / "{username}")!r}
        c.Spawner.cmd = [{str(SINGLEUSER_BIN)!r}]
        c.Spawner.ip = "127.0.0.1"
        c.Spawner.start_timeout = {int(SPAWN_DEADLINE)}
        c.Spawner.http_timeout = {int(SPAWN_DEADLINE)}
        c.Spawner.args = [
            "--allow-root",
            "--ClaudeSessions.command=" + {json.dumps(COMMAND)!r},
        ]
        c.Spawner.environment = {{
            # One tmux server per hub user (here a socket path, tmux -S): SimpleLocalProcessSpawner
            # runs every user as the hub's own Unix user, whose default tmux server would be shared.
            "JUPYTER_CLAUDE_TMUX_SOCKET": lambda spawner: {socket_prefix!r} + spawner.user.name,
            # Test-only: enable the extension from this checkout, as its wheel does on install.
            "JUPYTER_CONFIG_PATH": {str(REPO / "jupyter-config")!r},
        }}

        # The test drives the hub through a service with a fixed token.
        c.JupyterHub.services = [{{"name": "jc-test", "api_token": {service_token!r}}}]
        c.JupyterHub.load_roles = [
            {{
                "name": "jc-test",
                "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
                "services": ["jc-test"],
            }}
        ]
        """
    )


@dataclass
class Hub:
    """A running hub and what the tests need to talk to it."""

    process: subprocess.Popen[bytes]
    state: Path
    url: str  # the proxy's public URL, e.g. http://127.0.0.1:PORT/
    service_token: str
    socket_prefix: str
    tokens: dict[str, str] = field(default_factory=dict)
    spawned: set[str] = field(default_factory=set)
    children: dict[int, str | None] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.state / "jupyterhub.log"

    def log_tail(self, lines: int = 60) -> str:
        """The end of the hub's log (single-user servers log there too), for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no hub log)"
        return "--- hub log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """A hub REST call with the service token."""
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        headers = {"Authorization": f"token {self.service_token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}hub/api/{path}", headers=headers, **kwargs)

    def home(self, user: str) -> Path:
        return self.state / "home" / user

    def tmux_socket(self, user: str) -> str:
        return self.socket_prefix + user

    def user_url(self, user: str, path: str) -> str:
        """A URL under the user's single-user server, through the proxy."""
        return f"{self.url}user/{user}/{path}"

    def spawn(self, user: str) -> None:
        """Start the user's server through the hub API and wait until it is ready."""
        if user in self.spawned:
            return
        response = self.api("POST", f"users/{user}/server")
        assert response.status_code in (201, 202), (
            f"{response.status_code} {response.text}\n{self.log_tail()}"
        )

        def ready() -> bool:
            model = self.api("GET", f"users/{user}").json()
            server = (model.get("servers") or {}).get("")
            return bool(server and server.get("ready"))

        wait_for(f"{user}'s server", ready, SPAWN_DEADLINE, self)
        self.spawned.add(user)
        self.remember_children()

    def remember_children(self) -> None:
        """Note the hub's processes (proxy, single-user servers) while the hub is their parent:
        should the hub die first, they are re-parented and only their PIDs find them."""
        self.children.update(descendants(self.process.pid))
        proxy_pid = self._proxy_pid()
        if proxy_pid is not None and proxy_pid not in self.children:
            self.children[proxy_pid] = start_time(proxy_pid)

    def stop(self) -> list[int]:
        """SIGTERM, wait, SIGKILL; then kill by PID whatever the hub had started; kill tmux.

        Returns the PIDs of the hub's processes still alive after all that (none, normally)."""
        self.remember_children()
        children = self.children
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_DEADLINE)
        survivors = end(children)
        for user in ("alice", "bob"):
            _tmux(self.tmux_socket(user), "kill-server")
        return survivors

    def _proxy_pid(self) -> int | None:
        try:
            return int((self.state / "proxy.pid").read_text().strip())
        except (OSError, ValueError):
            return None


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A JupyterHub on loopback with users alice and bob; alice's server spawned."""
    state = tmp_path_factory.mktemp("hub")
    port, hub_port, api_port = _free_port(), _free_port(), _free_port()
    service_token = secrets.token_hex(24)
    # Socket paths in the temp folder (tmux -S): they go away with it (tmux 3.3a leaves the socket
    # file behind after kill-server).
    (state / "tmux").mkdir()
    socket_prefix = f"{state / 'tmux'}/"
    (state / "jupyterhub_config.py").write_text(
        hub_config(
            port=port,
            hub_port=hub_port,
            api_port=api_port,
            state=state,
            proxy_token=secrets.token_hex(24),
            service_token=service_token,
            socket_prefix=socket_prefix,
        )
    )
    # alice's repository root (her server's root_dir is her home): one task file.
    tasks = state / "home" / "alice" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / f"{TASK_ID}.md").write_text(
        f'+++\nid = "{TASK_ID}"\ntitle = "Fix login under the hub"\nstatus = "🟡 To Do"\n+++\n# Fix login\n'
    )
    (state / "home" / "bob").mkdir(parents=True)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TMUX", "TMUX_PANE", "CLAUDECODE", "DISPLAY", "WAYLAND_DISPLAY")
        and not key.startswith(("JUPYTER_CLAUDE_", "JUPYTERHUB_", "CONFIGPROXY_"))
    }
    with (state / "jupyterhub.log").open("wb") as log:
        process = subprocess.Popen(
            [str(HUB_BIN), "-f", str(state / "jupyterhub_config.py")],
            cwd=state,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    running = Hub(process, state, f"http://127.0.0.1:{port}/", service_token, socket_prefix)
    try:

        def hub_api_up() -> bool:
            try:
                return bool(requests.get(f"{running.url}hub/api/", timeout=5).status_code == 200)
            except requests.RequestException:
                return False

        began = time.monotonic()
        wait_for("the hub's API through the proxy", hub_api_up, HUB_START_DEADLINE, running)
        running.remember_children()
        hub_started = time.monotonic() - began
        for user in ("alice", "bob"):
            response = running.api("POST", f"users/{user}")
            assert response.status_code == 201, response.text
            response = running.api(
                "POST", f"users/{user}/tokens", json={"note": "jc-test", "expires_in": 3600}
            )
            assert response.status_code == 201, response.text
            running.tokens[user] = response.json()["token"]
        began = time.monotonic()
        running.spawn("alice")
        keeper = as_user(running, "alice", "POST", f"claude/{KEEPER}/start", json={"headless": True})
        assert keeper.status_code == 200, f"{keeper.status_code} {keeper.text}\n{running.log_tail()}"
        print(f"\nhub up in {hub_started:.1f} s, alice's server spawned in {time.monotonic() - began:.1f} s")
        yield running
    except BaseException:
        running.stop()
        raise
    survivors = running.stop()
    assert not survivors, f"processes of the hub still alive after the teardown: {survivors}"


# -- clients --------------------------------------------------------------------------------------


def as_user(hub: Hub, user: str | None, method: str, path: str, owner: str = "alice", **kwargs: Any) -> Any:
    """A request to ``owner``'s server through the proxy, with ``user``'s token (None: no auth)."""
    headers = dict(kwargs.pop("headers", {}))
    if user is not None:
        headers["Authorization"] = f"token {hub.tokens[user]}"
    kwargs.setdefault("timeout", REQUEST_TIMEOUT)
    kwargs.setdefault("allow_redirects", False)
    return requests.request(method, hub.user_url(owner, path), headers=headers, **kwargs)


def alice(hub: Hub, method: str, path: str, **kwargs: Any) -> Any:
    """alice's request on her own server; asserts 200 and returns the response."""
    response = as_user(hub, "alice", method, path, **kwargs)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    return response


def status(hub: Hub, task_id: str) -> dict[str, Any]:
    result: dict[str, Any] = alice(hub, "GET", f"claude/{task_id}/status").json()
    return result


def tmux_sessions(socket_name: str) -> list[str]:
    """The sessions on a private tmux server, the keeper left out."""
    result = _tmux(socket_name, "list-sessions", "-F", "#{session_name}")
    names = result.stdout.split() if result.returncode == 0 else []
    return [name for name in names if name != f"claude-{KEEPER}"]


def session_ids(sessions: list[dict[str, Any]]) -> list[str]:
    """The ids of an API session list, the keeper left out."""
    return [session["id"] for session in sessions if session["id"] != KEEPER]


def ws_url(hub: Hub, path: str, owner: str = "alice") -> str:
    return "ws" + hub.user_url(owner, path)[len("http") :]


async def ws_connect(url: str, headers: dict[str, str]) -> WebSocketClientConnection:
    request = HTTPRequest(
        url, headers=headers, connect_timeout=REQUEST_TIMEOUT, request_timeout=REQUEST_TIMEOUT
    )
    return await websocket_connect(request)


async def ws_read(conn: WebSocketClientConnection, deadline: float) -> str | bytes | None:
    """The next frame, or None when the socket closed; fails past the deadline."""
    return await asyncio.wait_for(conn.read_message(), deadline)


async def ws_refused(url: str, headers: dict[str, str]) -> int:
    """The HTTP status a websocket upgrade is refused with (fails when it is accepted)."""
    try:
        conn = await ws_connect(url, headers)
    except HTTPClientError as error:
        return error.code
    conn.close()
    pytest.fail(f"websocket {url} was accepted")


async def read_until_marker(conn: WebSocketClientConnection, marker: bytes) -> list[str | bytes]:
    """Frames until the binary stream holds ``marker``."""
    frames: list[str | bytes] = []
    seen = b""
    end = time.monotonic() + STREAM_DEADLINE
    while marker not in seen:
        frame = await ws_read(conn, max(0.1, end - time.monotonic()))
        assert frame is not None, f"the stream closed before {marker!r}; got {frames!r}"
        frames.append(frame)
        if isinstance(frame, bytes):
            seen += frame
    return frames


async def read_until_exit(conn: WebSocketClientConnection) -> dict[str, Any]:
    """Frames until the exit control message."""
    end = time.monotonic() + STREAM_DEADLINE
    while True:
        frame = await ws_read(conn, max(0.1, end - time.monotonic()))
        assert frame is not None, "the stream closed without an exit message"
        if isinstance(frame, str):
            message: dict[str, Any] = json.loads(frame)
            if message.get("type") == "exit":
                return message


def stop_quietly(hub: Hub, task_id: str) -> None:
    as_user(hub, "alice", "POST", f"claude/{task_id}/stop", json={})


def assert_tmux_alive(hub: Hub) -> None:
    """alice's tmux server is still up (the keeper runs); say so plainly when it crashed."""
    if _tmux(hub.tmux_socket("alice"), "has-session", "-t", f"=claude-{KEEPER}").returncode != 0:
        pytest.fail(
            "alice's tmux server died with all her sessions: tmux crashed? (`dmesg | grep tmux` shows "
            "'segfault at 20' for the tmux 3.3a control-mode crash)\n" + hub.log_tail()
        )


# -- tests ----------------------------------------------------------------------------------------

ALICE_ROUTES = [
    ("GET", "claude/tasks"),
    ("GET", "claude/sessions"),
    ("GET", f"claude/{TASK_ID}/status"),
    ("GET", f"claude/{TASK_ID}/log"),
    ("POST", f"claude/{TASK_ID}/start"),
    ("POST", f"claude/{TASK_ID}/attach"),
    ("POST", f"claude/{TASK_ID}/stop"),
]


def test_every_rest_route_through_the_proxy(hub: Hub) -> None:
    """alice's token: tasks, sessions, status, start, attach, log, stop under /user/alice/."""
    socket_name = hub.tmux_socket("alice")
    try:
        tasks = alice(hub, "GET", "claude/tasks").json()
        (task,) = [row for row in tasks["tasks"] if row["id"] == TASK_ID]
        assert task["title"] == "Fix login under the hub" and task["path"] == f"tasks/{TASK_ID}.md"
        assert task["session"]["state"] == "stopped"
        assert status(hub, TASK_ID)["running"] is False

        # No display on a hub server: the terminal result says how to attach, and why none opened.
        started = alice(hub, "POST", f"claude/{TASK_ID}/start", json={}).json()
        assert started["started"] is True
        assert started["session"]["running"] is True and started["session"]["name"] == f"claude-{TASK_ID}"
        assert started["session"]["cwd"] == str(hub.home("alice").resolve())
        terminal = started["terminal"]
        assert terminal["launched"] is False and terminal["reason"], terminal
        assert "attach-session" in terminal["attach_command"] and socket_name in terminal["attach_command"]
        assert f"=claude-{TASK_ID}" in terminal["attach_command"]

        # The session lives on alice's private tmux server, nowhere else.
        assert f"claude-{TASK_ID}" in tmux_sessions(socket_name)
        running = status(hub, TASK_ID)
        assert running["running"] is True and running["state"] == "running" and running["pid"]
        sessions = alice(hub, "GET", "claude/sessions").json()["sessions"]
        assert session_ids(sessions) == [TASK_ID]
        tasks = alice(hub, "GET", "claude/tasks").json()
        assert [row["session"]["state"] for row in tasks["tasks"] if row["id"] == TASK_ID] == ["running"]

        again = alice(hub, "POST", f"claude/{TASK_ID}/start", json={"headless": True}).json()
        assert again["started"] is False and again["terminal"]["reason"]

        attach = alice(hub, "POST", f"claude/{TASK_ID}/attach", json={}).json()
        assert attach["launched"] is False and attach["reason"] and attach["attach_command"]
        headless = alice(hub, "POST", f"claude/{TASK_ID}/attach", json={"headless": True}).json()
        assert headless["launched"] is False and "headless" in headless["reason"]

        def logged() -> str | None:
            text: str = alice(hub, "GET", f"claude/{TASK_ID}/log", params={"tail": "20"}).text
            return text if f"{MARKER} {TASK_ID}" in text else None

        wait_for("the task's output in its log", logged, STREAM_DEADLINE, hub)
        # The log is alice's: under her server's home, not the hub's or the tester's.
        assert (hub.home("alice") / ".cache" / "jupyter-claude" / "logs" / f"{TASK_ID}.log").is_file()

        stopped = alice(hub, "POST", f"claude/{TASK_ID}/stop", json={}).json()
        assert stopped["stopped"] is True and stopped["session"]["state"] == "stopped"
        assert status(hub, TASK_ID)["running"] is False
        assert f"claude-{TASK_ID}" not in tmux_sessions(socket_name)
        assert alice(hub, "POST", f"claude/{TASK_ID}/stop", json={}).json()["stopped"] is False
        # The log outlives the session.
        assert f"{MARKER} {TASK_ID}" in alice(hub, "GET", f"claude/{TASK_ID}/log").text
    finally:
        stop_quietly(hub, TASK_ID)


def test_api_errors_come_through_the_proxy_as_json(hub: Hub) -> None:
    """The API's JSON errors reach the client unchanged through the hub's proxy."""
    bad = as_user(hub, "alice", "GET", "claude/a.b/status")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_task_id"
    wrong_verb = as_user(hub, "alice", "GET", f"claude/{TASK_ID}/start")
    assert wrong_verb.status_code == 405 and wrong_verb.json()["error"] == "method_not_allowed"
    assert "POST" in wrong_verb.json()["reason"]
    assert not tmux_sessions(hub.tmux_socket("alice"))


def test_stream_websocket_through_the_proxy(hub: Hub) -> None:
    """The pane's bytes arrive as binary frames through the proxy; stop sends the exit message."""
    task_id = "hub-stream"
    headers = {"Authorization": f"token {hub.tokens['alice']}"}

    async def scenario() -> tuple[list[str | bytes], dict[str, Any]]:
        alice(hub, "POST", f"claude/{task_id}/start", json={"headless": True})
        conn = await ws_connect(ws_url(hub, f"claude/{task_id}/stream"), headers)
        try:
            frames = await read_until_marker(conn, f"{MARKER} {task_id}".encode())
            await asyncio.to_thread(alice, hub, "POST", f"claude/{task_id}/stop", json={})
            exit_message = await read_until_exit(conn)
            if PROXY_PASSES_CLOSE:
                # After the exit message the server closes normally.
                assert await ws_read(conn, STREAM_DEADLINE) is None
                assert conn.close_code == 1000
            return frames, exit_message
        finally:
            conn.close()

    try:
        frames, exit_message = asyncio.run(scenario())
    finally:
        stop_quietly(hub, task_id)
    assert_tmux_alive(hub)
    # Text frames are JSON control messages (e.g. the pane's size); the terminal bytes are binary.
    assert all(isinstance(f, bytes) or "type" in json.loads(f) for f in frames), frames
    assert any(isinstance(f, bytes) for f in frames)
    assert exit_message["session"]["id"] == task_id and exit_message["session"]["running"] is False


def test_stream_of_a_stopped_task_sends_the_log_then_exit(hub: Hub) -> None:
    """Opening the stream after the session ended replays what was saved, then the exit message."""
    task_id = "hub-replay"
    headers = {"Authorization": f"token {hub.tokens['alice']}"}
    try:
        alice(hub, "POST", f"claude/{task_id}/start", json={"headless": True})
        wait_for(
            "the output in the log",
            lambda: MARKER in alice(hub, "GET", f"claude/{task_id}/log").text,
            STREAM_DEADLINE,
            hub,
        )
    finally:
        stop_quietly(hub, task_id)

    async def scenario() -> tuple[list[str | bytes], dict[str, Any]]:
        conn = await ws_connect(ws_url(hub, f"claude/{task_id}/stream"), headers)
        try:
            return await read_until_marker(conn, MARKER.encode()), await read_until_exit(conn)
        finally:
            conn.close()

    _, exit_message = asyncio.run(scenario())
    assert exit_message["session"]["state"] == "stopped"
    assert_tmux_alive(hub)


def test_events_websocket_through_the_proxy(hub: Hub) -> None:
    """claude/events: the first frame is a snapshot; a start then arrives as an event."""
    task_id = "hub-events"
    headers = {"Authorization": f"token {hub.tokens['alice']}"}

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        conn = await ws_connect(ws_url(hub, "claude/events"), headers)
        try:
            first = await ws_read(conn, STREAM_DEADLINE)
            assert isinstance(first, str), first
            await asyncio.to_thread(alice, hub, "POST", f"claude/{task_id}/start", json={"headless": True})
            end = time.monotonic() + STREAM_DEADLINE
            while True:
                frame = await ws_read(conn, max(0.1, end - time.monotonic()))
                assert isinstance(frame, str), frame
                event = json.loads(frame)
                if event.get("type") == "session" and event["session"]["id"] == task_id:
                    return json.loads(first), event
        finally:
            conn.close()

    try:
        snapshot, event = asyncio.run(scenario())
    finally:
        stop_quietly(hub, task_id)
    assert snapshot["type"] == "snapshot" and isinstance(snapshot["sessions"], list)
    assert KEEPER in [s["id"] for s in snapshot["sessions"]]
    assert task_id not in [s["id"] for s in snapshot["sessions"]]
    assert event["event"] == "started" and event["session"]["running"] is True
    assert_tmux_alive(hub)


def test_another_users_token_is_refused_on_alices_routes(hub: Hub) -> None:
    """bob's token gets 403 on every route and websocket of alice's server, and changes nothing."""
    for method, path in ALICE_ROUTES:
        response = as_user(hub, "bob", method, path, json={} if method == "POST" else None)
        assert response.status_code == 403, f"{method} {path}: {response.status_code} {response.text[:200]}"
        assert "claude-" not in response.text
    headers = {"Authorization": f"token {hub.tokens['bob']}"}
    for path in ("claude/events", f"claude/{TASK_ID}/stream"):
        assert asyncio.run(ws_refused(ws_url(hub, path), headers)) == 403
    assert status(hub, TASK_ID)["running"] is False
    assert not tmux_sessions(hub.tmux_socket("alice"))


def test_unauthenticated_callers_get_nothing(hub: Hub) -> None:
    """No token, no cookie: 403 or a redirect to the hub's login, never data; nothing starts."""
    for method, path in ALICE_ROUTES:
        response = as_user(hub, None, method, path, json={} if method == "POST" else None)
        assert response.status_code in (302, 403), f"{method} {path}: {response.status_code}"
        if response.status_code == 302:
            assert "/hub/" in response.headers["Location"], response.headers["Location"]
        assert "claude-" not in response.text and MARKER not in response.text
    for path in ("claude/events", f"claude/{TASK_ID}/stream"):
        assert asyncio.run(ws_refused(ws_url(hub, path), {})) in (302, 403)
    # A token in the URL is not accepted by the hub's single-user server either.
    query = as_user(
        hub, None, "POST", f"claude/{TASK_ID}/start", params={"token": hub.tokens["alice"]}, json={}
    )
    assert query.status_code in (302, 403)
    assert status(hub, TASK_ID)["running"] is False
    assert not tmux_sessions(hub.tmux_socket("alice"))


def login(hub: Hub, user: str, next_path: str) -> tuple[Any, Any]:
    """A browser-like session logged in to the hub: (session, the response at the end of ``next``)."""
    browser = requests.Session()
    page = browser.get(f"{hub.url}hub/login", timeout=REQUEST_TIMEOUT)
    assert page.status_code == 200, page.text[:300]
    form_xsrf = browser.cookies.get("_xsrf", path="/hub/")
    response = browser.post(
        f"{hub.url}hub/login?next={requests.utils.quote(next_path)}",
        data={"username": user, "password": PASSWORD, "_xsrf": form_xsrf or ""},
        timeout=REQUEST_TIMEOUT,
    )
    return browser, response


def test_cookie_login_and_xsrf(hub: Hub) -> None:
    """With the login cookie: reads work; a POST needs X-XSRFToken, and works with it."""
    task_id = "hub-cookie"
    browser, response = login(hub, "alice", "/user/alice/lab")
    assert response.status_code == 200, f"{response.status_code} {response.url} {response.text[:300]}"
    # Login form -> alice's server -> the hub's OAuth authorize -> alice's oauth_callback -> lab.
    hops = [r.url for r in response.history]
    assert any("/hub/api/oauth2/authorize" in url for url in hops), hops
    assert any("/user/alice/oauth_callback" in url for url in hops), hops
    assert response.url.startswith(hub.user_url("alice", "lab")), response.url
    xsrf = browser.cookies.get("_xsrf", path="/user/alice/")
    assert xsrf, f"no _xsrf cookie for /user/alice/: {browser.cookies}"
    try:
        listed = browser.get(hub.user_url("alice", "claude/sessions"), timeout=REQUEST_TIMEOUT)
        assert listed.status_code == 200 and "sessions" in listed.json()

        refused = browser.post(
            hub.user_url("alice", f"claude/{task_id}/start"), json={}, timeout=REQUEST_TIMEOUT
        )
        assert refused.status_code == 403, refused.text[:300]
        assert status(hub, task_id)["running"] is False

        forged = browser.post(
            hub.user_url("alice", f"claude/{task_id}/start"),
            json={},
            timeout=REQUEST_TIMEOUT,
            headers={"X-XSRFToken": "not-the-token"},
        )
        assert forged.status_code == 403
        assert status(hub, task_id)["running"] is False

        started = browser.post(
            hub.user_url("alice", f"claude/{task_id}/start"),
            json={"headless": True},
            headers={"X-XSRFToken": xsrf},
            timeout=REQUEST_TIMEOUT,
        )
        assert started.status_code == 200, started.text[:300]
        assert started.json()["session"]["running"] is True

        # The lab extension's log view: a websocket authenticated by the same cookie.
        cookie = browser.prepare_request(requests.Request("GET", hub.user_url("alice", "claude/x"))).headers
        headers = {"Cookie": cookie["Cookie"], "Origin": hub.url.rstrip("/")}

        def stop() -> Any:
            return browser.post(
                hub.user_url("alice", f"claude/{task_id}/stop"),
                json={},
                headers={"X-XSRFToken": xsrf},
                timeout=REQUEST_TIMEOUT,
            )

        async def view() -> tuple[Any, dict[str, Any]]:
            conn = await ws_connect(ws_url(hub, f"claude/{task_id}/stream"), headers)
            try:
                await read_until_marker(conn, f"{MARKER} {task_id}".encode())
                return await asyncio.to_thread(stop), await read_until_exit(conn)
            finally:
                conn.close()

        stopped, exit_message = asyncio.run(view())
        assert stopped.status_code == 200 and stopped.json()["stopped"] is True
        assert exit_message["session"]["id"] == task_id
    finally:
        stop_quietly(hub, task_id)
    assert_tmux_alive(hub)

    # bob's login cookie opens nothing on alice's server: the hub refuses him alice's OAuth.
    bob, home = login(hub, "bob", "/hub/home")
    assert home.status_code == 200 and home.url.startswith(f"{hub.url}hub/"), home.url
    response = bob.get(hub.user_url("alice", "claude/sessions"), timeout=REQUEST_TIMEOUT)
    assert response.status_code == 403, f"{response.status_code} {response.url}"
    assert "sessions" not in response.text


def test_sessions_are_per_user(hub: Hub) -> None:
    """bob's server has its own tmux server and logs: alice's sessions are not his, nor hers his."""
    hub.spawn("bob")
    try:
        alice(hub, "POST", f"claude/{TASK_ID}/start", json={"headless": True})
        bobs = as_user(hub, "bob", "GET", "claude/sessions", owner="bob")
        assert bobs.status_code == 200 and bobs.json() == {"sessions": []}
        assert as_user(hub, "bob", "GET", f"claude/{TASK_ID}/status", owner="bob").json()["running"] is False
        # Each token opens its own user's server only.
        assert as_user(hub, "alice", "GET", "claude/sessions", owner="bob").status_code == 403

        started = as_user(hub, "bob", "POST", "claude/bob-1/start", owner="bob", json={"headless": True})
        assert started.status_code == 200, started.text
        assert "-S" in started.json()["terminal"]["attach_command"]
        assert hub.tmux_socket("bob") in started.json()["terminal"]["attach_command"]
        assert tmux_sessions(hub.tmux_socket("bob")) == ["claude-bob-1"]
        assert tmux_sessions(hub.tmux_socket("alice")) == [f"claude-{TASK_ID}"]
        assert session_ids(alice(hub, "GET", "claude/sessions").json()["sessions"]) == [TASK_ID]

        wait_for(
            "bob's log",
            lambda: (hub.home("bob") / ".cache" / "jupyter-claude" / "logs" / "bob-1.log").is_file(),
            STREAM_DEADLINE,
            hub,
        )
        assert not (hub.home("alice") / ".cache" / "jupyter-claude" / "logs" / "bob-1.log").exists()
    finally:
        as_user(hub, "bob", "POST", "claude/bob-1/stop", owner="bob", json={})
        stop_quietly(hub, TASK_ID)


def test_sessions_outlive_a_restart_of_the_users_server(hub: Hub) -> None:
    """The hub stops alice's server (as an idle culler would) and starts it again: her tmux
    sessions ran on meanwhile, and the new server shows them with their logs."""
    before = status(hub, KEEPER)
    assert before["running"] is True
    response = hub.api("DELETE", "users/alice/server")
    assert response.status_code in (202, 204), response.text

    def stopped() -> bool:
        model = hub.api("GET", "users/alice").json()
        return not model.get("servers")

    wait_for("alice's server to stop", stopped, SPAWN_DEADLINE, hub)
    hub.spawned.discard("alice")
    assert as_user(hub, "alice", "GET", f"claude/{KEEPER}/status").status_code != 200
    assert tmux_sessions(hub.tmux_socket("alice")) == []  # the keeper is left out; the server is up
    assert _tmux(hub.tmux_socket("alice"), "has-session", "-t", f"=claude-{KEEPER}").returncode == 0

    hub.spawn("alice")
    after = status(hub, KEEPER)
    assert after["running"] is True and after["pid"] == before["pid"]
    assert after["started_at"] == before["started_at"]
    assert MARKER in alice(hub, "GET", f"claude/{KEEPER}/log").text
