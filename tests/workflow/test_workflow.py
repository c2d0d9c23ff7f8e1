"""The built-in task workflow (`jupyter-claude run-task`) and the worktree commands, with real tmux
and real git in temporary repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.cli import main
from jupyter_claude.workflow.worktrees import ensure_worktree, list_worktrees, repository_root

from ..support.agents import TASK_42, Agents, git, wait_for


def main_checkout_state(root: Path) -> dict[str, Any]:
    """Everything about the main checkout that the workflow must leave as it was."""
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "branch", "--show-current"),
        "status": git(root, "status", "--porcelain", "--ignored"),
        "files": sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts),
        "readme": (root / "README.md").read_text(),
    }


def test_default_command_is_the_built_in_workflow(workflow: ClaudeSessions) -> None:
    assert workflow.command_for("42")[-3:] == ["jupyter_claude", "run-task", "42"]


def test_run_task_makes_a_worktree_and_branch_and_leaves_the_main_checkout(
    workflow: ClaudeSessions, agents: Agents, git_root: Path
) -> None:
    agents.install_recorder("codex")
    workflow.agent = "codex"
    before = main_checkout_state(git_root)
    session = workflow.start("42")
    assert session.created
    record = wait_for(agents.records)[0]
    worktree = git_root.parent / "repo.worktrees" / "42"
    assert record["cwd"] == str(worktree)
    assert git(worktree, "branch", "--show-current").strip() == "task/42"
    assert git(worktree, "rev-parse", "HEAD") == before["head"]  # made from the main checkout's HEAD
    assert main_checkout_state(git_root) == before
    listed = wait_for(lambda: (s := workflow.status("42")).branch and s)
    assert (listed.agent, listed.branch, listed.worktree, listed.ahead) == (
        "codex",
        "task/42",
        str(worktree),
        0,
    )
    assert listed.to_json()["branch"] == "task/42"
    log = workflow.read_log("42")
    assert "worktree" in log and "created" in log and "task/42" in log


def test_the_prompt_is_made_from_the_task(workflow: ClaudeSessions, agents: Agents, git_root: Path) -> None:
    agents.install_recorder("codex")
    workflow.agent = "codex"
    workflow.start("42")
    argv = wait_for(agents.records)[0]["argv"]
    assert argv[0].endswith("/codex") and len(argv) == 2
    prompt = argv[1]
    worktree = str(git_root.parent / "repo.worktrees" / "42")
    assert prompt.startswith("You are working on task 42: Fix the login form\n")
    for expected in (
        "Task file: tasks/42.md",
        "- status: 🟡 To Do",
        "- priority: ▶️ Medium",
        "- assigned_to: alice",
        "The login form loses the password field after one failed attempt.",
        "Keep {braces} and $dollars as they are.",  # the body is never read as a template
        f"a git worktree made for this task, {worktree}, on branch task/42",
    ):
        assert expected in prompt
    assert "title = " not in prompt and "+++" not in prompt


def test_second_run_reuses_the_worktree(workflow: ClaudeSessions, agents: Agents, git_root: Path) -> None:
    agents.install_recorder("codex", then="import sys; sys.exit(0)\n")
    workflow.agent = "codex"
    workflow.start("42")
    wait_for(lambda: workflow.status("42").state == "exited")
    worktree = git_root.parent / "repo.worktrees" / "42"
    (worktree / "work.txt").write_text("in progress\n")
    git(worktree, "add", "work.txt")
    git(worktree, "commit", "-q", "-m", "work")
    assert workflow.start("42").created  # respawned in place
    wait_for(lambda: len(agents.records()) == 2)
    first, second = agents.records()
    assert first["cwd"] == second["cwd"] == str(worktree)
    assert (worktree / "work.txt").read_text() == "in progress\n"
    assert "re-used" in workflow.read_log("42")
    assert wait_for(lambda: workflow.status("42").ahead == 1)
    assert git(git_root, "worktree", "list").count("\n") == 2
    assert not (git_root / "work.txt").exists()


def test_a_root_that_is_not_a_git_repository_runs_in_place(
    tmux_socket: str, tmp_path: Path, task_root: Path, agents: Agents
) -> None:
    (task_root / "tasks" / "42.md").write_text(TASK_42)
    agents.install_recorder("codex")
    manager = ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(task_root),
        agent="codex",
    )
    manager.start("42")
    record = wait_for(agents.records)[0]
    assert record["cwd"] == str(task_root)
    assert "not a git repository: running in place" in wait_for(lambda: manager.read_log("42"))
    assert "directly in" in record["argv"][1]
    session = wait_for(lambda: (s := manager.status("42")).agent and s)
    assert session.branch is None and session.worktree == str(task_root) and session.ahead is None
    assert not (tmp_path / "repo.worktrees").exists()


def test_settings_reach_the_pane(workflow: ClaudeSessions, agents: Agents, git_root: Path) -> None:
    # Worktrees root relative to the repository, another base, a custom prompt template: the
    # pane gets them from the manager that started it, not from any config file.
    agents.install_recorder("codex")
    base = git(git_root, "rev-parse", "HEAD").strip()
    (git_root / "later.txt").write_text("later\n")
    git(git_root, "add", "later.txt")
    git(git_root, "commit", "-q", "-m", "later")
    workflow.agent = "codex"
    workflow.worktrees_root = "wt"
    workflow.worktree_base = base
    workflow.prompt_template = "Task {id} ({status}) on {branch}: {title} {unknown}"
    workflow.start("42")
    record = wait_for(agents.records)[0]
    assert record["cwd"] == str(git_root / "wt" / "42")
    assert record["argv"][1] == "Task 42 (🟡 To Do) on task/42: Fix the login form {unknown}\n"
    assert git(git_root / "wt" / "42", "rev-parse", "HEAD").strip() == base


def test_a_task_without_a_file_fails_with_a_message(workflow: ClaudeSessions, agents: Agents) -> None:
    workflow.start("99")
    exited = wait_for(lambda: (s := workflow.status("99")).state == "exited" and s)
    assert exited.exit_status == 2
    assert "no task file with id '99'" in workflow.read_log("99")


def test_a_subfolder_root_starts_at_the_same_place_in_the_worktree(
    tmux_socket: str, tmp_path: Path, git_root: Path, agents: Agents
) -> None:
    sub = git_root / "sub"
    (sub / "tasks").mkdir(parents=True)
    (sub / "tasks" / "42.md").write_text(TASK_42)
    git(git_root, "add", ".")
    git(git_root, "commit", "-q", "-m", "sub")
    agents.install_recorder("codex")
    manager = ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(sub),
        agent="codex",
    )
    manager.start("42")
    assert wait_for(agents.records)[0]["cwd"] == str(git_root.parent / "repo.worktrees" / "42" / "sub")
    assert repository_root(sub) == git_root


def test_ensure_worktree_reuses_a_branch_checked_out_elsewhere(git_root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    git(git_root, "worktree", "add", "-q", "-b", "task/42", str(elsewhere))
    worktree = ensure_worktree(git_root, "42")
    assert worktree.path == str(elsewhere) and not worktree.created and worktree.branch == "task/42"
    # A branch with no worktree gets one; a folder in the way is refused with a message.
    git(git_root, "branch", "task/43")
    assert ensure_worktree(git_root, "43").created
    blocker = git_root.parent / "repo.worktrees" / "44"
    blocker.mkdir(parents=True)
    (blocker / "x").write_text("x")
    with pytest.raises(Exception, match="is not the worktree of task/44"):
        ensure_worktree(git_root, "44")
    # The task's branch checked out in the main checkout: refused, never run there.
    git(git_root, "checkout", "-q", "-b", "task/45")
    with pytest.raises(Exception, match="checked out in the main checkout"):
        ensure_worktree(git_root, "45")


# -- jupyter-claude worktree list / remove ---------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], manager: ClaudeSessions, *argv: str) -> tuple[int, str, str]:
    """Run the CLI against the test's socket and root; (exit code, stdout, stderr)."""
    settings = [
        f"--ClaudeSessions.tmux_socket={manager.tmux_socket}",
        f"--ClaudeSessions.root_dir={manager.root_dir}",
    ]
    code = main([*argv, *settings])
    out, err = capsys.readouterr()
    return code, out, err


def test_worktree_list_and_remove(
    workflow: ClaudeSessions,
    agents: Agents,
    git_root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no jupyter config files from the current directory
    agents.install_recorder("codex", then="import sys; sys.exit(0)\n")
    workflow.agent = "codex"
    workflow.start("42")
    wait_for(lambda: workflow.status("42").state == "exited")
    worktree = git_root.parent / "repo.worktrees" / "42"

    code, out, _ = cli(capsys, workflow, "worktree", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "SESSION", "BRANCH", "AHEAD", "CHANGES", "PATH"]
    assert row.split() == ["42", "🔴", "exited", "(0)", "task/42", "0", "clean", str(worktree)]

    # Uncommitted work is refused.
    (worktree / "wip.txt").write_text("wip\n")
    code, _, err = cli(capsys, workflow, "worktree", "remove", "42")
    assert code == 1 and "uncommitted changes" in err and worktree.exists()
    # Committed but neither pushed nor merged: refused too.
    git(worktree, "add", "wip.txt")
    git(worktree, "commit", "-q", "-m", "wip")
    code, out, _ = cli(capsys, workflow, "worktree", "list", "--json")
    (listed,) = json.loads(out)["worktrees"]
    assert (listed["ahead"], listed["dirty"], listed["session"]["state"]) == (1, False, "exited")
    code, _, err = cli(capsys, workflow, "worktree", "remove", "42")
    assert code == 1 and "1 commit(s) that are neither pushed nor in HEAD" in err and worktree.exists()
    # Merged into the base: nothing would be lost, so it goes (the branch stays).
    git(git_root, "merge", "-q", "--ff-only", "task/42")
    code, out, _ = cli(capsys, workflow, "worktree", "remove", "42")
    assert code == 0 and "branch task/42 is kept" in out and not worktree.exists()
    assert git(git_root, "branch", "--list", "task/42").strip() == "task/42"
    code, out, _ = cli(capsys, workflow, "worktree", "list")
    assert out.strip() == "no task worktrees"


def test_worktree_remove_force_and_running_sessions(
    workflow: ClaudeSessions,
    agents: Agents,
    git_root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    agents.install_recorder("codex")
    workflow.agent = "codex"
    workflow.start("42")
    wait_for(agents.records)
    worktree = git_root.parent / "repo.worktrees" / "42"
    (worktree / "wip.txt").write_text("wip\n")
    code, _, err = cli(capsys, workflow, "worktree", "remove", "42", "--force")
    assert code == 2 and "stop it first" in err and worktree.exists()
    workflow.stop("42")
    code, _, _ = cli(capsys, workflow, "worktree", "remove", "42", "--force")
    assert code == 0 and not worktree.exists()
    assert list_worktrees(git_root) == []
    code, _, err = cli(capsys, workflow, "worktree", "remove", "42")
    assert code == 2 and "has no worktree" in err
    assert os.path.isdir(git_root / ".git")
