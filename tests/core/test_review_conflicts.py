"""``ClaudeSessions.conflicts``: every pair of live task branches, and each against the base, merged
in memory with ``git merge-tree``; results cached by commit ids. Real repositories in temp folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.conflicts import (
    BASE,
    ConflictCache,
    ReviewTrigger,
    check_conflicts,
    git_dir_of,
    parse_merge_tree_stdin,
)
from jupyter_claude.core.git import GitError
from jupyter_claude.core.session import Session

from ..support.repos import BINARY, Repo, line, write


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Tasks that collide, and tasks that do not.

    - a, b: change line 2 of f.txt differently (a conflict)
    - c: changes line 9 of f.txt (the same file as a and b, another place: clean)
    - d: changes other.txt only (different files: clean)
    - e, f: change the binary logo.png differently (a conflict)
    - g: renames other.txt (clean with d, which edits it)
    - h: changes line 2 of f.txt exactly as a does (the same change: clean)
    """
    repo = Repo(tmp_path)
    repo.commit(repo.root, {"logo.png": BINARY}, "a logo")
    repo.task("a", {"f.txt": line(2, "two-a")})
    repo.task("b", {"f.txt": line(2, "two-b")})
    repo.task("c", {"f.txt": line(9, "nine-c")})
    repo.task("d", {"other.txt": "alpha\nbeta\ngamma\ndelta\n"})
    repo.task("e", {"logo.png": BINARY + b"e"})
    repo.task("f", {"logo.png": BINARY + b"f"})
    g = repo.task("g")
    repo.git("mv", "other.txt", "moved.txt", cwd=g)
    repo.git("commit", "-q", "-m", "move", cwd=g)
    repo.task("h", {"f.txt": line(2, "two-a")})
    return repo


@pytest.fixture
def sessions(repo: Repo, tmux_socket: str, tmp_path: Path) -> ClaudeSessions:
    """A manager whose root is the repository's main checkout."""
    return ClaudeSessions(
        config=Config(), tmux_socket=tmux_socket, log_dir=str(tmp_path / "logs"), root_dir=str(repo.root)
    )


def pairs(report: object) -> list[tuple[tuple[str, str], tuple[str, ...]]]:
    """The conflicts as ((a, b), files)."""
    return [(c.tasks, c.files) for c in report.conflicts]  # type: ignore[attr-defined]


def test_exactly_the_colliding_pairs_with_their_files(repo: Repo, sessions: ClaudeSessions) -> None:
    before = repo.state()
    report = sessions.conflicts()
    assert repo.state() == before  # nothing touched any checkout
    assert pairs(report) == [
        (("a", "b"), ("f.txt",)),
        (("b", "h"), ("f.txt",)),
        (("e", "f"), ("logo.png",)),
    ]
    data = report.to_json()
    assert data["base"] == "main" and data["base_commit"] == repo.head("main")
    assert sorted(data["tasks"]) == list("abcdefgh")
    assert data["tasks"]["a"] == repo.head("task/a")
    assert data["conflicts"][0] == {"tasks": ["a", "b"], "files": ["f.txt"], "base": False}
    assert data["errors"] == [] and data["checked_at"].endswith("Z")
    assert report.for_task("b") == [("a", ("f.txt",)), ("h", ("f.txt",))]


def test_each_task_is_checked_against_the_base(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.commit(repo.root, {"f.txt": line(2, "two-main"), "moved.txt": "in the way\n"}, "main moves on")
    report = sessions.conflicts()
    against_base = [(c.tasks, c.files) for c in report.conflicts if c.with_base]
    assert against_base == [
        (("a", BASE), ("f.txt",)),
        (("b", BASE), ("f.txt",)),
        (("g", BASE), ("moved.txt",)),
        (("h", BASE), ("f.txt",)),
    ]
    assert report.to_json()["conflicts"][-1] == {"tasks": ["h", "BASE"], "files": ["f.txt"], "base": True}


def test_the_base_is_the_branch_the_main_checkout_is_on(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.git("checkout", "-q", "-b", "release")
    repo.commit(repo.root, {"other.txt": "release\n"}, "release edits other.txt")
    report = sessions.conflicts()
    assert report.base_branch == "release"
    assert [(c.tasks, c.files) for c in report.conflicts if c.with_base] == [(("d", BASE), ("other.txt",))]
    # g renamed other.txt and release edited it: merge-ort carries the edit over to the new name.


def test_results_are_cached_by_commit_ids(repo: Repo, sessions: ClaudeSessions) -> None:
    cache = sessions._conflict_cache
    first = sessions.conflicts()
    computed = cache.computed
    assert computed == 8 * 7 // 2 + 8 - 0  # every pair once, each task against the base
    again = sessions.conflicts()
    assert cache.computed == computed  # nothing merged again
    assert pairs(again) == pairs(first)

    # One task commits: only its pairs are merged again (7 other tasks + the base).
    repo.commit(repo.worktree("c"), {"f.txt": line(2, "two-c")}, "c collides now")
    third = sessions.conflicts()
    assert cache.computed == computed + 8
    assert (("a", "c"), ("f.txt",)) in pairs(third) and (("c", "h"), ("f.txt",)) in pairs(third)


def test_uncommitted_work_does_not_count_until_committed(repo: Repo, sessions: ClaudeSessions) -> None:
    write(repo.worktree("d"), {"f.txt": line(2, "two-d")})
    assert ("a", "d") not in [c.tasks for c in sessions.conflicts().conflicts]


def test_only_branches_with_a_worktree_are_live(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.git("worktree", "remove", str(repo.worktree("b")))  # the branch stays
    repo.git("branch", "task/z", "task/a")  # a branch that never had a worktree
    report = sessions.conflicts()
    assert sorted(report.tasks) == list("acdefgh")
    assert pairs(report) == [(("e", "f"), ("logo.png",))]


def test_outside_a_repository_there_is_nothing_to_check(tmp_path: Path) -> None:
    report = check_conflicts(tmp_path, ConflictCache())
    assert report.to_json()["conflicts"] == [] and report.base_branch is None


def test_merge_tree_output_is_parsed_record_by_record() -> None:
    out = (
        b"0\0tree1\0f.txt\0g.txt\0\0"
        b"1\0f.txt\0Auto-merging\0Auto-merging f.txt\n\0"
        b"2\0f.txt\0g.txt\0CONFLICT (contents)\0CONFLICT (content): Merge conflict\n\0\0"
        b"1\0tree2\0\0"
    )
    assert parse_merge_tree_stdin(out, 2) == [("f.txt", "g.txt"), ()]
    with pytest.raises(GitError):
        parse_merge_tree_stdin(b"1\0tree\0\0", 2)


def test_the_trigger_fires_on_commits_ahead_counts_and_ended_turns(repo: Repo) -> None:
    trigger, root = ReviewTrigger(), git_dir_of(repo.root)
    assert root == repo.root / ".git"
    working = [Session(id="a", name="claude-a", running=True, state="working", ahead=1)]
    assert trigger.due(root, working)  # the first time
    assert not trigger.due(root, working)  # nothing changed: no git, no check
    idle = [Session(id="a", name="claude-a", running=True, state="idle", ahead=1)]
    assert trigger.due(root, idle)  # the agent's turn ended
    assert not trigger.due(root, idle)
    assert trigger.due(root, [Session(id="a", name="claude-a", running=True, state="idle", ahead=2)])
    repo.commit(repo.worktree("c"), {"c.txt": "x\n"}, "a commit by hand")
    assert trigger.due(root, [Session(id="a", name="claude-a", running=True, state="idle", ahead=2)])
    repo.commit(repo.root, {"README.md": "# moved\n"}, "main moves on")
    assert trigger.due(root, [Session(id="a", name="claude-a", running=True, state="idle", ahead=2)])
    repo.git("worktree", "remove", str(repo.worktree("d")))
    assert trigger.due(root, [Session(id="a", name="claude-a", running=True, state="idle", ahead=2)])
