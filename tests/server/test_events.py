"""``WS claude/events``: a snapshot, then pushed changes from one watcher that runs only while listened to."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.manager import Session
from jupyter_claude.server.events import SessionEvent, changes

from ..support.server import (
    Fetch,
    body,
    collect,
    post,
    read_frames,
    tmux_run,
    wait_until,
)


def events(frames: list[str | bytes]) -> list[dict[str, Any]]:
    """The decoded messages."""
    return [json.loads(frame) for frame in frames]


def event_for(task_id: str, kind: str, **fields: Any) -> Any:
    """Frames predicate: a ``kind`` event for the task (with the given session fields) arrived."""

    def matches(frames: list[str | bytes]) -> bool:
        return any(
            message.get("event") == kind
            and message["session"]["id"] == task_id
            and all(message["session"].get(k) == v for k, v in fields.items())
            for message in events(frames)
        )

    return matches


@pytest.fixture
def watcher(jp_serverapp: Any) -> Any:
    """The server's one events watcher."""
    return jp_serverapp.web_app.settings["claude_watcher"]


@pytest.fixture
def terminal_client(tmux_socket: str) -> Iterator[Any]:
    """Attach a real (non-control) tmux client on a pty; yields a function; kills it afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def attach(task_id: str) -> subprocess.Popen[bytes]:
        main, secondary = pty.openpty()
        env = {**{k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}, "TERM": "xterm"}
        process = subprocess.Popen(
            ["tmux", "-L", tmux_socket, "attach-session", "-t", f"=claude-{task_id}"],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            start_new_session=True,
        )
        os.close(secondary)
        processes.append(process)
        process.main_fd = main  # type: ignore[attr-defined]
        return process

    yield attach
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(process.main_fd)  # type: ignore[attr-defined]


def test_changes_name_every_kind_of_event() -> None:
    live = Session(id="1", name="claude-1", running=True, state="running", started_at="t", pid=5)
    assert changes({}, {"claude-1": live}) == [SessionEvent("started", live)]
    dead = Session(id="1", name="claude-1", state="exited", exit_status=3, started_at="t")
    assert changes({"claude-1": live}, {"claude-1": dead})[0].kind == "exited"
    assert changes({"claude-1": live}, {})[0].kind == "stopped"
    attached = Session(**{**live.__dict__, "attached_clients": 1})
    assert changes({"claude-1": live}, {"claude-1": attached})[0].kind == "attached"
    waiting = Session(**{**live.__dict__, "state": "waiting"})
    assert changes({"claude-1": live}, {"claude-1": waiting})[0].kind == "state"
    respawned = Session(**{**live.__dict__, "started_at": "t2", "pid": 6})
    assert changes({"claude-1": dead}, {"claude-1": respawned})[0].kind == "started"
    assert changes({"claude-1": live}, {"claude-1": live}) == []


async def test_snapshot_first_then_start_and_stop(jp_fetch: Fetch, jp_ws_fetch: Any) -> None:
    await post(jp_fetch, "claude", "1", "start")
    ws = await jp_ws_fetch("claude", "events")
    (snapshot,) = events(await read_frames(ws, lambda frames: len(frames) >= 1))
    assert snapshot["type"] == "snapshot" and [s["id"] for s in snapshot["sessions"]] == ["1"]
    await post(jp_fetch, "claude", "2", "start")
    await read_frames(ws, event_for("2", "started", running=True), timeout=1.0)
    await post(jp_fetch, "claude", "2", "stop")
    await read_frames(ws, event_for("2", "stopped", state="stopped"), timeout=1.0)
    ws.close()


async def test_external_kill_is_pushed_within_a_second(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str
) -> None:
    await post(jp_fetch, "claude", "1", "start")
    await post(jp_fetch, "claude", "2", "start")
    ws = await jp_ws_fetch("claude", "events")
    await read_frames(ws, lambda frames: len(frames) >= 1)
    assert tmux_run(tmux_socket, "kill-session", "-t", "=claude-2").returncode == 0
    await read_frames(ws, event_for("2", "stopped"), timeout=1.0)
    ws.close()


async def test_a_session_started_here_and_killed_before_the_next_tick_is_stopped(
    jp_fetch: Fetch, jp_ws_fetch: Any, watcher: Any, tmux_socket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race that once left a badge 🟢: the tick that could have seen the new session had listed
    before it was created, and the session was killed before the next tick. Slowing the listing down
    makes that order certain here."""
    listing = threading.Event()
    real_list = watcher.manager.list

    def slow_list() -> Any:
        sessions = real_list()
        listing.set()
        time.sleep(0.4)
        return sessions

    ws = await jp_ws_fetch("claude", "events")
    await read_frames(ws, lambda frames: len(frames) >= 1)
    monkeypatch.setattr(watcher.manager, "list", slow_list)
    watcher.poke()
    await wait_until(listing.is_set)
    await post(jp_fetch, "claude", "2", "start", payload={"headless": True})
    assert tmux_run(tmux_socket, "kill-session", "-t", "=claude-2").returncode == 0
    frames = await read_frames(ws, event_for("2", "stopped", state="stopped"), timeout=3.0)
    assert [(m["event"], m["session"]["state"]) for m in events(frames)] == [
        ("started", "running"),
        ("stopped", "stopped"),
    ]
    ws.close()


async def test_command_exiting_with_3_is_exited_3(jp_ws_fetch: Any, manager: ClaudeSessions) -> None:
    ws = await jp_ws_fetch("claude", "events")
    await read_frames(ws, lambda frames: len(frames) >= 1)
    manager.start("9", command=["sh", "-c", "sleep 0.3; exit 3"])
    # Seen "started" first only when the tick (or a tmux notification) came before the exit.
    await read_frames(ws, event_for("9", "exited", exit_status=3, running=False), timeout=1.3)
    ws.close()


async def test_attached_terminals_and_agent_states_are_pushed(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str, terminal_client: Any
) -> None:
    await post(jp_fetch, "claude", "1", "start")
    ws = await jp_ws_fetch("claude", "events")
    await read_frames(ws, lambda frames: len(frames) >= 1)
    client = terminal_client("1")
    await read_frames(ws, event_for("1", "attached", attached_clients=1), timeout=1.0)
    client.kill()
    await read_frames(ws, event_for("1", "attached", attached_clients=0), timeout=1.0)
    # What the built-in workflow's agent hooks write (hooks.py): the agent, then its state.
    tmux_run(tmux_socket, "set-option", "-t", "=claude-1:", "@jc_agent", "claude")
    tmux_run(tmux_socket, "set-option", "-t", "=claude-1:", "@jc_agent_state", "waiting")
    await read_frames(ws, event_for("1", "state", state="waiting", agent="claude"), timeout=1.0)
    ws.close()


async def test_one_watcher_runs_only_while_someone_listens(
    jp_fetch: Fetch, jp_ws_fetch: Any, watcher: Any, tmux_socket: str
) -> None:
    await post(jp_fetch, "claude", "1", "start")
    assert not watcher.running
    sockets = [await jp_ws_fetch("claude", "events") for _ in range(3)]
    for ws in sockets:
        assert events(await read_frames(ws, lambda frames: len(frames) >= 1))[0]["type"] == "snapshot"
    assert watcher.running
    await asyncio.sleep(1.2)
    # One tmux call per tick for all listeners (0.5 s apart, plus the immediate first ones).
    assert watcher.ticks <= 6
    for ws in sockets:
        ws.close()
    await wait_until(lambda: not watcher.running)
    ticks = watcher.ticks
    await asyncio.sleep(0.7)
    assert watcher.ticks == ticks
    # The watcher keeps no tmux client of its own.
    assert "1" not in tmux_run(tmux_socket, "list-clients", "-F", "#{client_control_mode}").stdout


def tasks_pushed(frames: list[str | bytes]) -> bool:
    """Frames predicate: a ``tasks`` message arrived."""
    return any(message["type"] == "tasks" for message in events(frames))


async def test_task_files_made_moved_or_removed_by_anyone_are_pushed(
    jp_fetch: Fetch, jp_ws_fetch: Any, jp_root_dir: Path
) -> None:
    tasks = jp_root_dir / "tasks"
    tasks.mkdir()
    ws = await jp_ws_fetch("claude", "events")
    await read_frames(ws, lambda frames: len(frames) >= 1)  # the snapshot: the baseline is taken
    (tasks / "7.md").write_text("---\nstatus: To Do\n---\n# Seven\n")  # by another program
    await read_frames(ws, tasks_pushed, timeout=2.0)
    # A move through the API (written beside, then renamed), then the file removed: each pushed.
    await collect(ws, 0.6)  # at most one more push for a change, then quiet
    version = body(await jp_fetch("claude", "tasks"))["tasks"][0]["version"]
    move = json.dumps({"status": "Done", "if_match": version})
    await jp_fetch("claude", "tasks", "7", method="PATCH", body=move)
    await read_frames(ws, tasks_pushed, timeout=2.0)
    await collect(ws, 0.6)
    (tasks / "7.md").unlink()
    await read_frames(ws, tasks_pushed, timeout=2.0)
    await collect(ws, 0.6)
    assert not tasks_pushed(await collect(ws, 1.0))  # nothing changed: nothing pushed
    ws.close()
