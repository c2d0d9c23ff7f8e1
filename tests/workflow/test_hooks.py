"""Agent state: Claude Code hooks recorded in tmux, the screen fallback, and what list() and
``claude/events`` show."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import options
from jupyter_claude.core.agentstate import derive_state
from jupyter_claude.core.tmux import TmuxServer
from jupyter_claude.workflow.hooks import run_hook, state_for_event

from ..support.agents import Agents, git, wait_for
from ..support.server import (
    Fetch,
    messages_of,
    post,
    read_frames,
    server_config,
)

BUSY = "✻ Thinking… (3s · esc to interrupt)\r\n"
PERMISSION = "Do you want to run this command?\r\n❯ 1. Yes\r\n  2. No\r\n"
CLEAR = "\x1b[2J\x1b[H"


def state(manager: ClaudeSessions, task_id: str = "42") -> str:
    """The session's state as list() reports it."""
    return manager.status(task_id).state


@pytest.mark.parametrize(
    ("payload", "registered", "expected"),
    [
        ({"hook_event_name": "SessionStart", "source": "startup"}, None, "idle"),
        ({"hook_event_name": "UserPromptSubmit", "prompt": "hi"}, None, "working"),
        ({"hook_event_name": "PreToolUse", "tool_name": "Bash"}, None, "working"),
        ({"hook_event_name": "PostToolUse", "tool_name": "Bash"}, None, "working"),
        ({"hook_event_name": "Notification", "notification_type": "permission_prompt"}, "waiting", "waiting"),
        ({"hook_event_name": "Notification", "notification_type": "elicitation_dialog"}, None, "waiting"),
        ({"hook_event_name": "Notification", "notification_type": "idle_prompt"}, "idle", "idle"),
        ({"hook_event_name": "Notification", "notification_type": "auth_success"}, None, None),
        (
            {"hook_event_name": "Notification", "message": "Claude needs your permission to use Bash"},
            None,
            "waiting",
        ),
        ({"hook_event_name": "Notification", "message": "Claude is waiting for your input"}, None, "idle"),
        ({"hook_event_name": "Notification", "message": "something else"}, "waiting", "waiting"),
        ({"hook_event_name": "Stop", "stop_hook_active": False}, None, "idle"),
        ({"hook_event_name": "SessionEnd", "reason": "exit"}, None, "idle"),
        ({"hook_event_name": "SubagentStop"}, None, None),
        ({"hook_event_name": "SomethingNew"}, None, None),
    ],
)
def test_state_for_event(payload: dict[str, Any], registered: str | None, expected: str | None) -> None:
    assert state_for_event(payload, registered) == expected


@pytest.mark.parametrize(
    ("reported", "busy", "asking", "quiet_for", "expected"),
    [
        # hooks reported: exact, except the two cases the screen corrects
        ("working", 5, 0, 10.0, "working"),
        ("working", 0, 0, 0.0, "working"),  # just printed: not stuck yet
        ("working", 0, 0, 10.0, "idle"),  # Esc: no Stop hook, quiet, no busy line
        ("working", 0, 3, 10.0, "waiting"),
        ("waiting", 7, 0, 0.0, "working"),  # approved: the tool runs, nothing fired yet
        ("waiting", 7, 3, 0.0, "waiting"),
        ("waiting", 0, 3, 10.0, "waiting"),
        ("idle", 0, 0, 0.0, "idle"),
        # no hooks: the screen alone
        ("", 0, 0, 0.0, "working"),
        ("", 4, 0, 10.0, "working"),
        ("", 0, 2, 10.0, "waiting"),
        ("", 0, 2, 0.5, "working"),
        ("", 0, 0, 10.0, "idle"),
        ("", 0, 0, None, "working"),
    ],
)
def test_derive_state(reported: str, busy: int, asking: int, quiet_for: float | None, expected: str) -> None:
    assert derive_state(reported, busy, asking, quiet_for, quiet_seconds=3) == expected


def test_hook_never_fails_and_prints_nothing_on_stdout(tmp_path: Path) -> None:
    for stdin in ("not json", '{"hook_event_name": "Stop"}', "[1, 2]", ""):
        done = subprocess.run(
            [
                sys.executable,
                "-I",
                "-m",
                "jupyter_claude",
                "hook",
                "--socket",
                str(tmp_path / "no-server"),
                "--session",
                "claude-42",
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0 and done.stdout == ""
        if stdin:  # bad input, or no tmux server there: one line on stderr
            assert done.stderr.startswith("jupyter-claude hook: ") and done.stderr.count("\n") == 1
        else:  # an empty event changes nothing
            assert done.stderr == ""


def test_hook_writes_the_named_session_on_the_named_server(tmp_path: Path, tmux_socket: str) -> None:
    # Two servers with a claude-42 each, and a claude-420 that a prefix target would hit.
    servers = [TmuxServer(tmux_socket), TmuxServer(tmux_socket + "-b")]
    try:
        for server in servers:
            server.run(
                ["new-session", "-d", "-s", "claude-42", "sleep 600"],
                ["new-session", "-d", "-s", "claude-420", "sleep 600"],
            )
        socket_b = servers[1].run(["display-message", "-p", "#{socket_path}"]).strip()
        payload = io.StringIO(json.dumps({"hook_event_name": "UserPromptSubmit", "session_id": "x"}))
        assert run_hook(socket_b, "claude-42", stdin=payload, environ={}) == 0

        def states(server: TmuxServer) -> str:
            return server.run(["list-sessions", "-F", f"#{{session_name}}={{#{{{options.AGENT_STATE}}}}}"])

        assert states(servers[1]).split() == ["claude-42={working}", "claude-420={}"]
        assert states(servers[0]).split() == ["claude-42={}", "claude-420={}"]
    finally:
        subprocess.run(["tmux", "-L", tmux_socket + "-b", "kill-server"], capture_output=True, check=False)


def test_fake_claude_states_seen_through_list(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    agents.install_claude()
    workflow.start("42")
    # SessionStart fires as Claude Code starts.
    wait_for(lambda: state(workflow) == "idle")
    # While it works Claude Code animates a spinner line that ends "esc to interrupt".
    agents.step(event="UserPromptSubmit", extra={"prompt": "go"}, print=BUSY)
    assert state(workflow) == "working"
    agents.step(event="PreToolUse", extra={"tool_name": "Bash"}, matcher_value="Bash", print=BUSY)
    assert state(workflow) == "working"
    agents.step(
        event="Notification",
        extra={
            "notification_type": "permission_prompt",
            "message": "Claude needs your permission to use Bash",
        },
        matcher_value="permission_prompt",
        print=PERMISSION,
    )
    assert state(workflow) == "waiting"
    assert workflow.status("42").badge == "🟡 waiting for you"
    # A notification no entry matches changes nothing.
    agents.step(
        event="Notification", extra={"notification_type": "auth_success"}, matcher_value="auth_success"
    )
    assert state(workflow) == "waiting"
    agents.step(event="PostToolUse", extra={"tool_name": "Bash"}, matcher_value="Bash", print=CLEAR + BUSY)
    assert state(workflow) == "working"
    # The agent committed during its turn: "ahead" is measured again when the turn ends.
    worktree = Path(workflow.status("42").worktree or "")
    (worktree / "fix.txt").write_text("fixed\n")
    git(worktree, "add", "fix.txt")
    git(worktree, "commit", "-q", "-m", "fix")
    agents.step(event="Stop", extra={"stop_hook_active": False}, print=CLEAR + "> \r\n")
    session = workflow.status("42")
    assert session.state == "idle" and session.badge == "🔵 idle" and session.ahead == 1
    agents.step(event="Notification", extra={"notification_type": "idle_prompt"}, matcher_value="idle_prompt")
    assert state(workflow) == "idle"
    agents.step(exit=3)
    exited = wait_for(lambda: (s := workflow.status("42")).state == "exited" and s)
    assert exited.badge == "🔴 exited (3)"
    runs = agents.hook_runs()
    assert runs and all(run["rc"] == 0 and run["stdout"] == "" and run["stderr"] == "" for run in runs)
    assert {run["event"] for run in runs} >= {
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "Notification",
        "PostToolUse",
        "Stop",
        "SessionEnd",
    }


def test_esc_and_approval_are_read_from_the_screen(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    agents.install_claude()
    workflow.start("42")
    wait_for(lambda: state(workflow) == "idle")
    agents.step(event="UserPromptSubmit", extra={"prompt": "go"}, print=BUSY)
    assert state(workflow) == "working"
    # Esc: the spinner goes, no Stop hook fires; once the pane is quiet the screen says idle.
    agents.step(print=CLEAR + "> \r\n")
    wait_for(lambda: state(workflow) == "idle")
    # A permission prompt, then approved: the tool runs (busy line) before any hook fires.
    agents.step(
        event="Notification",
        extra={"notification_type": "permission_prompt"},
        matcher_value="permission_prompt",
        print=CLEAR + PERMISSION,
    )
    assert state(workflow) == "waiting"
    agents.step(print=CLEAR + BUSY)
    assert state(workflow) == "working"
    # Still running and printing: it stays working.
    agents.step(print=BUSY)
    assert state(workflow) == "working"


def test_screen_fallback_for_an_agent_without_hooks(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    agents.install_claude()  # played without --settings: it fires no hooks, it only prints
    workflow.agents = {
        "screen": {"argv": ["claude"], "busy": "esc to interrupt", "waiting": r"Allow command\?"}
    }
    workflow.agent = "screen"
    workflow.start("42")
    wait_for(lambda: workflow.status("42").agent == "screen")
    agents.step(print=BUSY)
    assert state(workflow) == "working"
    agents.step(print=CLEAR + "Allow command? rm -rf build (y/n)\r\n")
    wait_for(lambda: state(workflow) == "waiting")
    agents.step(print=CLEAR + "> \r\n")
    wait_for(lambda: state(workflow) == "idle")
    agents.step(print="some output\r\n")
    assert state(workflow) == "working"
    assert agents.hook_runs() == []


class TestEvents:
    """The same states pushed on the ``claude/events`` websocket."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path, git_root: Path) -> dict[str, Any]:
        return server_config(tmux_socket, tmp_path, command=[], root_dir=str(git_root), agent_quiet_seconds=2)

    async def test_states_through_claude_events(
        self, jp_fetch: Fetch, jp_ws_fetch: Any, agents: Agents
    ) -> None:
        import asyncio

        agents.install_claude()
        ws = await jp_ws_fetch("claude", "events")
        try:
            await read_frames(ws, lambda frames: len(frames) >= 1)  # the snapshot
            await post(jp_fetch, "claude", "42", "start", payload={"headless": True})
            seen: list[str] = []

            async def until_state(wanted: str) -> None:
                def done(frames: list[str | bytes]) -> bool:
                    for message in messages_of(frames[-1:]):
                        session = message.get("session") or {}
                        ours = message.get("type") == "session" and session.get("id") == "42"
                        if ours and (not seen or seen[-1] != session["state"]):
                            seen.append(session["state"])
                    return bool(seen) and seen[-1] == wanted

                if not (seen and seen[-1] == wanted):
                    await read_frames(ws, done, timeout=15)

            loop = asyncio.get_running_loop()
            await until_state("idle")
            await loop.run_in_executor(
                None, lambda: agents.step(event="UserPromptSubmit", extra={"prompt": "go"}, print=BUSY)
            )
            await until_state("working")
            await loop.run_in_executor(
                None,
                lambda: agents.step(
                    event="Notification",
                    extra={"notification_type": "permission_prompt"},
                    matcher_value="permission_prompt",
                    print=CLEAR + PERMISSION,
                ),
            )
            await until_state("waiting")
            await loop.run_in_executor(None, lambda: agents.step(event="Stop", print=CLEAR + "> \r\n"))
            await until_state("idle")
            await loop.run_in_executor(None, lambda: agents.step(exit=5))
            await until_state("exited")
            assert seen[-4:] == ["working", "waiting", "idle", "exited"]
        finally:
            ws.close()
