"""Real git repositories in temp folders for the review tests (diff, conflicts, land).

:class:`Repo` is a main checkout on ``main`` with a first commit, and task worktrees made the way
the built-in workflow makes them (branch ``task/ID``, folder ``<repo>.worktrees/ID`` beside it).
:meth:`Repo.state` is everything a land must leave as it found when it refuses: every ref, the
main checkout's HEAD, branch and status, and each worktree's status, index and files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

#: The first commit's files.
NUMBERS = "".join(f"{n}\n" for n in range(1, 11))


def line(n: int, text: str) -> str:
    """NUMBERS (the shared f.txt) with line ``n`` replaced by ``text``."""
    lines = NUMBERS.splitlines(keepends=True)
    lines[n - 1] = text + "\n"
    return "".join(lines)


FIRST = {"f.txt": NUMBERS, "other.txt": "alpha\nbeta\ngamma\n", "README.md": "# demo\n"}
#: A binary file: a PNG header, a NUL, and text that must never appear in a patch.
BINARY = b"\x89PNG\r\n\x1a\n\x00\x01SECRET-BYTES\x00\xff" * 4

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
}


def run(cwd: Path | str, *args: str, env: dict[str, str] | None = None) -> str:
    """git in ``cwd``; its stdout (fails the test on a non-zero exit)."""
    done = subprocess.run(
        ["git", "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **IDENTITY, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def write(folder: Path, files: dict[str, str | bytes | None]) -> None:
    """Write (str or bytes) or delete (None) files under ``folder``."""
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


class Repo:
    """A main checkout with a first commit, and task worktrees beside it."""

    def __init__(self, parent: Path, files: dict[str, str | bytes | None] | None = None) -> None:
        self.root = parent / "repo"
        self.root.mkdir(parents=True, exist_ok=True)
        run(self.root, "init", "-q", "-b", "main")
        for key, value in (("user.name", "Ada Tester"), ("user.email", "ada@example.org")):
            run(self.root, "config", key, value)
        run(self.root, "config", "commit.gpgsign", "false")
        self.commit(self.root, FIRST if files is None else files, "first commit")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        """git in the main checkout (or ``cwd``)."""
        return run(cwd or self.root, *args)

    def commit(self, where: Path, files: dict[str, str | bytes | None], message: str) -> str:
        """Write files in ``where`` (a checkout), commit them all; the new commit id."""
        write(where, files)
        run(where, "add", "-A")
        run(where, "commit", "-q", "-m", message)
        return run(where, "rev-parse", "HEAD").strip()

    def worktree(self, task_id: str) -> Path:
        """Where a task's worktree is (or would be)."""
        return self.root.parent / "repo.worktrees" / task_id

    def task(self, task_id: str, *commits: dict[str, str | bytes | None], base: str = "main") -> Path:
        """A worktree on branch task/ID from ``base`` with one commit per mapping; its folder."""
        path = self.worktree(task_id)
        run(self.root, "worktree", "add", "-q", "-b", f"task/{task_id}", str(path), base)
        for number, files in enumerate(commits, 1):
            self.commit(path, files, f"{task_id}: step {number}")
        return path

    def head(self, ref: str = "HEAD") -> str:
        """A commit id."""
        return self.git("rev-parse", ref).strip()

    def state(self) -> dict[str, Any]:
        """Everything a refused land must leave as it was."""
        worktrees = {}
        for line in self.git("worktree", "list", "--porcelain").splitlines():
            if line.startswith("worktree "):
                path = Path(line.split(" ", 1)[1])
                index = Path(run(path, "rev-parse", "--path-format=absolute", "--git-path", "index").strip())
                worktrees[str(path)] = {
                    "status": run(path, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
                    "head": run(path, "rev-parse", "HEAD").strip(),
                    "index": hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else None,
                    "files": files_of(path),
                    "operations": sorted(
                        marker
                        for marker in ("MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD")
                        if (index.parent / marker).exists()
                    ),
                }
        return {
            "refs": self.git("for-each-ref", "--format=%(refname) %(objectname)"),
            "branch": self.git("branch", "--show-current").strip(),
            "worktrees": worktrees,
        }


def files_of(folder: Path) -> dict[str, str]:
    """Every file under a checkout (not .git) with a hash of its bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if ".git" in path.relative_to(folder).parts or not path.is_file():
            continue
        found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
