"""What a listing adds on a real tmux server: each task's usage from its transcripts (a stopped task's
too), the limit an agent is stopped by, and the opt-in "continue" once per limit, at its reset."""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import limits, options
from jupyter_claude.core.ledger import ON_SCREEN, REPORTED

from ..support import transcripts as t
from ..support.data import SLEEPER, wait_for

#: Prints every line typed into it, so a test sees what was sent.
ECHO = [
    sys.executable,
    "-c",
    "import sys\nfor line in sys.stdin:\n    print('GOT', repr(line.strip()), flush=True)",
]


@pytest.fixture
def sessions(
    tmux_socket: str, tmp_path: Path, task_root: Path, monkeypatch: pytest.MonkeyPatch
) -> ClaudeSessions:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    (task_root / "tasks" / "42.md").write_text("# Fix the login form\n", encoding="utf-8")
    (task_root / "tasks" / "7.md").write_text("# Never run\n", encoding="utf-8")
    return ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(task_root),
        command=SLEEPER,
    )


def as_agent(tmux: Any, task_id: str, state: str, agent: str = "claude") -> None:
    """Record in the session what the built-in workflow and its hooks would."""
    target = f"=claude-{task_id}:"
    tmux("set-option", "-t", target, options.AGENT, agent)
    tmux("set-option", "-t", target, options.AGENT_STATE, state)


def iso_now(offset: float = 0.0) -> str:
    return datetime.fromtimestamp(time.time() + offset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_listing_shows_each_tasks_usage_and_a_stopped_task_keeps_it(
    sessions: ClaudeSessions, task_root: Path, tmp_path: Path
) -> None:
    transcript = t.write(tmp_path / "p" / "s1.jsonl", [t.prompt("go"), *t.answer("msg_1", (1000, 200, 0, 0))])
    t.register("42", task_root, transcript)
    sessions.start("42")
    [listed] = sessions.list()
    assert listed.usage is not None and listed.to_json()["usage"]["input_tokens"] == 1000
    assert listed.to_json()["usage"]["cost"] == pytest.approx((1000 * 3 + 200 * 15) / 1e6)
    t.write(transcript, t.answer("msg_2", (1, 1, 1, 1)), mode="a")
    assert sessions.status("42").to_json()["usage"]["turns"] == 2
    sessions.stop("42")
    # Stopped: the task still shows what it used (REST's task list, status, usage()).
    assert sessions.status("42").to_json()["usage"]["input_tokens"] == 1001
    rows = {row["id"]: row for row in sessions.overview()["tasks"]}
    assert rows["42"]["session"]["usage"]["turns"] == 2 and rows["7"]["session"]["usage"] is None
    report = {row["id"]: row for row in sessions.usage()}
    assert set(report) == {"42", "7"} and report["42"]["title"] == "Fix the login form"
    assert report["42"]["usage"]["turns"] == 2 and report["7"]["usage"] is None
    assert sessions.usage(["7"]) == [report["7"]]


def test_a_model_without_a_price_and_a_bad_price_table(
    sessions: ClaudeSessions, task_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    transcript = t.write(tmp_path / "p" / "s1.jsonl", t.answer("msg_1", model="claude-unreleased-9"))
    t.register("42", task_root, transcript)
    sessions.prices = {"claude-sonnet-4-5": {"input": "three"}, "claude-unreleased-9": [1, 2]}
    with caplog.at_level(logging.WARNING):
        [row] = sessions.usage(["42"])
    assert row["usage"]["models"] == ["claude-unreleased-9"] and row["usage"]["cost"] is None
    assert row["usage"]["input_tokens"] == 100  # the tokens are there, the cost is not guessed
    assert "prices['claude-sonnet-4-5'] lacks output" in caplog.text
    sessions.prices = {"claude-unreleased-9": {"input": 1, "output": 1, "cache_read": 1, "cache_write": 1}}
    assert sessions.usage(["42"])[0]["usage"]["cost"] == pytest.approx(132 / 1e6)


def test_malformed_transcripts_never_break_a_listing(
    sessions: ClaudeSessions, task_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = tmp_path / "p" / "garbage.jsonl"
    garbage.parent.mkdir(parents=True)
    garbage.write_bytes(b"\x00\x01\x02" * 1000 + b"\n{broken\n")
    folder = tmp_path / "p" / "a-folder.jsonl"
    folder.mkdir()
    t.register("42", task_root, garbage)
    t.register("42", task_root, folder)  # not a file
    t.register("42", task_root, tmp_path / "p" / "gone.jsonl")  # never written
    sessions.start("42")
    with caplog.at_level(logging.WARNING):
        [listed] = sessions.list()
    assert listed.state == "running" and listed.usage is None
    [row] = sessions.usage(["42"])
    assert any("2 line(s) are not JSON objects" in p for p in row["problems"])
    assert any("a-folder.jsonl" in p for p in row["problems"])
    assert "not JSON objects" in caplog.text


def test_limited_from_the_hook_from_the_transcript_and_from_the_screen(
    sessions: ClaudeSessions, task_root: Path, tmp_path: Path, tmux: Any
) -> None:
    transcript = tmp_path / "p" / "s1.jsonl"
    t.register("42", task_root, transcript)
    sessions.start("42")
    as_agent(tmux, "42", "limited")  # the StopFailure hook, before the transcript has the record
    [listed] = sessions.list()
    assert listed.state == "limited" and listed.to_json()["limit"] == {"reason": REPORTED, "resets_at": None}
    # The Notification hook says idle a minute later; the transcript's refusal keeps it limited.
    as_agent(tmux, "42", "idle")
    t.write(transcript, [t.prompt("go", at=iso_now()), t.refusal(at=iso_now())])
    [listed] = sessions.list()
    assert listed.state == "limited"
    assert listed.to_json()["limit"] == {
        "reason": "API Error: Request rejected (429) · Too many",
        "resets_at": None,
    }
    # The person asks again: working, no limit.
    t.write(transcript, [t.prompt("try again", at=iso_now())], mode="a")
    [listed] = sessions.list()
    assert listed.state == "idle" and listed.limit is None
    # A refusal recorded before this run started is behind it (a restart leaves the state).
    t.write(transcript, [t.refusal(at="2020-01-01T00:00:00.000Z")], mode="a")
    assert sessions.list()[0].state == "idle"
    # An agent without hooks: the screen pattern says so.
    as_agent(tmux, "42", "limited", agent="codex")
    assert sessions.list()[0].to_json()["limit"]["reason"] == ON_SCREEN


def refused_until(minute: datetime) -> str:
    """Claude Code's words for a limit that resets at ``minute`` (UTC)."""
    hour = minute.hour % 12 or 12
    clock = f"{hour}:{minute.minute:02d}" if minute.minute else f"{hour}"
    return f"You've hit your session limit · resets {clock}{'am' if minute.hour < 12 else 'pm'} (UTC)"


def test_resume_after_limit_sends_continue_once_at_the_reset(
    sessions: ClaudeSessions,
    task_root: Path,
    tmp_path: Path,
    tmux: Any,
    tmux_socket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions.command = ECHO
    sessions.resume_after_limit = True
    transcript = tmp_path / "p" / "s1.jsonl"
    t.register("42", task_root, transcript)
    sessions.start("42")
    time.sleep(1.1)  # the refusal comes after the run started (started_at has whole seconds)
    now = time.time()
    reset = datetime.fromtimestamp(now + 60, timezone.utc).replace(second=0, microsecond=0)
    due = now + 3
    monkeypatch.setattr(limits, "RESUME_MARGIN", due - reset.timestamp())  # shortened: due in 3 s
    monkeypatch.setattr(limits, "DIALOG_PAUSE", 0.1)
    t.write(transcript, [t.prompt("go", at=iso_now()), t.refusal(refused_until(reset), at=iso_now())])
    as_agent(tmux, "42", "limited")
    [listed] = sessions.list()
    assert listed.to_json()["limit"]["resets_at"] == reset.strftime("%Y-%m-%dT%H:%M:%SZ")
    other = ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=sessions.log_dir,
        root_dir=sessions.root_dir,
        resume_after_limit=True,
    )
    sent = lambda: sessions.read_log("42").count("GOT")  # noqa: E731
    while time.time() < due - 0.5:
        sessions.list(), other.list()  # two front ends listing: neither sends before the reset
        assert sent() == 0
        time.sleep(0.2)
    wait_for(lambda: sessions.list() and other.list() and sent() == 1, timeout=15)
    for _ in range(10):
        sessions.list(), other.list()
        time.sleep(0.1)
    assert sent() == 1 and "'\\x1bcontinue'" in sessions.read_log("42")  # Escape (a dialog), then the text
    assert tmux("show-options", "-v", "-t", "=claude-42:", options.RESUMED).stdout.strip() == listed.limit.key  # type: ignore[union-attr]
    # A new limit is resumed again; it is off by default.
    t.write(
        transcript, [t.prompt("more", at=iso_now()), t.refusal(refused_until(reset), at=iso_now())], mode="a"
    )
    wait_for(lambda: sessions.list() and sent() == 2, timeout=15)
    other.resume_after_limit = sessions.resume_after_limit = False
    t.write(
        transcript, [t.prompt("more", at=iso_now()), t.refusal(refused_until(reset), at=iso_now())], mode="a"
    )
    for _ in range(10):
        sessions.list(), other.list()
        time.sleep(0.1)
    assert sent() == 2


def test_an_agent_without_hooks_is_limited_by_what_its_screen_shows(
    sessions: ClaudeSessions, tmux: Any
) -> None:
    from jupyter_claude.workflow.agents import BUILTIN_PROFILES

    sessions.command = [
        sys.executable,
        "-c",
        "print('stream error: last status: 429 Too Many Requests', flush=True)\nimport time; time.sleep(600)",
    ]
    sessions.agent_quiet_seconds = 1
    sessions.start("42")
    tmux("set-option", "-t", "=claude-42:", options.AGENT, "codex")
    tmux("set-option", "-t", "=claude-42:", options.LIMITED_PATTERN, BUILTIN_PROFILES["codex"].limited)
    session = wait_for(lambda: (s := sessions.status("42")).state == "limited" and s, timeout=15)
    assert session.to_json()["limit"] == {"reason": ON_SCREEN, "resets_at": None}
