"""``ClaudeSessions.diff``: a task branch's commits, files and patch against its base, and what its
worktree holds uncommitted, on real git repositories in temp folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.errors import WorktreeNotFound

from ..support.repos import BINARY, NUMBERS, Repo, write


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A main checkout on ``main`` with f.txt (1..10), other.txt and README.md."""
    return Repo(tmp_path)


@pytest.fixture
def sessions(repo: Repo, tmux_socket: str, tmp_path: Path) -> ClaudeSessions:
    """A manager whose root is the repository's main checkout."""
    return ClaudeSessions(
        config=Config(), tmux_socket=tmux_socket, log_dir=str(tmp_path / "logs"), root_dir=str(repo.root)
    )


def change(
    path: str,
    status: str,
    added: int | None,
    deleted: int | None,
    old_path: str | None = None,
    binary: bool = False,
) -> dict[str, object]:
    """A file's entry in the diff's JSON."""
    return {
        "path": path,
        "status": status,
        "added": added,
        "deleted": deleted,
        "old_path": old_path,
        "binary": binary,
    }


def without_ids(data: dict) -> dict:
    """The diff's JSON without the parts that change with every run (commit ids, times)."""
    data = dict(data)
    for key in ("merge_base", "head"):
        assert len(data.pop(key)) == 40
    data["commits"] = [
        {"subject": c["subject"], "author": c["author"], "sha": len(c["sha"])} for c in data["commits"]
    ]
    return data


def test_commits_files_and_patch_exactly(repo: Repo, sessions: ClaudeSessions) -> None:
    worktree = repo.task(
        "42",
        {"f.txt": NUMBERS.replace("2\n", "two\n", 1)},
        {"new.py": "print('hello')\n", "other.txt": "alpha\ngamma\n"},
    )
    diff = sessions.diff("42")
    assert diff.to_json()["merge_base"] == repo.head("main")
    assert diff.to_json()["head"] == repo.head("task/42")
    assert without_ids(diff.to_json()) == {
        "id": "42",
        "base": "main",
        "branch": "task/42",
        "worktree": str(worktree),
        "ahead": 2,
        "behind": 0,
        "commits": [
            {"subject": "42: step 2", "author": "Ada Tester", "sha": 40},
            {"subject": "42: step 1", "author": "Ada Tester", "sha": 40},
        ],
        "files": [
            change("f.txt", "modified", 1, 1),
            change("new.py", "added", 1, 0),
            change("other.txt", "modified", 0, 1),
        ],
        "uncommitted": [],
        "patch": diff.patch,
        "truncated": False,
        "commits_truncated": False,
        "uncommitted_truncated": False,
    }
    f_old, f_new = (repo.git("rev-parse", f"{rev}:f.txt").strip()[:7] for rev in ("main", "task/42"))
    new = repo.git("rev-parse", "task/42:new.py").strip()[:7]
    o_old, o_new = (repo.git("rev-parse", f"{rev}:other.txt").strip()[:7] for rev in ("main", "task/42"))
    assert diff.patch == (
        "diff --git a/f.txt b/f.txt\n"
        f"index {f_old}..{f_new} 100644\n"
        "--- a/f.txt\n+++ b/f.txt\n"
        "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
        "diff --git a/new.py b/new.py\nnew file mode 100644\n"
        f"index 0000000..{new}\n"
        "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+print('hello')\n"
        "diff --git a/other.txt b/other.txt\n"
        f"index {o_old}..{o_new} 100644\n"
        "--- a/other.txt\n+++ b/other.txt\n@@ -1,3 +1,2 @@\n alpha\n-beta\n gamma\n"
    )
    assert [c.time for c in diff.commits] and all(c.time.count("T") == 1 for c in diff.commits)


def test_binary_files_are_listed_and_named_never_dumped(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("img", {"logo.png": BINARY})
    diff = sessions.diff("img")
    assert [f.to_json() for f in diff.files] == [change("logo.png", "added", None, None, binary=True)]
    assert "Binary files /dev/null and b/logo.png differ\n" in diff.patch
    assert "SECRET" not in diff.patch and "PNG" not in diff.patch
    versions = sessions.diff_file("img", "logo.png")
    assert versions.binary and versions.original is None and versions.modified is None


def test_a_rename_is_one_file_with_its_old_path(repo: Repo, sessions: ClaudeSessions) -> None:
    worktree = repo.task("mv")
    repo.git("mv", "other.txt", "renamed.txt", cwd=worktree)
    repo.git("commit", "-q", "-m", "rename", cwd=worktree)
    diff = sessions.diff("mv")
    assert [f.to_json() for f in diff.files] == [change("renamed.txt", "renamed", 0, 0, old_path="other.txt")]
    assert diff.patch == (
        "diff --git a/other.txt b/renamed.txt\nsimilarity index 100%\n"
        "rename from other.txt\nrename to renamed.txt\n"
    )
    versions = sessions.diff_file("mv", "renamed.txt", "other.txt")
    assert (versions.original, versions.modified) == ("alpha\nbeta\ngamma\n", "alpha\nbeta\ngamma\n")


def test_uncommitted_and_untracked_work_is_listed_apart(repo: Repo, sessions: ClaudeSessions) -> None:
    worktree = repo.task("wip", {"f.txt": NUMBERS + "11\n"})
    write(worktree, {"README.md": "# demo\nstaged line\n"})
    repo.git("add", "README.md", cwd=worktree)
    write(worktree, {"other.txt": "alpha\n", "notes/todo.txt": "one\ntwo\nthree", "blob.bin": BINARY})
    (worktree / ".gitignore").write_text("*.log\n")
    write(worktree, {"build.log": "ignored\n"})
    before = repo.state()
    diff = sessions.diff("wip")
    assert repo.state() == before  # looking changes nothing
    assert [f.path for f in diff.files] == ["f.txt"]  # committed work only
    assert diff.patch.count("diff --git") == 1 and "staged line" not in diff.patch
    assert [f.to_json() for f in diff.uncommitted] == [
        change("README.md", "modified", 1, 0),
        change("other.txt", "modified", 0, 2),
        change(".gitignore", "untracked", 1, 0),
        change("blob.bin", "untracked", None, None, binary=True),
        change("notes/todo.txt", "untracked", 3, 0),
    ]


def test_the_patch_is_capped_at_a_line_end(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("big", {"big.txt": "".join(f"line {n}\n" for n in range(5000))})
    whole = sessions.diff("big")
    assert not whole.truncated and whole.patch.count("\n+line ") == 5000
    sessions.diff_max_bytes = 1000
    capped = sessions.diff("big")
    assert capped.truncated
    assert len(capped.patch.encode()) <= 1000 and capped.patch.endswith("\n")
    assert whole.patch.startswith(capped.patch)
    assert capped.files == whole.files  # the file list is never cut
    assert sessions.diff_file("big", "big.txt").too_large


def test_behind_counts_what_the_base_gained(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("t", {"new.txt": "x\n"})
    repo.commit(repo.root, {"README.md": "# demo 2\n"}, "main moves on")
    repo.commit(repo.root, {"README.md": "# demo 3\n"}, "and again")
    diff = sessions.diff("t")
    assert (diff.ahead, diff.behind) == (1, 2)
    assert [f.path for f in diff.files] == ["new.txt"]  # against the merge base: main's own work is not in it


def test_the_base_is_the_branch_the_main_checkout_is_on(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.git("checkout", "-q", "-b", "release")
    repo.commit(repo.root, {"README.md": "# release\n"}, "release work")
    repo.task("r", {"new.txt": "x\n"}, base="release")
    diff = sessions.diff("r")
    assert (diff.base, diff.ahead, diff.behind) == ("release", 1, 0)


def test_file_versions_of_modified_added_and_deleted_files(repo: Repo, sessions: ClaudeSessions) -> None:
    repo.task("v", {"f.txt": "changed\n", "added.txt": "new\n", "README.md": None})
    assert sessions.diff_file("v", "f.txt").to_json() == {
        "path": "f.txt",
        "old_path": None,
        "original": NUMBERS,
        "modified": "changed\n",
        "binary": False,
        "too_large": False,
    }
    added, deleted = sessions.diff_file("v", "added.txt"), sessions.diff_file("v", "README.md")
    assert (added.original, added.modified) == (None, "new\n")
    assert (deleted.original, deleted.modified) == ("# demo\n", None)


@pytest.mark.parametrize("path", ["", "a\nb", "/etc/passwd", "x\x00y"])
def test_file_versions_refuse_odd_paths(repo: Repo, sessions: ClaudeSessions, path: str) -> None:
    repo.task("v", {"f.txt": "changed\n"})
    with pytest.raises(ValueError, match="not a path inside the repository"):
        sessions.diff_file("v", path)


def test_a_task_without_a_worktree_is_not_found(repo: Repo, sessions: ClaudeSessions, tmp_path: Path) -> None:
    with pytest.raises(WorktreeNotFound, match=r"task 7 has no worktree.*tw-start or a custom command"):
        sessions.diff("7")
    repo.git("branch", "task/8")  # a branch without a worktree: not a task's worktree either
    with pytest.raises(WorktreeNotFound, match="task 8 has no worktree"):
        sessions.diff("8")
    outside = tmp_path / "plain"
    outside.mkdir()
    sessions.root_dir = str(outside)
    with pytest.raises(WorktreeNotFound, match="is not in a git repository"):
        sessions.diff("7")
