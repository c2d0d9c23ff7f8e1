"""The REST and events side of usage, limits and starting many: ``POST claude/start {"ids"}`` (queued
sessions, launched one after another), its bad bodies (400, nothing started), ``usage`` in every
Session (a stopped task's too) and its changes pushed on ``claude/events``; real server, real tmux."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support import transcripts as t
from ..support.data import SESSION_KEYS
from ..support.server import Fetch, body, error_of, no_tmux_server, post, read_frames


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Conversation records under the test's state folder (the server runs in this process)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    """Launches 0.3 s apart."""
    jp_server_config["ClaudeSessions"]["start_interval"] = 0.3
    return jp_server_config


def pushed(frames: list[str | bytes], task_id: str) -> list[dict[str, Any]]:
    """The sessions pushed for a task, in order."""
    found = []
    for frame in frames:
        message = json.loads(frame)
        for session in message.get("sessions") or ([message["session"]] if message.get("session") else []):
            if session["id"] == task_id:
                found.append(session)
    return found


async def test_start_many_queues_then_launches(jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str) -> None:
    events = await jp_ws_fetch("claude", "events")
    await read_frames(events, lambda frames: len(frames) >= 1)
    reply = body(await post(jp_fetch, "claude", "start", payload={"ids": ["1", "2", "3", "2"]}))
    assert [s["id"] for s in reply["sessions"]] == ["1", "2", "3"]  # each once, in order
    assert all(set(s) == SESSION_KEYS and s["state"] == "queued" for s in reply["sessions"])
    assert all(s["queue"]["since"].endswith("Z") for s in reply["sessions"])
    frames = await read_frames(
        events, lambda frames: [s["state"] for s in pushed(frames, "3")][-1:] == ["running"], timeout=30
    )
    states = [s["state"] for s in pushed(frames, "3")]
    assert states[0] == "queued" and states[-1] == "running"
    listed = body(await jp_fetch("claude", "sessions"))["sessions"]
    assert [(s["id"], s["state"], s["queue"]) for s in listed] == [(i, "running", None) for i in "123"]
    events.close()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "'ids' must be a non-empty JSON array"),
        ({"ids": []}, "'ids' must be a non-empty JSON array"),
        ({"ids": "42"}, "'ids' must be a non-empty JSON array"),
        ({"ids": ["42", 7]}, "'ids' must be a non-empty JSON array"),
        ({"ids": [str(n) for n in range(501)]}, "at most 500"),
        ({"ids": ["42"], "cwd": 3}, "'cwd' must be a str"),
        ({"ids": ["42"], "cwd": "../../etc"}, "outside the root"),
    ],
)
async def test_bad_bodies_start_nothing(jp_fetch: Fetch, tmux_socket: str, payload: Any, reason: str) -> None:
    code, error = await error_of(post(jp_fetch, "claude", "start", payload=payload))
    assert code == 400 and error["error"] == "bad_request" and reason in error["reason"]
    assert no_tmux_server(tmux_socket)


async def test_a_bad_id_starts_none_of_them(jp_fetch: Fetch, tmux_socket: str) -> None:
    code, error = await error_of(post(jp_fetch, "claude", "start", payload={"ids": ["42", "a.b"]}))
    assert code == 400 and error["error"] == "invalid_task_id"
    assert no_tmux_server(tmux_socket)
    code, error = await error_of(post(jp_fetch, "claude", "start", payload={"ids": ["42"], "cmd": ["sh"]}))
    assert code == 403 and error["error"] == "forbidden"
    code, error = await error_of(jp_fetch("claude", "start"))
    assert code == 405 and "use POST" in error["reason"]
    assert no_tmux_server(tmux_socket)


async def test_usage_is_in_every_session_and_its_changes_are_pushed(
    jp_fetch: Fetch, jp_ws_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    (jp_root_dir / "tasks").mkdir()
    (jp_root_dir / "tasks" / "42.md").write_text("# Fix login\n")
    (jp_root_dir / "tasks" / "7.md").write_text("# Seven\n")
    transcript = t.write(tmp_path / "p" / "a.jsonl", t.answer("m1", (2000, 100, 0, 0)))
    t.register("42", jp_root_dir, transcript)
    tasks = {row["id"]: row for row in body(await jp_fetch("claude", "tasks"))["tasks"]}
    assert tasks["42"]["session"]["state"] == "stopped"  # never started here, but it used tokens
    assert tasks["42"]["session"]["usage"]["input_tokens"] == 2000
    assert tasks["7"]["session"]["usage"] is None
    events = await jp_ws_fetch("claude", "events")
    await read_frames(events, lambda frames: len(frames) >= 1)
    await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
    status = body(await jp_fetch("claude", "42", "status"))
    assert status["usage"]["turns"] == 1 and status["limit"] is None and status["queue"] is None
    t.write(transcript, t.answer("m2", (1, 1, 1, 1)), mode="a")

    def counted_twice(frames: list[str | bytes]) -> bool:
        return any((s["usage"] or {}).get("turns") == 2 for s in pushed(frames, "42"))

    frames = await read_frames(events, counted_twice, timeout=10)
    change = json.loads(frames[-1])
    assert (change["type"], change["event"], change["session"]["usage"]["input_tokens"]) == (
        "session",
        "state",
        2001,
    )
    assert body(await jp_fetch("claude", "sessions"))["sessions"][0]["usage"]["input_tokens"] == 2001
    # Stopped: the push still says what the task used (the sidebar keeps showing it).
    await post(jp_fetch, "claude", "42", "stop")
    frames = await read_frames(
        events, lambda frames: any(s["state"] == "stopped" for s in pushed(frames, "42"))
    )
    gone = [s for s in pushed(frames, "42") if s["state"] == "stopped"]
    assert gone and all(s["usage"]["input_tokens"] == 2001 for s in gone)
    events.close()
