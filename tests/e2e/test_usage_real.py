"""Usage, rate limits and starting many at once with the real Claude Code CLI (the built-in workflow,
our hooks) against the scripted model server on loopback (tests/support/model_server.py).

- The usage a task shows is exactly what the server reported, summed over a stop and ``--resume``
  and a ``/clear``; its cost is the price table's; a model the table does not name costs null.
- A 429 with an API key: "limited", pushed on events, with Claude Code's own words and no reset time
  (it records none); answering the agent leaves the state.
- Logged in with a subscription token, the same refusal names its reset: ``resets_at`` is that
  minute, and ``resume_after_limit`` types "continue" once, not before the (shortened) reset.
- Six tasks started at once: six sessions at once, the agents launched ``start_interval`` apart in
  their order, the server sees their first requests spread out; a queued task that is stopped never
  launches; a manager that did not queue them (a restarted server) sees the queue.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import limits, options
from jupyter_claude.core.prices import DEFAULT_PRICES

from ..support.claude import RealClaude
from ..support.data import wait_for
from ..support.model_server import MODEL, RateLimited, Text, Usage
from ..support.server import Fetch, body, post, read_frames, server_config


@pytest.fixture
def jp_server_config(
    tmux_socket: str, tmp_path: Path, git_root: Path, real_claude: RealClaude
) -> dict[str, Any]:
    """The extension running the built-in workflow with the real Claude Code on the test's repository."""
    return server_config(
        tmux_socket, tmp_path, command=[], root_dir=str(git_root), agent_quiet_seconds=2, start_interval=3.0
    )


def cost_of(usage: Usage, model: str = MODEL) -> float:
    price = DEFAULT_PRICES[re.sub(r"-\d{8}$", "", model)]
    return (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_input_tokens * price.cache_read
        + usage.cache_creation_input_tokens * price.cache_write
    ) / 1e6


def idle_after(
    workflow: ClaudeSessions, real_claude: RealClaude, text: str, turns: int, working: float = 0.0
) -> dict[str, Any]:
    """Once the answer is on screen, the agent idle and its transcript holds ``turns`` answers and
    the turn's duration (Claude Code writes both a moment after the screen, the duration last): the
    task's usage. ``working`` is the working time before this turn."""
    real_claude.wait_for_screen(text)
    wait_for(lambda: workflow.status("42").state == "idle", timeout=60)
    session = wait_for(
        lambda: (
            (s := workflow.status("42")).usage
            and s.usage.turns == turns
            and s.usage.working_seconds > working
            and s
        ),
        timeout=30,
    )
    return session.to_json()["usage"]  # type: ignore[no-any-return]


def test_usage_is_what_the_server_reported_across_stop_resume_and_clear(
    workflow: ClaudeSessions, real_claude: RealClaude, git_root: Path
) -> None:
    model = real_claude.model
    answers = [Usage(1200, 80, 300, 40), Usage(2500, 120, 1100, 0), Usage(40, 7, 5000, 900)]
    model.script(Text("First answer.", usage=answers[0]))
    workflow.start("42")
    first = idle_after(workflow, real_claude, "First answer.", 1)
    assert first["input_tokens"] == 1200 and first["turns"] == 1 and first["models"] == [MODEL]

    # Stopped and started again: the conversation is resumed, and its usage keeps adding.
    workflow.stop("42")
    assert workflow.status("42").to_json()["usage"] == first  # a stopped task keeps what it used
    model.script(Text("Second answer.", usage=answers[1]))
    workflow.start("42")
    real_claude.wait_for_screen("First answer.")
    real_claude.type("-l", "more please")
    real_claude.type("Enter")
    second = idle_after(workflow, real_claude, "Second answer.", 2, first["working_seconds"])

    # /clear starts a new transcript that still belongs to the task.
    real_claude.type("-l", "/clear")
    real_claude.type("Enter")
    wait_for(lambda: len(real_claude.transcripts()) == 2, timeout=30)
    model.script(Text("Third answer.", usage=answers[2]))
    real_claude.type("-l", "after the clear")
    real_claude.type("Enter")
    used = idle_after(workflow, real_claude, "Third answer.", 3, second["working_seconds"])
    assert used["input_tokens"] == sum(u.input_tokens for u in answers)
    assert used["output_tokens"] == sum(u.output_tokens for u in answers)
    assert used["cache_read_tokens"] == sum(u.cache_read_input_tokens for u in answers)
    assert used["cache_write_tokens"] == sum(u.cache_creation_input_tokens for u in answers)
    assert used["turns"] == 3 and used["models"] == [MODEL] and used["working_seconds"] > 0
    assert used["cost"] == pytest.approx(sum(cost_of(u) for u in answers), rel=1e-9)

    # A model the price table does not name: its tokens count, the cost is unknown (null).
    model.script(Text("From a new model.", usage=Usage(10, 10, 0, 0), model="claude-sonnet-9-20300101"))
    real_claude.type("-l", "and now")
    real_claude.type("Enter")
    idle_after(workflow, real_claude, "From a new model.", 4, used["working_seconds"])
    [row] = workflow.usage(["42"])
    assert row["usage"]["cost"] is None and row["usage"]["turns"] == 4
    assert row["usage"]["models"] == [MODEL, "claude-sonnet-9-20300101"] and row["problems"] == []
    workflow.stop("42")


def limited(frames: list[str | bytes]) -> dict[str, Any] | None:
    """Task 42's last pushed session if it is limited."""
    last = None
    for frame in frames:
        message = json.loads(frame)
        for session in message.get("sessions") or ([message["session"]] if message.get("session") else []):
            if session["id"] == "42":
                last = session
    return last if last and last["state"] == "limited" else None


async def test_a_refusal_with_an_api_key_is_limited_with_no_reset_time(
    jp_fetch: Fetch, jp_ws_fetch: Any, real_claude: RealClaude
) -> None:
    model = real_claude.model
    model.script(RateLimited(reset=time.time() + 3600, message="Too many requests", claim="five_hour"))
    events = await jp_ws_fetch("claude", "events")
    await read_frames(events, lambda frames: len(frames) >= 1)
    await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
    frames = await read_frames(events, lambda frames: limited(frames) is not None, timeout=90)
    frames += await read_frames(
        events,
        lambda more: "Too many" in ((limited(frames + more) or {}).get("limit") or {}).get("reason", ""),
        timeout=30,
    )
    pushed = limited(frames)
    assert pushed is not None
    # Claude Code with an API key shows and records no reset time: none is made up.
    assert pushed["limit"]["resets_at"] is None
    status = body(await jp_fetch("claude", "42", "status"))
    assert status["state"] == "limited"
    assert status["limit"] == {
        "reason": "API Error: Request rejected (429) · Too many requests",
        "resets_at": None,
    }
    real_claude.wait_for_screen("Request rejected (429)")
    # The person asks again: the agent works, and the limit is gone.
    model.script(Text("Back to work."))
    real_claude.type("-l", "try again")
    real_claude.type("Enter")
    real_claude.wait_for_screen("Back to work.")
    await read_frames(events, lambda frames: limited(frames) is None and bool(frames), timeout=30)
    after = body(await jp_fetch("claude", "42", "status"))
    assert after["state"] != "limited" and after["limit"] is None
    events.close()


def test_a_subscription_limit_names_its_reset_and_resume_sends_continue_once(
    workflow: ClaudeSessions, real_claude: RealClaude, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Logged in with a subscription (an OAuth token), before the tmux server starts.
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-jupyter-claude-tests-0123456789")
    model = real_claude.model
    reset = time.time() + 90
    model.script(RateLimited(reset=reset, message="limit", claim="five_hour"))
    workflow.resume_after_limit = True
    workflow.start("42")
    # The StopFailure hook says "limited" at once; the transcript's record names the reset a moment later.
    wait_for(lambda: workflow.status("42").state == "limited", timeout=90)
    session = wait_for(lambda: (s := workflow.status("42")).limit and s.limit.resets_at and s, timeout=30)
    minute = datetime.fromtimestamp(reset, timezone.utc).replace(second=0, microsecond=0)
    assert session.to_json()["limit"]["resets_at"] == minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "You've hit your session limit · resets" in session.limit.reason
    screen = real_claude.wait_for_screen("You've hit your session limit")
    assert "resets" in screen

    # The reset, shortened for the test: due a few seconds from now.
    due = time.time() + 6
    monkeypatch.setattr(limits, "RESUME_MARGIN", due - minute.timestamp())
    model.script(Text("Resumed after the limit."))
    while time.time() < due - 0.5:
        assert workflow.status("42").state == "limited"
        assert not [r for r in model.main_requests() if asks_to_continue(r)]
        time.sleep(0.25)
    wait_for(lambda: workflow.list() and "Resumed after the limit." in real_claude.screen(), timeout=60)
    for _ in range(20):  # listing on: never sent twice for one limit
        workflow.list()
        time.sleep(0.1)
    continued = [r for r in model.main_requests() if asks_to_continue(r)]
    assert len(continued) == 1 and continued[0].at >= due
    assert workflow.status("42").state != "limited"
    assert (
        workflow.tmux.run(["show-options", "-v", "-t", "=claude-42:", options.RESUMED]).strip()
        == session.limit.key
    )
    workflow.stop("42")


def asks_to_continue(request: Any) -> bool:
    """The request's last user message is the typed "continue" (beside Claude Code's own notes)."""
    return "continue" in (line.strip() for line in request.last_user_text().splitlines())


def task_of(request: Any) -> str | None:
    """Which task's agent sent a request (its worktree is named in the system prompt)."""
    found = re.search(r"\.worktrees/([A-Za-z0-9_-]+)", request.all_text())
    return found.group(1) if found else None


async def test_six_tasks_started_at_once_launch_one_after_another(
    jp_fetch: Fetch, real_claude: RealClaude, git_root: Path, tmux_socket: str, tmp_path: Path, tmux: Any
) -> None:
    ids = [f"t{n}" for n in range(1, 8)]
    for task_id in ids:
        (git_root / "tasks" / f"{task_id}.md").write_text(
            f"# Task {task_id}\n\nSay hello.\n", encoding="utf-8"
        )
    reply = body(await post(jp_fetch, "claude", "start", payload={"ids": ids}))
    assert [s["id"] for s in reply["sessions"]] == ids and {s["state"] for s in reply["sessions"]} == {
        "queued"
    }
    # Every session exists at once (tmux is cheap); the last one is stopped while it waits.
    listed = {s["id"]: s for s in body(await jp_fetch("claude", "sessions"))["sessions"]}
    assert set(listed) == set(ids)
    await post(jp_fetch, "claude", "t7", "stop")
    # A manager that did not queue them (as a restarted server would be) sees the queue.
    other = ClaudeSessions(
        config=Config(), tmux_socket=tmux_socket, log_dir=str(tmp_path / "logs"), root_dir=str(git_root)
    )
    assert "queued" in {s.state for s in other.list()}

    def first_requests() -> dict[str, float]:
        first: dict[str, float] = {}
        for request in real_claude.model.main_requests():
            task = task_of(request)
            if task is not None and task not in first:
                first[task] = request.at
        return first

    arrived = wait_for(lambda: len(first := first_requests()) == 6 and first, timeout=180)
    assert set(arrived) == set(ids[:6])  # the stopped one never launched
    launched = {}
    for task_id in ids[:6]:
        record = tmux("show-options", "-v", "-t", f"=claude-{task_id}:", options.LAUNCHED).stdout.split()
        launched[task_id] = float(record[0])
    order = sorted(ids[:6], key=launched.__getitem__)
    assert order == ids[:6]  # launched in the order they were queued
    gaps = [launched[b] - launched[a] for a, b in itertools.pairwise(order)]
    assert min(gaps) >= 3.0 - 0.01, gaps  # start_interval apart
    for task_id in ids[:6]:
        assert arrived[task_id] >= launched[task_id]  # no agent asked before its launch
    times = sorted(arrived.values())
    assert times[-1] - times[0] >= 2 * 3.0, times  # the server saw them arrive spread out
    assert tmux("has-session", "-t", "=claude-t7").returncode != 0
    wait_for(lambda: all(s.state in ("idle", "working") for s in other.list()), timeout=120)
