"""Agent profiles: the argv and environment each agent gets, Claude Code's settings and conversation
resume, custom profiles, and a missing agent program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions, InvalidSetting
from jupyter_claude.workflow.agents import agent_profile, fill
from jupyter_claude.workflow.hooks import CLAUDE_HOOK_EVENTS, HookTarget, claude_settings

from ..support.agents import Agents, wait_for


def worktree_of(root: Path) -> str:
    """Where task 42's worktree is made by default."""
    return str(root.parent / "repo.worktrees" / "42")


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("codex", ["codex", "<prompt>"]),
        ("gemini", ["gemini", "--prompt-interactive", "<prompt>"]),
        ("aider", ["aider", "--read", "<prompt file>"]),
    ],
)
def test_profiles_argv_and_environment(
    workflow: ClaudeSessions, agents: Agents, git_root: Path, tmux: Any, agent: str, expected: list[str]
) -> None:
    agents.install_recorder(agent)
    # A tmux server started from inside a Claude Code session carries CLAUDECODE for every pane.
    tmux("new-session", "-d", "-s", "other", "sleep 600")
    tmux("set-environment", "-g", "CLAUDECODE", "1")
    workflow.agent = agent
    workflow.start("42")
    record = wait_for(agents.records)[0]
    argv, env = record["argv"], record["env"]
    assert Path(argv[0]).name == agent and len(argv) == len(expected)
    prompt_file = Path(env["JUPYTER_CLAUDE_PROMPT_FILE"])
    prompt = prompt_file.read_text()
    assert prompt.startswith("You are working on task 42: Fix the login form")
    placeholders = {"<prompt>": prompt, "<prompt file>": str(prompt_file)}
    assert argv[1:] == [placeholders.get(part, part) for part in expected[1:]]
    assert env["JUPYTER_CLAUDE_TASK_ID"] == "42"
    assert env["JUPYTER_CLAUDE_AGENT"] == agent
    assert env["JUPYTER_CLAUDE_BRANCH"] == "task/42"
    assert env["JUPYTER_CLAUDE_WORKTREE"] == record["cwd"] == worktree_of(git_root)
    assert Path(env["JUPYTER_CLAUDE_TASK_FILE"]) == git_root / "tasks" / "42.md"
    assert "CLAUDECODE" not in env
    assert str(prompt_file).startswith(env["XDG_STATE_HOME"])
    if agent == "aider":  # it takes no prompt argument: the prompt is printed in the pane
        assert "The login form loses the password field" in wait_for(lambda: workflow.read_log("42"))


def test_a_conversation_that_never_started_is_not_resumed(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    # The agent died before saving anything (as the real one does without its service):
    # the same id is offered again as a new conversation, not --resume'd into an error.
    agents.install_recorder("claude", then="import sys; sys.exit(1)\n")
    workflow.start("42")
    wait_for(lambda: workflow.status("42").state == "exited")
    workflow.start("42")
    wait_for(lambda: len(agents.records()) == 2)
    first, second = (record["argv"] for record in agents.records())
    assert first[1] == second[1] == "--session-id" and first[2] == second[2]


def test_a_custom_profile_from_the_agents_setting(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    agents.install_recorder("my-agent")
    workflow.agents = {
        "mine": {
            "argv": ["my-agent", "--task={id}", "--in={worktree}", "{prompt_file}"],
            "env": {"MY_TASK": "t-{id}"},
        },
    }
    workflow.agent = "mine"
    workflow.start("42")
    record = wait_for(agents.records)[0]
    worktree = worktree_of(git_root)
    assert record["argv"][1:3] == ["--task=42", f"--in={worktree}"]
    assert Path(record["argv"][3]).read_text().startswith("You are working on task 42")
    assert record["env"]["MY_TASK"] == "t-42"
    assert wait_for(lambda: workflow.status("42").agent) == "mine"


def test_a_missing_agent_program_exits_127_with_a_message(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    workflow.agents = {
        "ghost": {"argv": ["no-such-agent-xyz", "{prompt}"], "install_hint": "pip install ghost"}
    }
    workflow.agent = "ghost"
    workflow.start("42")
    exited = wait_for(lambda: (s := workflow.status("42")).state == "exited" and s)
    assert exited.exit_status == 127 and exited.badge == "🔴 exited (127)"
    log = workflow.read_log("42")
    assert "cannot start the ghost agent: 'no-such-agent-xyz' is not on PATH" in log
    assert "Install it: pip install ghost" in log


def test_the_shell_profile_prints_the_prompt_and_runs_in_the_worktree(
    workflow: ClaudeSessions, agents: Agents, git_root: Path, tmux: Any
) -> None:
    workflow.agent = "shell"
    workflow.start("42")
    wait_for(lambda: "The login form loses the password field" in workflow.read_log("42"))
    tmux("send-keys", "-t", "=claude-42:", "echo at-$(pwd)", "Enter")
    wait_for(lambda: f"at-{worktree_of(git_root)}" in workflow.read_log("42"))
    assert wait_for(lambda: workflow.status("42").state == "idle", timeout=10)


def test_profile_overrides_and_validation() -> None:
    codex = agent_profile("codex", {"codex": {"argv": ["codex", "--full-auto", "{prompt}"]}})
    assert codex.argv == ["codex", "--full-auto", "{prompt}"] and codex.busy == agent_profile("codex").busy
    assert agent_profile("claude").hooks and agent_profile("claude").remembers_conversation
    for name, overrides, message in [
        ("nope", {}, "unknown agent 'nope'"),
        ("x", {"x": {"env": {}}}, "needs an argv"),
        ("x", {"x": {"argv": []}}, "non-empty list of strings"),
        ("x", {"x": {"argv": "codex"}}, "non-empty list of strings"),
        ("x", {"x": {"argv": ["a"], "colour": "red"}}, "unknown fields"),
        ("x", {"x": ["a"]}, "must be a mapping"),
    ]:
        with pytest.raises(InvalidSetting, match=message):
            agent_profile(name, overrides)


def test_fill_is_one_pass() -> None:
    values = {"prompt": "use {worktree} and {id}", "worktree": "/w", "id": "42"}
    assert fill("{prompt} in {worktree} {other}", values) == "use {worktree} and {id} in /w {other}"


def test_claude_settings_shape() -> None:
    target = HookTarget(tmux="/usr/bin/tmux", socket="/tmp/tmux-0/default", session="claude-4 2")
    settings = claude_settings(target)
    assert set(settings) == {"hooks"}
    assert set(settings["hooks"]) == {event for event, _, _ in CLAUDE_HOOK_EVENTS}
    entry = settings["hooks"]["PreToolUse"][0]
    assert entry["matcher"] == "*" and entry["hooks"][0]["type"] == "command"
    assert "'=claude-4 2:'" in entry["hooks"][0]["command"]  # every value quoted for sh
    assert "matcher" not in settings["hooks"]["Stop"][0]
    notifications = {entry["matcher"]: entry for entry in settings["hooks"]["Notification"]}
    assert set(notifications) == {"permission_prompt|elicitation_dialog", "idle_prompt"}
    assert notifications["idle_prompt"]["hooks"][0]["command"].count("@jc_agent_state idle") == 1
