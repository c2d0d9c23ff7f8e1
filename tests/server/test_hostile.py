"""Hostile input through the REST API: 4xx with a reason and nothing started, never a 500 or a hang."""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

import pytest

from ..support.data import SESSION_KEYS
from ..support.hostile import plant_hostile_files
from ..support.server import (
    Fetch,
    body,
    error_of,
    post,
    tmux_run,
)


async def test_a_folder_of_hostile_files_is_listed_with_each_reported(
    jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path
) -> None:
    tasks = jp_root_dir / "tasks"
    tasks.mkdir()
    expected = plant_hostile_files(tasks, tmp_path / "passwd")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(3):
        reply = await jp_fetch("claude", "tasks")
        listing = body(reply)
        assert len(reply.body) < 200_000
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grew_kib < 200 * 1024, f"the server's peak memory grew by {grew_kib} KiB"
    assert sorted(task["id"] for task in listing["tasks"]) == ["good", "long-title"]
    reasons = {problem["path"]: problem["reason"] for problem in listing["problems"]}
    assert set(reasons) == set(expected)
    # Jupyter's own routes and ours still answer afterwards (no worker thread is stuck on the FIFO).
    assert body(await jp_fetch("api", "status"))
    assert body(await jp_fetch("claude", "sessions")) == {"sessions": []}


async def test_one_odd_session_breaks_no_route(jp_fetch: Fetch, tmux_socket: str) -> None:
    await post(jp_fetch, "claude", "good", "start")
    await post(jp_fetch, "claude", "odd", "start")
    for odd in ("[1,2,3]", '"x"', "42", '{"log_offset": "zz"}', '{"command": 5}'):
        assert tmux_run(tmux_socket, "set-option", "-t", "=claude-odd:", "@jc_meta", odd).returncode == 0
        sessions = body(await jp_fetch("claude", "sessions"))["sessions"]
        assert {session["id"] for session in sessions} == {"good", "odd"}
        assert all(set(session) == SESSION_KEYS for session in sessions)
        assert body(await jp_fetch("claude", "good", "status"))["state"] == "running"
        assert body(await jp_fetch("claude", "tasks"))["tasks"]


@pytest.mark.parametrize(
    "payload",
    [
        {"cwd": "x" * 5000, "attach": False},
        {"cwd": "a\u0000b", "attach": False},
        {"cwd": "\ud800", "attach": False},
        {"cwd": "../..", "attach": False},
    ],
)
async def test_bad_cwd_is_400_and_starts_nothing(
    jp_fetch: Fetch, tmux_socket: str, payload: dict[str, Any]
) -> None:
    code, error = await error_of(post(jp_fetch, "claude", "42", "start", payload=payload))
    assert code == 400 and error["error"] == "bad_request" and "cwd" in error["reason"]
    assert "claude-42" not in tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout


async def test_a_body_that_is_not_utf8_is_400(jp_fetch: Fetch, tmux_socket: str) -> None:
    code, error = await error_of(jp_fetch("claude", "42", "start", method="POST", body=b'{"cwd": "\xff"}'))
    assert code == 400 and error["reason"] == "the request body is not UTF-8 text"
    assert "claude-42" not in tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout


async def test_a_huge_body_is_413(jp_fetch: Fetch, tmux_socket: str) -> None:
    payload = json.dumps({"attach": False, "padding": "x" * 100_000})
    code, error = await error_of(jp_fetch("claude", "42", "start", method="POST", body=payload))
    assert code == 413 and error["error"] == "body_too_large" and "64 KiB" in error["reason"]
    assert "claude-42" not in tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout


async def test_deeply_nested_json_is_400(jp_fetch: Fetch) -> None:
    code, error = await error_of(jp_fetch("claude", "42", "start", method="POST", body="[" * 50_000))
    assert code == 400 and error["reason"] == "the request body is not valid JSON"


async def test_cmd_null_means_not_given(jp_fetch: Fetch) -> None:
    reply = body(await post(jp_fetch, "claude", "42", "start", payload={"cmd": None, "attach": False}))
    assert reply["started"] is True


class TestUnusableLogFolder:
    """A log folder that cannot exist (under a regular file)."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        from ..support.server import server_config

        (tmp_path / "a-file").write_text("x")
        return server_config(tmux_socket, tmp_path, log_dir=str(tmp_path / "a-file" / "logs"))

    async def test_is_a_clear_503_before_anything_starts(
        self, jp_fetch: Fetch, tmux_socket: str, tmp_path: Path
    ) -> None:
        code, error = await error_of(post(jp_fetch, "claude", "42", "start", payload={"attach": False}))
        assert code == 503 and error["error"] == "log_unavailable"
        assert str(tmp_path / "a-file" / "logs") in error["reason"] and "Not a directory" in error["reason"]
        assert "claude-42" not in tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout


async def test_tasks_are_listed_without_tmux(
    jp_fetch: Fetch, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (jp_root_dir / "tasks").mkdir()
    (jp_root_dir / "tasks" / "42.md").write_text("# Forty-two\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    listing = body(await jp_fetch("claude", "tasks"))
    assert [(task["id"], task["title"], task["session"]) for task in listing["tasks"]] == [
        ("42", "Forty-two", None)
    ]
    assert listing["sessions_error"]["error"] == "tmux_not_found"
    assert "tmux is not installed" in listing["sessions_error"]["reason"]
