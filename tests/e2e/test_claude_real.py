"""Real Claude Code conversations through the product, against the scripted model server.

The real ``claude`` program (from npm) runs in a task's pane through the built-in workflow (a git
worktree, the claude profile, our hooks in a ``--settings`` file) and talks to the scripted
Anthropic API on loopback (tests/support/model_server.py): it streams answers, asks for permission
in its own dialog, runs tools, resumes its conversation. The states the hooks record are read back
through the REST API and the events websocket, in the order they were pushed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import options

from ..support.agents import Agents
from ..support.claude import RealClaude
from ..support.data import wait_for
from ..support.model_server import Slow, Text, ToolUse
from ..support.server import Fetch, body, post, read_frames, server_config

DIALOG = "Do you want to"  # "proceed?" for Bash, "create notes.md?" for Write


def worktree(git_root: Path) -> Path:
    """Where task 42's worktree is made by default."""
    return git_root.parent / f"{git_root.name}.worktrees" / "42"


@pytest.fixture
def jp_server_config(
    tmux_socket: str, tmp_path: Path, git_root: Path, real_claude: RealClaude
) -> dict[str, Any]:
    """The extension running the built-in workflow (no command configured) on the test's repository."""
    return server_config(tmux_socket, tmp_path, command=[], root_dir=str(git_root), agent_quiet_seconds=2)


def states_of(frames: list[str | bytes], task_id: str = "42") -> list[str]:
    """The states pushed for a task, in order, repeats folded."""
    states: list[str] = []
    for frame in frames:
        message = json.loads(frame)
        sessions = message.get("sessions") or ([message["session"]] if message.get("session") else [])
        for session in sessions:
            if session["id"] == task_id and (not states or states[-1] != session["state"]):
                states.append(session["state"])
    return states


def has_state(state: str) -> Any:
    return lambda frames: bool(states_of(frames)) and states_of(frames)[-1] == state


async def test_a_real_conversation_through_every_state(
    jp_fetch: Fetch, jp_ws_fetch: Any, real_claude: RealClaude, git_root: Path
) -> None:
    model = real_claude.model
    model.script(
        Slow(1.5, ToolUse("Bash", {"command": "touch made.txt", "description": "Make the file"})),
        Slow(1.5, Text("Done, made the file.")),  # the model takes its time: "working" is seen
    )
    events = await jp_ws_fetch("claude", "events")
    frames = await read_frames(events, lambda frames: len(frames) >= 1)
    started = body(await post(jp_fetch, "claude", "42", "start", payload={"attach": False}))
    assert started["started"] and started["session"]["command"][-2:] == ["run-task", "42"]

    # The model streams slowly: the agent is working.
    frames += await read_frames(events, has_state("working"), timeout=60)
    # The permission dialog is on screen: the PermissionRequest hook reports "waiting".
    real_claude.wait_for_screen(DIALOG)
    frames += await read_frames(events, has_state("waiting"), timeout=10)
    assert body(await jp_fetch("claude", "42", "status"))["state"] == "waiting"
    # The person answers in the pane: working, then idle after the final answer.
    real_claude.type("Enter")
    frames += await read_frames(events, has_state("idle"), timeout=60)
    assert states_of(frames)[-4:] == ["working", "waiting", "working", "idle"], states_of(frames)
    real_claude.wait_for_screen("Done, made the file.")

    # The tool really ran, in the task's worktree, never in the main checkout.
    assert (worktree(git_root) / "made.txt").exists()
    assert not (git_root / "made.txt").exists()
    status = body(await jp_fetch("claude", "42", "status"))
    assert status["agent"] == "claude" and status["branch"] == "task/42" and status["state"] == "idle"

    # Stop, start again: the conversation is resumed (the earlier answer is on the new screen).
    await post(jp_fetch, "claude", "42", "stop")
    frames += await read_frames(events, has_state("stopped"), timeout=10)
    again = body(await post(jp_fetch, "claude", "42", "start", payload={"attach": False}))
    assert again["started"]
    screen = real_claude.wait_for_screen("Done, made the file.")
    assert "please" not in screen.lower() or "made.txt" in screen
    frames += await read_frames(events, has_state("idle"), timeout=60)
    log = (await jp_fetch("claude", "42", "log")).body.decode()
    assert "resuming conversation" in log

    # The agent exits: exited with its own code, pushed as such.
    real_claude.type("/exit", "Enter")
    frames += await read_frames(events, has_state("exited"), timeout=60)
    exited = body(await jp_fetch("claude", "42", "status"))
    assert exited["state"] == "exited" and exited["exit_status"] == 0
    events.close()


def test_the_rendered_log_is_the_screen(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents, tmux: Any
) -> None:
    real_claude.model.script(ToolUse("Write", {"file_path": "notes.md", "content": "# Notes\n"}))
    workflow.start("42")
    screen = real_claude.wait_for_screen(DIALOG)
    wait_for(lambda: workflow.status("42").state == "waiting", 10)
    rendered = workflow.log_text("42")
    # The text view plays the log at the pane's size: its last screen is exactly what tmux shows.
    shown = [line.rstrip() for line in screen.rstrip("\n").split("\n")]
    while shown and not shown[-1]:
        shown.pop()
    assert rendered.rstrip("\n").split("\n")[-len(shown) :] == shown
    assert "Welcome" in rendered and "Do you want to" in rendered
    assert "WelcometoClaudeCode" not in "".join(rendered.split("\n"))  # words keep their spaces
    assert "\x1b" not in rendered
    # The CLI prints the same text.
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env["JUPYTER_CLAUDE_TMUX_SOCKET"] = real_claude.tmux_socket
    cli = subprocess.run(
        [
            *(sys.executable, "-m", "jupyter_claude", "log", "42"),
            f"--ClaudeSessions.log_dir={workflow.log_dir}",
            f"--ClaudeSessions.root_dir={workflow.root_dir}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == rendered
    assert tmux("show-options", "-v", "-t", "=claude-42:", options.AGENT).stdout.strip() == "claude"
    workflow.stop("42")


def agent_argv(real_claude: RealClaude, session: str = "claude-42") -> list[str]:
    """The argv of the agent process in the task's pane (run-task exec's it: the pane's own pid);
    [] while the pane still runs run-task itself."""
    pid = real_claude.tmux("display-message", "-p", "-t", f"={session}:", "#{pane_pid}").stdout.strip()
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    except OSError:
        return []
    argv = [word.decode() for word in words]
    # Claude Code is a node script: drop the interpreter and the script's path.
    script = next((i for i, word in enumerate(argv) if word.endswith(("cli.js", "claude"))), None)
    return [] if script is None else argv[script + 1 :]


def test_argv_hooks_and_resume_after_exit_and_stop(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents, git_root: Path
) -> None:
    real_claude.model.script(Text("Hello from the first run."))
    workflow.start("42")
    wait_for(lambda: workflow.status("42").state == "idle" and real_claude.model.pending_steps == 0)
    real_claude.wait_for_screen("Hello from the first run.")
    argv = wait_for(lambda: agent_argv(real_claude))
    assert argv[0] == "--session-id" and str(uuid.UUID(argv[1])) == argv[1]
    session_id = argv[1]
    assert argv[2] == "--settings" and argv[4].startswith("You are working on task 42")
    settings_file = Path(argv[3])
    assert settings_file.is_relative_to(Path(os.environ["XDG_STATE_HOME"]) / "jupyter-claude")
    hooks = json.loads(settings_file.read_text())["hooks"]
    assert "@jc_agent_state working" in hooks["PreToolUse"][0]["hooks"][0]["command"]
    assert real_claude.tmux_socket in hooks["Stop"][0]["hooks"][0]["command"]  # the pane's own server
    # The agent exits; Run again respawns it in place, resuming the conversation.
    real_claude.type("/exit", "Enter")
    wait_for(lambda: workflow.status("42").state == "exited")
    real_claude.model.script(Text("Hello again."))
    assert workflow.start("42").created
    wait_for(lambda: agent_argv(real_claude)[:2] == ["--resume", session_id])
    real_claude.wait_for_screen("Hello from the first run.")  # the earlier conversation, on screen
    # Stopping kills the session and its options; the conversation is remembered on disk.
    workflow.stop("42")
    workflow.start("42")
    wait_for(lambda: agent_argv(real_claude)[:2] == ["--resume", session_id])
    real_claude.wait_for_screen("Hello from the first run.")
    assert workflow.read_log("42").count("resuming conversation " + session_id) == 2
    workflow.stop("42")


def test_esc_and_a_long_approved_tool_are_read_from_the_screen(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents, git_root: Path
) -> None:
    model = real_claude.model
    model.script(Slow(30, Text("too late")))
    workflow.start("42")
    wait_for(lambda: workflow.status("42").state == "working")
    model.wait_for_request(1)  # the model is answering (slowly)
    real_claude.wait_for_screen("esc to interrupt")
    real_claude.type("Escape")  # interrupted: Claude Code fires no Stop hook
    wait_for(lambda: workflow.status("42").state == "idle", 30)  # the screen says so once quiet
    assert model.pending_steps == 0 and "too late" not in real_claude.screen()
    model.script(
        ToolUse("Bash", {"command": "sleep 4; touch slow.txt", "description": "Take a while"}),
        Slow(1, Text("All done.")),
    )
    real_claude.type("run it", "Enter")
    real_claude.wait_for_screen(DIALOG)
    wait_for(lambda: workflow.status("42").state == "waiting", 10)
    real_claude.type("Enter")  # approved: the tool runs for seconds before any hook fires
    wait_for(lambda: workflow.status("42").state == "working", 10)
    wait_for(lambda: workflow.status("42").state == "idle", 60)
    real_claude.wait_for_screen("All done.")
    workflow.stop("42")
