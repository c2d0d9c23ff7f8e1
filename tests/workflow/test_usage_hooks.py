"""The hooks' part in usage and limits: SessionStart adds each transcript to the task's list (a
``/clear`` adds the new one, a resume names the same one again), StopFailure for a rate limit
records "limited" and nothing else does; the built-in workflow wires both, and the queue's gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import options
from jupyter_claude.core.conversations import TranscriptList, transcripts_file
from jupyter_claude.core.tmux import TmuxServer
from jupyter_claude.workflow.hooks import HookTarget, claude_settings
from jupyter_claude.workflow.runtask import prepare_launch

from ..support.agents import Agents, wait_for
from .test_hooks import fire


def target_on(tmux_socket: str, tmp_path: Path, transcripts: Path) -> HookTarget:
    socket = TmuxServer(tmux_socket).run(["display-message", "-p", "#{socket_path}"]).strip()
    return HookTarget(
        tmux=shutil.which("tmux") or "tmux",
        socket=socket,
        session="claude-42",
        conversation=str(tmp_path / "state" / "conversation.json"),
        transcripts=str(transcripts),
    )


def test_session_start_lists_every_transcript_and_stop_failure_says_limited(
    tmp_path: Path, tmux_socket: str
) -> None:
    server = TmuxServer(tmux_socket)
    server.run(["new-session", "-d", "-s", "claude-42", "sleep 600"])
    listing = tmp_path / "state" / "42-root.transcripts"
    target = target_on(tmux_socket, tmp_path, listing)

    def state() -> str:
        return server.run(["show-options", "-qv", "-t", "=claude-42:", options.AGENT_STATE]).strip()

    first, second = str(tmp_path / "s1.jsonl"), str(tmp_path / "s2.jsonl")
    for session_id, transcript, source in (
        ("s1", first, "startup"),
        ("s2", second, "clear"),
        ("s1", first, "resume"),
    ):
        payload = {"session_id": session_id, "transcript_path": transcript, "source": source}
        runs = fire(target, "SessionStart", payload, source)
        assert runs and all((r.returncode, r.stdout, r.stderr) == (0, "", "") for r in runs)
    records = [json.loads(line) for line in listing.read_text().splitlines() if line.strip()]
    assert [r["source"] for r in records] == ["startup", "clear", "resume"]
    assert TranscriptList(listing).refresh() == [first, second]
    # The last SessionStart is still the record the next start resumes.
    assert json.loads(Path(target.conversation or "").read_text())["session_id"] == "s1"

    assert server.run(["show-options", "-qv", "-t", "=claude-42:", options.PROMPTED]).strip() == ""
    fire(target, "UserPromptSubmit", {"prompt": "go"})
    # Past its start: the launch queue (core/queue.py) lets the next agent go.
    assert server.run(["show-options", "-qv", "-t", "=claude-42:", options.PROMPTED]).strip() == "1"
    assert fire(target, "StopFailure", {"error": "server_error"}, "server_error") == []  # not a limit
    assert state() == "working"
    runs = fire(
        target, "StopFailure", {"error": "rate_limit", "last_assistant_message": "API Error"}, "rate_limit"
    )
    assert runs and state() == "limited"
    fire(target, "UserPromptSubmit", {"prompt": "continue"})
    assert state() == "working"


def test_the_claude_settings_register_stop_failure_for_rate_limits_only() -> None:
    target = HookTarget(tmux="/usr/bin/tmux", socket="/tmp/s", session="claude-42")
    [entry] = claude_settings(target)["hooks"]["StopFailure"]
    assert entry["matcher"] == "rate_limit" and "@jc_agent_state limited" in entry["hooks"][0]["command"]


def test_the_workflow_hands_its_hooks_the_tasks_transcript_list(
    workflow: ClaudeSessions, agents: Agents, git_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents.install_claude()
    monkeypatch.setenv("TMUX", "/tmp/tmux-test/sock,1,0")
    launch = prepare_launch(workflow, "42")
    hooks = json.loads(Path(launch.settings_file or "").read_text())["hooks"]
    listing = transcripts_file("42", str(git_root.resolve()))
    assert str(listing) in hooks["SessionStart"][0]["hooks"][0]["command"]


def test_a_task_run_by_the_workflow_has_its_usage(
    workflow: ClaudeSessions, agents: Agents, git_root: Path, tmux: Any
) -> None:
    agents.install_claude()  # the fake claude fires our SessionStart hook with its transcript
    workflow.start("42")
    listing = transcripts_file("42", str(git_root.resolve()))
    [transcript] = wait_for(lambda: TranscriptList(listing).refresh(), timeout=30)
    assert workflow.status("42").usage is None  # no answer yet
    Path(transcript).write_text(
        json.dumps(
            {
                "type": "assistant",
                "message": {
                    "id": "m1",
                    "model": "claude-haiku-4-5",
                    "usage": {"input_tokens": 5, "output_tokens": 7},
                },
            }
        )
        + "\n"
    )
    used = workflow.status("42").to_json()["usage"]
    assert used["turns"] == 1 and used["cost"] == pytest.approx((5 * 1 + 7 * 5) / 1e6)
    # The workflow also records the profile's limit pattern for the screen fallback.
    assert tmux("show-options", "-v", "-t", "=claude-42:", options.LIMITED_PATTERN).stdout.strip()
    workflow.stop("42")
