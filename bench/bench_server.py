"""Server speed, against raw tmux on the same machine, in one run.

    .venv/bin/python bench/bench_server.py [--sessions 200] [--repeat 30] [--flood 5]

Starts a real ``jupyter server`` with the extension (enabled by the packaged config file) on a
private tmux socket and a free port, then measures over HTTP and WebSockets:

- start: ``POST claude/{id}/start`` (headless) vs raw ``tmux new-session -d``. Target <= 3x.
- list: ``GET claude/sessions`` with N live sessions vs one raw ``tmux list-sessions -F``. Target <= 2x.
- kill → event: ``tmux kill-session`` from outside, at a random moment between two of the
  watcher's ticks (0.5 s), until its "stopped" arrives on ``claude/events``. Target p50 <= 300 ms.
- print → frame: bytes written by the pane (to its tty) until they arrive on ``claude/{id}/stream``.
  Target p50 <= 100 ms.
- flood: a pane writing as fast as it can for ``--flood`` seconds with a viewer attached (a separate
  process reading the stream): the server's RSS growth and ``GET status`` latency meanwhile.
  Targets <= 50 MB and p99 <= 100 ms.

Prints a markdown table; the tmux server, the Jupyter server and the viewer are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import SLEEP, Server, interleaved_ms, percentile, progress
from tornado.websocket import WebSocketClientConnection
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.tmux import scrubbed_environment

FLOOD = ["yes", "jupyter-claude flood: the quick brown fox jumps over the lazy dog 0123456789"]

VIEWER = r"""
import asyncio, sys, time
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect
async def main():
    ws = await websocket_connect(HTTPRequest(sys.argv[1], headers={"Authorization": "token " + sys.argv[2]}),
                                 max_message_size=1 << 30)
    total, deadline = 0, time.monotonic() + float(sys.argv[3])
    while time.monotonic() < deadline:
        try:
            frame = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
        except asyncio.TimeoutError:
            break
        if frame is None:
            print(total, "closed", ws.close_code, flush=True)
            return
        total += len(frame)
    print(total, "open", 0, flush=True)
asyncio.run(main())
"""


async def receive(ws: WebSocketClientConnection, timeout: float = 10.0) -> str | bytes:
    """The next frame, or an error after ``timeout`` seconds (a benchmark must not hang)."""
    frame = await asyncio.wait_for(ws.read_message(), timeout)
    if frame is None:
        raise RuntimeError(f"websocket closed ({ws.close_code})")
    return frame


def pane_tty(raw: Callable[..., str], name: str) -> str:
    """The terminal device of a session's pane."""
    return raw("display-message", "-p", "-t", f"={name}:", "#{pane_tty}").strip()


async def kill_to_event(
    server: Server, raw: Callable[..., str], repeat: int, interval: float = 0.5
) -> list[float]:
    """Milliseconds from an outside ``kill-session`` (at a random moment) to its "stopped" event."""
    ws = await server.connect("claude/events")
    await receive(ws)
    samples = []
    for number in range(repeat):
        name = f"claude-k{number}"
        raw("new-session", "-d", "-s", name, *SLEEP)
        while True:
            message = json.loads(await receive(ws))
            if message.get("session", {}).get("name") == name and message["event"] == "started":
                break
        # Kills come at any moment relative to the watcher's ticks: sample that phase evenly.
        await asyncio.sleep(random.uniform(0, interval))
        started = time.perf_counter()
        raw("kill-session", "-t", f"={name}")
        while True:
            message = json.loads(await receive(ws))
            if message.get("session", {}).get("name") == name and message["event"] == "stopped":
                break
        samples.append((time.perf_counter() - started) * 1000)
    ws.close()
    return samples


async def print_to_frame(server: Server, raw: Callable[..., str], repeat: int) -> list[float]:
    """Milliseconds from bytes written by the pane to the frame that carries them."""
    server.request("POST", "claude/p1/start", {})
    ws = await server.connect("claude/p1/stream")
    await receive(ws)  # size
    await receive(ws)  # screen
    tty = os.open(pane_tty(raw, "claude-p1"), os.O_WRONLY | os.O_NOCTTY)
    samples = []
    try:
        for number in range(repeat):
            marker = f"\x1b[32mmark-{number:05d}\x1b[0m\n".encode()
            started = time.perf_counter()
            os.write(tty, marker)
            seen = b""
            while marker[:-1] not in seen:
                frame = await receive(ws)
                if isinstance(frame, bytes):
                    seen += frame
            samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
    finally:
        os.close(tty)
        ws.close()
    return samples


def flood(server: Server, seconds: float) -> dict[str, Any]:
    """A pane writing flat out with a viewer attached: RSS growth and status latency meanwhile."""
    server.request("POST", "claude/f1/start", {"cmd": FLOOD, "attach": False})
    rss_before = server.rss
    viewer = subprocess.Popen(
        [sys.executable, "-c", VIEWER, server.ws_url("claude/f1/stream"), server.token, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    latencies, peak = [], rss_before
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        server.request("GET", "claude/f1/status", parse=False)
        latencies.append((time.perf_counter() - started) * 1000)
        peak = max(peak, server.rss)
        time.sleep(0.02)
    out, _ = viewer.communicate(timeout=30)
    received, state, code = out.split()
    server.request("POST", "claude/f1/stop")
    return {
        "rss_growth_mb": (peak - rss_before) / 2**20,
        "status_p50": percentile(latencies, 0.5),
        "status_p99": percentile(latencies, 0.99),
        "requests": len(latencies),
        "viewer_mb": int(received) / 2**20,
        "viewer": state if state == "open" else f"closed {code}",
    }


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--flood", type=float, default=5.0)
    options = parser.parse_args()

    tmux_socket = f"jc-bench-{uuid.uuid4().hex[:8]}"
    tmux = shutil.which("tmux") or "tmux"
    env = scrubbed_environment()

    def raw(*args: str) -> str:
        done = subprocess.run([tmux, "-L", tmux_socket, *args], env=env, capture_output=True, check=False)
        if done.returncode and args[0] != "kill-server":
            progress(f"tmux {' '.join(args[:4])}: {done.stderr.decode().strip()}")
        return done.stdout.decode()

    workdir = Path(tempfile.mkdtemp(prefix="jc-bench-server-"))
    server = Server(tmux_socket, workdir)
    core = ClaudeSessions(
        config=Config(), tmux_socket=tmux_socket, log_dir=str(workdir / "logs"),
        root_dir=str(workdir / "root"), command=SLEEP, headless=True,
    )  # fmt: skip
    counter = iter(range(10**9))
    try:
        raw("new-session", "-d", "-s", "keepalive", *SLEEP)  # a warm tmux server for every side
        progress("start")
        raw_start, core_start, ours_start = interleaved_ms(
            [
                lambda: raw("new-session", "-d", "-s", f"raw-{next(counter)}", *SLEEP),
                lambda: (core.start(task := f"c{next(counter)}"), core.attach(task)),
                lambda: server.request("POST", f"claude/s{next(counter)}/start", {}, parse=False),
            ],
            options.repeat,
        )
        raw("kill-server")
        time.sleep(0.2)
        raw("new-session", "-d", "-s", "keepalive", *SLEEP)
        for number in range(options.sessions):
            core.start(f"t{number}")
        live = len(server.request("GET", "claude/sessions")["sessions"])
        fmt = "#{session_name}\t#{session_attached}\t#{session_created}"
        progress(f"list with {live} sessions")
        raw_list, core_list, ours_list, bare_get = interleaved_ms(
            [
                lambda: raw("list-sessions", "-F", fmt),
                lambda: [session.to_json() for session in core.list()],
                lambda: server.request("GET", "claude/sessions", parse=False),
                lambda: server.request("GET", "api/me", parse=False),  # Jupyter's own floor
            ],
            options.repeat,
        )
        progress("kill -> event")
        kills = asyncio.run(kill_to_event(server, raw, options.repeat))
        progress("print -> frame")
        frames = asyncio.run(print_to_frame(server, raw, options.repeat * 2))
        progress("flood")
        flooded = flood(server, options.flood)
    finally:
        server.stop()
        raw("kill-server")
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"Server benchmark: {raw_version(tmux)}, {os.cpu_count()} CPUs, medians of {options.repeat}\n")
    print("| measure | server (HTTP/WS) | core in-process | raw tmux | server / raw (target) |")
    print("|---|---|---|---|---|")
    print(f"| POST start, headless | {ours_start:.1f} ms | {core_start:.1f} ms (start + attach) "
          f"| {raw_start:.1f} ms (new-session -d) | {ours_start / raw_start:.2f}x (<= 3x) |")  # fmt: skip
    print(f"| GET sessions, {live} live | {ours_list:.1f} ms | {core_list:.1f} ms (list + to_json) "
          f"| {raw_list:.1f} ms (list-sessions -F) | {ours_list / raw_list:.2f}x (<= 2x) |")  # fmt: skip
    print(f"| GET api/me (any authenticated Jupyter request) | {bare_get:.1f} ms | | | |")
    print(f"| GET sessions less GET api/me | {ours_list - bare_get:.1f} ms | | {raw_list:.1f} ms "
          f"| {(ours_list - bare_get) / raw_list:.2f}x |")  # fmt: skip
    print(f"| outside kill-session → event | p50 {percentile(kills, 0.5):.0f} ms, "
          f"p95 {percentile(kills, 0.95):.0f} ms | | | p50 <= 300 ms |")  # fmt: skip
    print(f"| pane prints → stream frame | p50 {percentile(frames, 0.5):.1f} ms, "
          f"p95 {percentile(frames, 0.95):.1f} ms | | | p50 <= 100 ms |")  # fmt: skip
    print(f"| flood {options.flood:.0f} s, 1 viewer: server RSS growth | {flooded['rss_growth_mb']:.1f} MB "
          f"| | | <= 50 MB |")  # fmt: skip
    print(f"| flood: GET status ({flooded['requests']} requests) | p50 {flooded['status_p50']:.1f} ms, "
          f"p99 {flooded['status_p99']:.1f} ms | | | p99 <= 100 ms |")  # fmt: skip
    print(
        f"| flood: bytes the viewer got | {flooded['viewer_mb']:.1f} MB (socket {flooded['viewer']}) | | | |"
    )
    return 0


def raw_version(tmux: str) -> str:
    """tmux's version string."""
    return subprocess.run([tmux, "-V"], capture_output=True, text=True, check=False).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
