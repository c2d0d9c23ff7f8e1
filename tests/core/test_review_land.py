"""``ClaudeSessions.land``: a task's branch merged into the main checkout's branch (merge, squash or
rebase), or refused with nothing changed: every ref, HEAD, the status, index and files of every
worktree compared before and after. Real repositories in temp folders, a real tmux for cleanup."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.errors import InvalidSetting, LandRefused, WorktreeNotFound
from jupyter_claude.core.land import land

from ..support.data import SLEEPER
from ..support.repos import BINARY, NUMBERS, Repo, line, write


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A main checkout on ``main``."""
    return Repo(tmp_path)


@pytest.fixture
def sessions(repo: Repo, tmux_socket: str, tmp_path: Path) -> ClaudeSessions:
    """A manager whose root is the repository's main checkout (sessions run a harmless sleeper)."""
    (repo.root / "tasks").mkdir()
    (repo.root / "tasks" / "42.md").write_text('+++\nid = "42"\ntitle = "Fix the login form"\n+++\n')
    repo.commit(repo.root, {}, "tasks")
    return ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(repo.root),
        command=SLEEPER,
    )


def refused(sessions: ClaudeSessions, repo: Repo, task_id: str, match: str, **options: object) -> LandRefused:
    """Land must refuse with a reason matching ``match`` and leave everything as it was."""
    before = repo.state()
    with pytest.raises(LandRefused, match=match) as caught:
        sessions.land(task_id, **options)  # type: ignore[arg-type]
    assert repo.state() == before
    return caught.value


def clean(repo: Repo) -> None:
    """The main checkout is clean and not in the middle of anything."""
    assert repo.git("status", "--porcelain") == ""
    assert not any((repo.root / ".git" / m).exists() for m in ("MERGE_HEAD", "rebase-merge", "rebase-apply"))


def test_merge_makes_a_merge_commit_on_the_main_checkouts_branch(
    repo: Repo, sessions: ClaudeSessions
) -> None:
    repo.task("42", {"f.txt": line(2, "two")}, {"new.txt": "new\n", "logo.png": BINARY})
    repo.commit(repo.root, {"README.md": "# main moved\n"}, "main moves on")
    before, tip = repo.head("main"), repo.head("task/42")
    landing = sessions.land("42")
    clean(repo)
    head = repo.head("main")
    shown = landing.to_json() | {"commits": len(landing.commits), "files": [f.path for f in landing.files]}
    assert shown == {
        "landed": True,
        "id": "42",
        "strategy": "merge",
        "branch": "task/42",
        "target": "main",
        "previous": before,
        "commit": head,
        "commits": 2,
        "files": ["f.txt", "logo.png", "new.txt"],
        "committed_uncommitted": None,
        "cleanup": None,
    }
    merge = repo.git("log", "-1", "--format=%P %s", "main").strip()
    assert merge == f"{before} {tip} Merge task/42: Fix the login form"
    assert (repo.root / "f.txt").read_text() == line(2, "two")
    assert (repo.root / "logo.png").read_bytes() == BINARY
    assert (repo.root / "README.md").read_text() == "# main moved\n"
    assert repo.head("task/42") == tip and sessions.diff("42").ahead == 0  # fully merged, kept


def test_squash_makes_one_commit_listing_the_tasks_commits(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"f.txt": line(2, "two")}, {"new.txt": "new\n"})
    before = repo.head("main")
    landing = sessions.land("42", strategy="squash")
    clean(repo)
    assert repo.git("log", "-1", "--format=%P", "main").strip() == before  # one parent
    assert repo.git("log", "-1", "--format=%B", "main").strip() == (
        "Task 42: Fix the login form\n\nSquashed from task/42:\n\n* 42: step 1\n* 42: step 2"
    )
    assert landing.commit == repo.head("main") and (repo.root / "new.txt").read_text() == "new\n"


def test_rebase_replays_the_task_elsewhere_then_fast_forwards(repo: Repo, sessions: ClaudeSessions) -> None:
    worktree = repo.task("42", {"f.txt": line(2, "two")}, {"new.txt": "new\n"})
    repo.commit(repo.root, {"README.md": "# main moved\n"}, "main moves on")
    moved = repo.head("main")
    landing = sessions.land("42", strategy="rebase")
    clean(repo)
    assert repo.git("log", "--format=%s", f"{moved}..main").splitlines() == ["42: step 2", "42: step 1"]
    assert repo.git("rev-list", "--merges", "main") == ""  # linear
    assert repo.head("task/42") == repo.head("main") == landing.commit
    assert repo.git("status", "--porcelain", cwd=worktree) == ""
    assert (worktree / "README.md").read_text() == "# main moved\n"  # the task's worktree follows
    listed = [line.split()[0] for line in repo.git("worktree", "list").splitlines()]
    assert listed == [str(repo.root), str(worktree)]  # the temporary worktree is gone
    assert [c.subject for c in landing.commits] == ["42: step 2", "42: step 1"]


def test_rebase_of_a_task_already_on_top_is_a_fast_forward(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"new.txt": "new\n"})
    tip = repo.head("task/42")
    assert sessions.land("42", strategy="rebase").commit == tip == repo.head("main")


def test_a_conflict_is_refused_and_nothing_changes(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"f.txt": line(2, "two-task"), "ok.txt": "fine\n"})
    repo.commit(repo.root, {"f.txt": line(2, "two-main")}, "main changes the same line")
    for strategy in ("merge", "squash", "rebase"):
        error = refused(sessions, repo, "42", r"task/42 conflicts with main in f\.txt", strategy=strategy)
        assert error.paths == ["f.txt"]


def test_a_dirty_main_checkout_is_refused(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"new.txt": "new\n"})
    write(repo.root, {"README.md": "# edited, not committed\n"})
    error = refused(sessions, repo, "42", r"main checkout has uncommitted changes \(README\.md\)")
    assert error.paths == ["README.md"]
    repo.git("add", "README.md")
    refused(sessions, repo, "42", "uncommitted changes")  # staged counts too


def test_untracked_files_in_the_main_checkout_do_not_block_unless_in_the_way(
    repo: Repo, sessions: ClaudeSessions
) -> None:
    repo.task("42", {"new.txt": "from the task\n"})
    write(repo.root, {"scratch.txt": "mine\n", "new.txt": "mine too\n"})
    error = refused(sessions, repo, "42", r"untracked files where the task adds files \(new\.txt\)")
    assert error.paths == ["new.txt"]
    (repo.root / "new.txt").unlink()
    sessions.land("42")
    assert (repo.root / "scratch.txt").read_text() == "mine\n"
    assert repo.git("status", "--porcelain") == "?? scratch.txt\n"


def test_a_merge_under_way_in_the_main_checkout_is_refused(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"new.txt": "new\n"})
    (repo.root / ".git" / "MERGE_HEAD").write_text(repo.head("task/42") + "\n")
    refused(sessions, repo, "42", "main checkout is in the middle of a merge")


def test_uncommitted_work_blocks_unless_committed_in_the_worktree(
    repo: Repo, sessions: ClaudeSessions
) -> None:
    worktree = repo.task("42", {"f.txt": line(2, "two")})
    write(worktree, {"README.md": "# staged\n"})
    repo.git("add", "README.md", cwd=worktree)
    write(worktree, {"notes.txt": "untracked\n", "other.txt": "unstaged\n"})
    reason = r"task 42 has uncommitted work in its worktree \(README\.md, other\.txt, notes"
    error = refused(sessions, repo, "42", reason)
    assert error.paths == ["README.md", "other.txt", "notes.txt"]
    main_files = sorted(p.name for p in repo.root.iterdir())

    landing = sessions.land("42", commit_uncommitted=True, message="Finish the form")
    clean(repo)
    committed = landing.committed
    assert committed == repo.head("task/42") and repo.git("log", "-1", "--format=%s", committed).strip() == (
        "Finish the form"
    )
    assert repo.git("status", "--porcelain", cwd=worktree) == ""  # committed in the worktree
    assert (repo.root / "notes.txt").read_text() == "untracked\n"  # and landed
    assert sorted(p.name for p in repo.root.iterdir()) == sorted([*main_files, "notes.txt"])


def test_uncommitted_work_that_would_conflict_is_refused_uncommitted(
    repo: Repo, sessions: ClaudeSessions
) -> None:
    worktree = repo.task("42", {"new.txt": "new\n"})
    repo.commit(repo.root, {"f.txt": line(2, "two-main")}, "main")
    write(worktree, {"f.txt": line(2, "two-wip"), "wip.txt": "wip\n"})
    repo.git("add", "wip.txt", cwd=worktree)
    refused(sessions, repo, "42", "conflicts with main in f.txt", commit_uncommitted=True, message="wip")


def test_a_failure_after_committing_puts_everything_back(repo: Repo, sessions: ClaudeSessions) -> None:
    """The landing fails (an untracked file is in the way) after the worktree's work was
    committed: the commit is undone, the index and files are as they were."""
    worktree = repo.task("42", {"f.txt": line(2, "two")})
    write(worktree, {"README.md": "# half staged\n"})
    repo.git("add", "README.md", cwd=worktree)
    write(worktree, {"README.md": "# and more\n", "in-the-way.txt": "task\n"})
    write(repo.root, {"in-the-way.txt": "main's own untracked file\n"})
    refused(
        sessions, repo, "42", r"untracked files .*\(in-the-way\.txt\)", commit_uncommitted=True, message="m"
    )


def test_a_failing_commit_hook_in_the_worktree_puts_the_index_back(
    repo: Repo, sessions: ClaudeSessions
) -> None:
    worktree = repo.task("42", {"f.txt": line(2, "two")})
    hooks = repo.root / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\necho 'lint says no' >&2\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    write(worktree, {"a.txt": "a\n", "other.txt": "edited\n"})
    repo.git("add", "a.txt", cwd=worktree)
    refused(sessions, repo, "42", "nothing was changed", commit_uncommitted=True)


def test_a_rebase_that_stops_halfway_is_refused(repo: Repo, sessions: ClaudeSessions) -> None:
    """The branch as a whole merges cleanly (its second commit undoes its first), but its first
    commit conflicts on its own: rebase refuses, merge would not."""
    repo.task("42", {"f.txt": line(2, "two-task")}, {"f.txt": NUMBERS, "new.txt": "x\n"})
    repo.commit(repo.root, {"f.txt": line(2, "two-main")}, "main")
    refused(sessions, repo, "42", "rebasing task/42 onto main stops at a conflict", strategy="rebase")
    sessions.land("42", strategy="merge")
    assert (repo.root / "f.txt").read_text() == line(2, "two-main")


def test_it_lands_on_whatever_branch_the_main_checkout_is_on(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"new.txt": "new\n"})
    main = repo.head("main")
    repo.git("checkout", "-q", "-b", "release")
    landing = sessions.land("42")
    assert landing.target == "release" and repo.head("release") == landing.commit
    assert repo.head("main") == main


def test_nothing_to_land_and_no_branch_are_refused(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42")
    refused(sessions, repo, "42", "nothing to land: main already has everything of task/42")
    repo.git("checkout", "-q", "--detach")
    repo.commit(repo.worktree("42"), {"x.txt": "x\n"}, "work")
    refused(sessions, repo, "42", "is not on a branch")


def test_a_task_without_a_worktree_is_not_found(repo: Repo, sessions: ClaudeSessions) -> None:
    before = repo.state()
    with pytest.raises(WorktreeNotFound, match="task 9 has no worktree"):
        sessions.land("9")
    with pytest.raises(InvalidSetting, match="strategy 'octopus' is not one of merge, squash, rebase"):
        sessions.land("9", strategy="octopus")
    assert repo.state() == before


def test_cleanup_stops_the_session_removes_the_worktree_and_deletes_the_branch(
    repo: Repo, sessions: ClaudeSessions
) -> None:
    repo.task("42", {"new.txt": "new\n"})
    sessions.start("42")
    assert sessions.status("42").live
    landing = sessions.land("42", cleanup=True)
    assert landing.cleanup == {
        "stopped": True,
        "worktree_removed": True,
        "branch_deleted": True,
        "problems": [],
    }
    assert sessions.status("42").state == "stopped"
    assert not repo.worktree("42").exists()
    assert repo.git("branch", "--list", "task/42") == ""


def test_cleanup_after_a_squash_deletes_the_unmerged_branch(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"new.txt": "new\n"}, {"more.txt": "more\n"})
    landing = sessions.land("42", strategy="squash", cleanup=True)
    assert landing.cleanup == {
        "stopped": False,
        "worktree_removed": True,
        "branch_deleted": True,
        "problems": [],
    }
    assert repo.git("branch", "--list", "task/42") == ""


def test_cleanup_keeps_a_branch_that_is_not_fully_merged(repo: Repo, sessions: ClaudeSessions) -> None:
    """The agent commits once more while its session is being stopped: the branch then has work
    that did not land, and ``git branch -d`` refuses to delete it."""
    worktree = repo.task("42", {"new.txt": "new\n"})

    def last_commit_then_stop(task_id: str) -> bool:
        repo.commit(worktree, {"late.txt": "late\n"}, "one more")
        return False

    landing = land(repo.root, "42", cleanup=True, stop=last_commit_then_stop)
    assert landing.cleanup is not None
    assert (landing.cleanup["worktree_removed"], landing.cleanup["branch_deleted"]) == (True, False)
    assert "branch task/42 kept" in landing.cleanup["problems"][0]
    assert "not fully merged" in landing.cleanup["problems"][0]
    assert repo.git("branch", "--list", "--format=%(refname:short)", "task/42").strip() == "task/42"


def test_cleanup_keeps_a_worktree_with_new_files(repo: Repo, sessions: ClaudeSessions) -> None:
    worktree = repo.task("42", {"new.txt": "new\n"})

    def leaves_a_file(task_id: str) -> bool:
        write(worktree, {"scratch.txt": "left behind\n"})
        return True

    landing = land(repo.root, "42", cleanup=True, stop=leaves_a_file)
    assert landing.cleanup is not None
    assert landing.cleanup["stopped"] and not landing.cleanup["worktree_removed"]
    assert worktree.is_dir() and (worktree / "scratch.txt").exists()
    assert repo.git("branch", "--list", "--format=%(refname:short)", "task/42").strip() == "task/42"


def test_the_same_file_in_different_places_lands_cleanly(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("42", {"f.txt": line(9, "nine-task")})
    repo.commit(repo.root, {"f.txt": line(2, "two-main")}, "main edits another place")
    sessions.land("42", strategy="squash")
    clean(repo)
    assert (repo.root / "f.txt").read_text() == line(2, "two-main").replace("9\n", "nine-task\n")


def test_a_rename_lands_with_the_edits_made_meanwhile(repo: Repo, sessions: ClaudeSessions) -> None:
    worktree = repo.task("42")
    repo.git("mv", "other.txt", "renamed.txt", cwd=worktree)
    repo.git("commit", "-q", "-m", "rename", cwd=worktree)
    repo.commit(repo.root, {"other.txt": "alpha\nbeta\ngamma\ndelta\n"}, "main edits the old name")
    landing = sessions.land("42", strategy="rebase")
    clean(repo)
    assert not (repo.root / "other.txt").exists()
    assert (repo.root / "renamed.txt").read_text() == "alpha\nbeta\ngamma\ndelta\n"
    assert [(f.path, f.status, f.old_path) for f in landing.files] == [
        ("renamed.txt", "renamed", "other.txt")
    ]
