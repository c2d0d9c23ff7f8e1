"""``WS claude/{id}/stream``: screen first, then every byte in order, shared by viewers, closed at the end."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.render import strip_ansi
from jupyter_claude.server.stream import replay_from, screen_bytes

from ..support.data import INVALID_IDS
from ..support.server import (
    Fetch,
    body,
    collect,
    error_of,
    messages_of,
    output_of,
    post,
    print_in_pane,
    quoted,
    read_frames,
    tmux_run,
    wait_until,
)

COUNTER = [
    sys.executable,
    "-c",
    "import time\ni = 0\nwhile True:\n    print(i, flush=True)\n    i += 1\n    time.sleep(0.002)",
]


def control_clients(tmux_socket: str) -> list[str]:
    """The control-mode clients on the socket (views follow the log: there must be none)."""
    out = tmux_run(tmux_socket, "list-clients", "-F", "#{client_control_mode} #{session_name}").stdout
    return [line for line in out.splitlines() if line.startswith("1 ")]


def has(text: bytes) -> Any:
    """Frames predicate: the terminal bytes so far contain ``text``."""
    return lambda frames: text in output_of(frames)


def closed(frames: list[str | bytes]) -> bool:
    """Frames predicate: an exit message arrived."""
    return any(m.get("type") == "exit" for m in messages_of(frames))


async def started(jp_fetch: Fetch, task_id: str = "42") -> None:
    """Start a SLEEPER session and wait until its first line is printed."""
    await post(jp_fetch, "claude", task_id, "start")
    for _ in range(200):
        if f"ready {task_id}" in (await jp_fetch("claude", task_id, "log")).body.decode():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the session printed nothing")


def test_screen_bytes_and_replay() -> None:
    assert screen_bytes([b"a", b"b"], 1, 0) == b"a\r\nb\x1b[0m\x1b[1;2H"
    assert replay_from(b"whole log\r\n", whole=True) == b"\x1b[0mwhole log\r\n"
    # A tail cut from a longer log starts at the next line, so no half escape sequence is replayed.
    assert replay_from(b"31mtail of a line\r\nnext\r\n", whole=False) == b"\x1b[0mnext\r\n"


async def test_screen_then_live_bytes_in_order_with_colours(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str
) -> None:
    await started(jp_fetch)
    ws = await jp_ws_fetch("claude", "42", "stream")
    first = await read_frames(ws, has(b"ready 42"))
    size = messages_of(first)[0]
    assert size["type"] == "size" and size["cols"] > 0 and size["rows"] > 0
    assert isinstance(first[1], bytes) and b"ready 42" in first[1]
    lines = [f"\x1b[3{n % 8}mline {n}\x1b[0m\n".encode() for n in range(20)]
    for line in lines:
        print_in_pane(tmux_socket, "42", line)
    expected = b"".join(line.replace(b"\n", b"\r\n") for line in lines)
    live = await read_frames(ws, lambda frames: expected in output_of(frames), timeout=1.0)
    assert output_of(live).endswith(expected)
    ws.close()


async def test_two_viewers_share_one_reader_and_get_the_same_bytes(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str, jp_serverapp: Any
) -> None:
    await started(jp_fetch)
    first = await jp_ws_fetch("claude", "42", "stream")
    await read_frames(first, has(b"ready 42"))
    second = await jp_ws_fetch("claude", "42", "stream")
    await read_frames(second, has(b"ready 42"))
    assert control_clients(tmux_socket) == []
    assert len(jp_serverapp.web_app.settings["claude_streams"]) == 1
    payload = b"".join(f"\x1b[1mbyte-for-byte {n}\x1b[0m\n".encode() for n in range(50))
    print_in_pane(tmux_socket, "42", payload)
    want = payload.replace(b"\n", b"\r\n")
    got_first = output_of(await read_frames(first, has(want)))
    got_second = output_of(await read_frames(second, has(want)))
    assert got_first == got_second == want
    first.close()
    second.close()
    await wait_until(lambda: not control_clients(tmux_socket))
    await wait_until(lambda: len(jp_serverapp.web_app.settings["claude_streams"]) == 0)


async def test_no_byte_lost_or_doubled_between_screen_and_stream(
    jp_fetch: Fetch, jp_ws_fetch: Any, manager: ClaudeSessions
) -> None:
    manager.start("7", command=COUNTER)
    await asyncio.sleep(0.3)
    viewers = []
    for _ in range(3):
        viewers.append(await jp_ws_fetch("claude", "7", "stream"))
        await asyncio.sleep(0.15)
    await asyncio.sleep(0.3)
    for ws in viewers:
        frames = await collect(ws, 0.5)
        text = strip_ansi(output_of(frames).decode())
        numbers = [int(n) for n in re.findall(r"^\d+$", re.sub(r"\x1b\[\d+;\d+H", "\n", text), re.M)]
        assert len(numbers) > 100
        expected = list(range(numbers[0], numbers[0] + len(numbers)))
        at = next((i for i, (a, b) in enumerate(zip(numbers, expected)) if a != b), None)
        assert at is None, f"gap or duplicate at {at}: {numbers[max(0, at - 3) : at + 3]} in {frames[:4]!r}"[
            :3000
        ]
        ws.close()


async def test_killed_session_sends_the_final_status_and_closes(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str
) -> None:
    await started(jp_fetch)
    ws = await jp_ws_fetch("claude", "42", "stream")
    await read_frames(ws, has(b"ready 42"))
    tmux_run(tmux_socket, "kill-session", "-t", "=claude-42")
    frames = await read_frames(ws, closed, timeout=1.0)
    (exit_message,) = [m for m in messages_of(frames) if m["type"] == "exit"]
    assert exit_message["session"]["state"] == "stopped" and exit_message["session"]["running"] is False
    assert await asyncio.wait_for(ws.read_message(), 1.0) is None
    assert ws.close_code == 1000
    await wait_until(lambda: not control_clients(tmux_socket))


async def test_exiting_command_flushes_its_last_bytes_then_exit_status(
    jp_ws_fetch: Any, manager: ClaudeSessions
) -> None:
    manager.start("9", command=["sh", "-c", "read line; printf 'last words\\n'; exit 3"])
    ws = await jp_ws_fetch("claude", "9", "stream")
    await read_frames(ws, lambda frames: any(isinstance(f, bytes) for f in frames))
    manager.tmux.run(["send-keys", "-t", "=claude-9:", "go", "Enter"])
    frames = await read_frames(ws, closed, timeout=1.5)
    assert b"last words" in output_of(frames)
    (exit_message,) = [m for m in messages_of(frames) if m["type"] == "exit"]
    assert exit_message["session"]["state"] == "exited" and exit_message["session"]["exit_status"] == 3
    assert await asyncio.wait_for(ws.read_message(), 1.0) is None and ws.close_code == 1000


async def test_viewer_of_a_session_that_is_not_running(
    jp_fetch: Fetch, jp_ws_fetch: Any, manager: ClaudeSessions
) -> None:
    never = await jp_ws_fetch("claude", "never", "stream")
    frames = await read_frames(never, closed)
    assert output_of(frames) == b"" and messages_of(frames)[-1]["session"]["state"] == "stopped"
    assert await never.read_message() is None and never.close_code == 1000

    manager.start("5", command=["sh", "-c", "printf 'dead pane text\\n'; exit 4"])
    await wait_until(lambda: manager.status("5").state == "exited")
    dead = await jp_ws_fetch("claude", "5", "stream")
    frames = await read_frames(dead, closed)
    assert b"dead pane text" in output_of(frames)
    assert messages_of(frames)[-1]["session"]["exit_status"] == 4

    manager.stop("5")
    gone = await jp_ws_fetch("claude", "5", "stream")
    frames = await read_frames(gone, closed)
    assert b"dead pane text" in output_of(frames)  # from the log
    assert messages_of(frames)[-1]["session"]["state"] == "stopped"


async def test_stream_ids_are_checked_before_upgrade(
    http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    for task_id in INVALID_IDS:
        code, error = await error_of(
            http_server_client.fetch(f"{jp_base_url}claude/{quoted(task_id)}/stream", headers=jp_auth_header)
        )
        assert code == 400 and error["error"] == "invalid_task_id"


async def test_the_screen_is_the_running_commands_not_earlier_runs(
    jp_ws_fetch: Any, jp_serverapp: Any
) -> None:
    """The task log keeps every run; a view replays only what the running command drew."""
    manager: ClaudeSessions = jp_serverapp.web_app.settings["claude_sessions"]

    def command(marker: str) -> list[str]:
        return [sys.executable, "-c", f"import time; print('{marker}', flush=True); time.sleep(600)"]

    manager.start("42", command=["sh", "-c", "echo first-run-output; exit 3"])
    await wait_until(
        lambda: manager.status("42").state == "exited" and "first-run-output" in manager.read_log("42")
    )
    assert manager.start("42", command=command("second-run-output")).created  # respawned in place
    ws = await jp_ws_fetch("claude", "42", "stream")
    screen = output_of(await read_frames(ws, has(b"second-run-output")))
    assert b"first-run-output" not in screen
    ws.close()

    manager.stop("42")
    manager.start("42", command=command("third-run-output"))
    ws = await jp_ws_fetch("claude", "42", "stream")
    screen = output_of(await read_frames(ws, has(b"third-run-output")))
    assert b"second-run-output" not in screen and b"first-run-output" not in screen
    ws.close()
    assert re.search("first-run-output.*second-run-output.*third-run-output", manager.read_log("42"), re.S)


async def test_the_screen_keeps_the_pane_size(jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str) -> None:
    await started(jp_fetch)
    ws = await jp_ws_fetch("claude", "42", "stream")
    await read_frames(ws, has(b"ready 42"))
    tmux_run(tmux_socket, "resize-window", "-t", "=claude-42:", "-x", "100", "-y", "30")
    frames = await read_frames(
        ws, lambda frames: any(m.get("cols") == 100 for m in messages_of(frames)), timeout=2.0
    )
    assert {"type": "size", "cols": 100, "rows": 30} in messages_of(frames)
    ws.close()


@pytest.mark.parametrize("message", ["hello", json.dumps({"type": "resize", "cols": 1})])
async def test_client_messages_are_ignored(jp_fetch: Fetch, jp_ws_fetch: Any, message: str) -> None:
    await started(jp_fetch)
    ws = await jp_ws_fetch("claude", "42", "stream")
    await read_frames(ws, has(b"ready 42"))
    await ws.write_message(message)
    assert body(await jp_fetch("claude", "42", "status"))["running"] is True
    ws.close()


async def test_viewers_and_session_churn_do_not_crash_tmux(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str, jp_serverapp: Any
) -> None:
    # tmux 3.3a dies when a session is created or killed while a control client is still
    # connecting (tmux PR 4980): views follow the log and keep no tmux client, so churn is safe.
    for task_id in ("a1", "a2", "a3", "a4"):
        await post(jp_fetch, "claude", task_id, "start", payload={"attach": False})
    for round_number in range(3):
        viewers = [jp_ws_fetch("claude", task_id, "stream") for task_id in ("a1", "a2", "a3", "a4")]
        churn = [
            post(jp_fetch, "claude", f"b{round_number}{n}", verb, payload={"attach": False})
            for n in range(4)
            for verb in ("start", "stop")
        ]
        results = await asyncio.gather(*viewers, *churn)
        for ws in results[:4]:
            ws.close()
        assert tmux_run(tmux_socket, "has-session", "-t", "=claude-a1").returncode == 0, "tmux died"
    await wait_until(lambda: len(jp_serverapp.web_app.settings["claude_streams"]) == 0)
