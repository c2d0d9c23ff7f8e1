"""Agent state: Claude Code's hooks recorded in tmux (each registered shell command run as Claude
Code runs it), the Python ``hook`` command of earlier releases, and the screen fallback for agents
without hooks. The real Claude Code CLI drives the same hooks in tests/e2e/test_claude_real.py."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import options
from jupyter_claude.core.agentstate import derive_state
from jupyter_claude.core.tmux import TmuxServer
from jupyter_claude.workflow.hooks import HookTarget, claude_settings, run_hook, state_for_event

from ..support.agents import Agents, git, wait_for

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


def hook_target(
    tmp_path: Path, tmux_socket: str, worktree: Path | None = None, base: str | None = None
) -> HookTarget:
    """Hooks aimed at claude-42 on the test's server (its socket path asked from tmux)."""
    socket = TmuxServer(tmux_socket).run(["display-message", "-p", "#{socket_path}"]).strip()
    return HookTarget(
        tmux=shutil.which("tmux") or "tmux",
        socket=socket,
        session="claude-42",
        conversation=str(tmp_path / "state" / "conversation.json"),
        worktree=str(worktree) if worktree else None,
        base_commit=base,
        git=shutil.which("git") or "git",
    )


def fire(target: HookTarget, event: str, payload: dict[str, Any], matcher: str | None = None) -> list[Any]:
    """Run every command our settings register for ``event`` as Claude Code does (``sh -c``, JSON on
    stdin); return the finished processes."""
    done = []
    for entry in claude_settings(target)["hooks"][event]:
        pattern = entry.get("matcher")
        if pattern not in (None, "*") and re.fullmatch(pattern, matcher or "") is None:
            continue
        for hook in entry["hooks"]:
            done.append(
                subprocess.run(
                    ["sh", "-c", hook["command"]],
                    input=json.dumps({"hook_event_name": event, **payload}),
                    capture_output=True,
                    text=True,
                    timeout=hook["timeout"],
                )
            )
    return done


def test_shell_hooks_record_each_events_state(tmp_path: Path, tmux_socket: str, git_root: Path) -> None:
    server = TmuxServer(tmux_socket)
    server.run(
        ["new-session", "-d", "-s", "claude-42", "sleep 600"],
        ["new-session", "-d", "-s", "claude-420", "sleep 600"],
    )
    base = git(git_root, "rev-parse", "HEAD").strip()
    target = hook_target(tmp_path, tmux_socket, git_root, base)

    def option(name: str, session: str = "claude-42") -> str:
        return server.run(["show-options", "-qv", "-t", f"={session}:", name]).strip()

    transcript = str(tmp_path / "t.jsonl")
    for event, payload, matcher, expected in (
        (
            "SessionStart",
            {"session_id": "0f0e", "transcript_path": transcript, "source": "startup"},
            "startup",
            "idle",
        ),
        ("UserPromptSubmit", {"prompt": "go"}, None, "working"),
        ("PreToolUse", {"tool_name": "Bash", "tool_input": {"command": "x" * 200_000}}, "Bash", "working"),
        ("PermissionRequest", {"tool_name": "Bash"}, "Bash", "waiting"),
        ("PostToolUse", {"tool_name": "Bash"}, "Bash", "working"),
        ("Notification", {"notification_type": "permission_prompt"}, "permission_prompt", "waiting"),
        ("Notification", {"notification_type": "idle_prompt"}, "idle_prompt", "idle"),
        ("Stop", {"stop_hook_active": False}, None, "idle"),
    ):
        runs = fire(target, event, payload, matcher)
        assert runs and all(run.returncode == 0 and run.stdout == "" and run.stderr == "" for run in runs)
        assert option(options.AGENT_STATE) == expected, event
        if event == "SessionStart":
            # The event's own JSON is the task's conversation record (what the next start resumes).
            record = json.loads(Path(target.conversation or "").read_text())
            assert record["session_id"] == "0f0e" and record["transcript_path"] == transcript
    assert option(options.AGENT_STATE, "claude-420") == ""  # never a prefix match
    # A commit during the turn: "ahead" is measured when the turn ends.
    (git_root / "fix.txt").write_text("fixed\n")
    git(git_root, "add", "fix.txt")
    git(git_root, "commit", "-q", "-m", "fix")
    fire(target, "Stop", {})
    assert option(options.AHEAD) == "1"


def test_shell_hooks_never_fail_the_agent(tmp_path: Path, tmux_socket: str) -> None:
    # No tmux server on the socket, a folder that cannot be made, garbage on stdin: exit 0, silent.
    target = HookTarget(
        tmux=shutil.which("tmux") or "tmux",
        socket=str(tmp_path / "no-server"),
        session="claude-42",
        conversation=str(tmp_path / "a-file" / "conversation.json"),
        worktree=str(tmp_path / "no-repo"),
        base_commit="abc",
    )
    (tmp_path / "a-file").write_text("x")
    for event in ("SessionStart", "UserPromptSubmit", "Stop", "PermissionRequest"):
        for run in fire(target, event, {"junk": "\x00" * 3}, "x"):
            assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_hook_settings_quote_every_value(tmp_path: Path) -> None:
    odd = str(tmp_path / "it's a $(touch pwned) dir")
    target = HookTarget(tmux="/usr/bin/tmux", socket=odd, session="claude-42", conversation=odd + "/c.json")
    for entries in claude_settings(target)["hooks"].values():
        for entry in entries:
            command = entry["hooks"][0]["command"]
            assert shlex.quote(odd) in command
    fire(target, "SessionStart", {})
    assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()


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
