"""Answering agents over REST: the permission route's contract and the input route's guards.

The whole conversation with the real Claude Code CLI (a pending request answered from here, from the
terminal, denied with a message) is in tests/e2e/test_answer_real.py; these check what needs no agent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support.data import wait_for
from ..support.server import DenyExecute, Fetch, body, error_of, no_tmux_server, post, server_config, tmux_run

CAT = ["sh", "-c", "stty -echo; cat"]


async def test_nothing_pending_without_an_agent(jp_fetch: Fetch) -> None:
    assert body(await jp_fetch("claude", "42", "permission")) == {"pending": None}
    await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
    assert body(await jp_fetch("claude", "42", "permission")) == {"pending": None}
    assert body(await jp_fetch("claude", "42", "status"))["pending"] is None


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({}, 400, "'request'"),
        ({"request": "abc", "decision": "maybe"}, 400, "decision must be"),
        ({"request": "abc", "decision": "deny", "message": 5}, 400, "'message' must be a str"),
        ({"request": "abc", "decision": "deny", "message": "x" * 3000}, 400, "longer than"),
        ({"request": "abc", "decision": "allow"}, 409, "not pending"),
        ({"request": "../../etc", "decision": "allow"}, 409, "not pending"),
    ],
)
async def test_bad_answers(jp_fetch: Fetch, payload: dict[str, Any], code: int, words: str) -> None:
    got, error = await error_of(post(jp_fetch, "claude", "42", "permission", payload=payload))
    assert got == code and words in error["reason"], error


async def test_input_types_literal_text_then_enter(jp_fetch: Fetch, tmux_socket: str, tmp_path: Path) -> None:
    code, error = await error_of(post(jp_fetch, "claude", "42", "input", payload={"text": "hello"}))
    assert code == 404 and "start task 42 first" in error["reason"]
    assert no_tmux_server(tmux_socket)
    await post(jp_fetch, "claude", "42", "start", payload={"attach": False, "cmd": None})
    tmux_run(tmux_socket, "respawn-pane", "-k", "-t", "=claude-42:", *CAT)
    for text in ("C-c Enter", "$(touch pwned); #{pane_id}", "two\nlines"):
        assert body(await post(jp_fetch, "claude", "42", "input", payload={"text": text})) == {"sent": True}
    screen = wait_for(
        lambda: (
            (out := tmux_run(tmux_socket, "capture-pane", "-p", "-t", "=claude-42:").stdout)
            and "lines" in out
            and out
        )
    )
    assert "C-c Enter" in screen and "$(touch pwned); #{pane_id}" in screen
    assert "two" in screen and "lines" in screen
    assert not (tmp_path / "pwned").exists()
    for payload in ({}, {"text": ""}, {"text": 5}, {"text": "bell\x07"}, {"text": "x" * 9000}):
        code, _ = await error_of(post(jp_fetch, "claude", "42", "input", payload=payload))
        assert code == 400, payload


class TestInputOff:
    """``allow_input`` off."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        return server_config(tmux_socket, tmp_path, allow_input=False)

    async def test_is_refused(self, jp_fetch: Fetch) -> None:
        await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
        code, error = await error_of(post(jp_fetch, "claude", "42", "input", payload={"text": "hi"}))
        assert code == 403 and error["error"] == "forbidden" and "allow_input" in error["reason"]


class TestInputNeedsExecute:
    """Typing into an agent is authorized as "execute", like the live views."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        config = server_config(tmux_socket, tmp_path)
        config["ServerApp"]["authorizer_class"] = DenyExecute
        return config

    async def test_is_forbidden(self, jp_fetch: Fetch) -> None:
        await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
        code, error = await error_of(post(jp_fetch, "claude", "42", "input", payload={"text": "hi"}))
        assert code == 403 and "execute" in error["reason"]
        assert json.loads((await jp_fetch("claude", "42", "permission")).body) == {"pending": None}
