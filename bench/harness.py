"""What the benchmarks share: timing (one run, medians, interleaved rounds, percentiles), their
progress lines, and a real ``jupyter server`` with the extension on a free port.

Each ``bench_*.py`` is run as a script (``.venv/bin/python bench/bench_core.py``), so this module is
imported by its plain name from the scripts' own folder.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

REPO = Path(__file__).resolve().parents[1]
SLEEP = ["sleep", "600"]


def timed_ms(action: Callable[[], object]) -> float:
    """Wall time of one call of ``action``, in milliseconds."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def median_ms(action: Callable[[], object], repeat: int, before: Callable[[], object] | None = None) -> float:
    """Median wall time of ``action`` in milliseconds (``before`` runs untimed each round)."""
    samples = []
    for _ in range(repeat):
        if before is not None:
            before()
        samples.append(timed_ms(action))
    return statistics.median(samples)


def interleaved_ms(actions: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median wall time of each action in milliseconds, the actions taking turns in every round
    (so that a change of machine load hits all of them alike)."""
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for action, times in zip(actions, samples):
            times.append(timed_ms(action))
    return [statistics.median(times) for times in samples]


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of the samples lie (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def progress(text: str) -> None:
    """Say what is being measured (stderr), named after the script that runs."""
    print(f"{Path(sys.argv[0]).stem}: {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A ``jupyter server`` process with the extension (enabled by the packaged config file), and
    a keep-alive HTTP connection to it.

    ``root`` is its root_dir (``workdir/root`` when not given); ``tmux_socket`` its private tmux
    socket; ``settings`` more command-line settings. Sessions run ``sleep 600`` headless unless
    ``settings`` is given.
    """

    def __init__(
        self,
        tmux_socket: str,
        workdir: Path,
        settings: list[str] | None = None,
        root: Path | None = None,
    ) -> None:
        self.port, self.token = free_port(), uuid.uuid4().hex
        if root is None:
            root = workdir / "root"
            root.mkdir(exist_ok=True)  # a benchmark may have put files there
        env = {
            **os.environ,
            "JUPYTER_CONFIG_PATH": str(REPO / "jupyter-config"),
            "JUPYTER_CONFIG_DIR": str(workdir / "config"),
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        }
        argv = [
            sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser", "--ip=127.0.0.1",
            f"--port={self.port}", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}", "--ServerApp.log_level=WARN",
            f"--ClaudeSessions.tmux_socket={tmux_socket}", f"--ClaudeSessions.log_dir={workdir / 'logs'}",
            "--ClaudeSessions.headless=True",
        ]  # fmt: skip
        argv += (
            settings
            if settings is not None
            else [
                f"--ClaudeSessions.command={json.dumps(SLEEP)}",
                "--ClaudeSessions.allow_command_override=True",
            ]
        )
        self.log = (workdir / "server.log").open("wb")
        self.process = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.request("GET", "api/status")
                return
            except (OSError, http.client.HTTPException):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "server.log").read_text()[-2000:]) from None
                self.connection.close()
                time.sleep(0.2)

    def request(self, method: str, path: str, body: Any = None, parse: bool = True) -> Any:
        """One JSON request on the keep-alive connection (``parse=False``: the raw body, as timed)."""
        payload = None if body is None else json.dumps(body)
        headers = {"Authorization": f"token {self.token}"}
        self.connection.request(method, "/" + path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if parse else data

    def get(self, path: str) -> bytes:
        """One GET; the body as received."""
        return self.request("GET", path, parse=False)  # type: ignore[no-any-return]

    def ws_url(self, path: str) -> str:
        """A websocket URL on this server."""
        return f"ws://127.0.0.1:{self.port}/{path}"

    async def connect(self, path: str) -> WebSocketClientConnection:
        """Open a websocket with the token."""
        request = HTTPRequest(self.ws_url(path), headers={"Authorization": f"token {self.token}"})
        return await websocket_connect(request, max_message_size=1 << 30)

    @property
    def rss(self) -> int:
        """Resident memory of the server process, in bytes."""
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s (our own child, by PID)."""
        self.connection.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
