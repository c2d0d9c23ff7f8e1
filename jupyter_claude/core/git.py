"""Running git, and the repository facts the core and the built-in workflow share.

One runner (:func:`git` for text, :func:`run_git` for bytes and chosen exit codes), argv only and
never a shell, with git's own words in :class:`GitError`. The facts: the main checkout a path
belongs to (:func:`repository_root`), a task's branch name (``task/ID``), where task worktrees live,
and every worktree of a repository from ONE ``git worktree list --porcelain`` call
(:func:`worktree_entries`): its folder, the commit it has checked out and its branch.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ClaudeSessionsError
from .ids import is_valid_task_id, validate_task_id

#: Every task's branch is this prefix and the task id.
BRANCH_PREFIX = "task/"


class GitError(ClaudeSessionsError):
    """git refused an operation (the message carries git's own words)."""

    code = "git_error"


def _environment() -> dict[str, str]:
    """git never prompts (no terminal behind us) and never pages."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}


def run_git(
    *args: str,
    cwd: str | Path,
    input: bytes | None = None,
    ok: Sequence[int] = (0,),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``cwd``; its output as bytes when the exit code is one of ``ok``, else
    :class:`GitError` with git's message."""
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            env={**_environment(), **(env or {})},
            check=False,
        )
    except FileNotFoundError as error:
        raise GitError("git is not installed or not on PATH") from error
    if done.returncode not in ok:
        message = done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed"
        lines = [line for line in message.splitlines() if line.strip()]
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        raise GitError((fatal or lines)[-1] if lines else message)
    return done


def git(*args: str, cwd: str | Path) -> str:
    """Run git in ``cwd`` and return its stdout as text; :class:`GitError` on failure."""
    return run_git(*args, cwd=cwd).stdout.decode("utf-8", "replace")


def repository_root(path: str | Path) -> Path | None:
    """The top level of the main checkout that ``path`` belongs to, or None outside a repository."""
    try:
        common = git("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=path).strip()
    except (GitError, OSError):
        return None
    common_dir = Path(common)
    # The main checkout owns the common .git directory; a bare repository has no checkout.
    if common_dir.name == ".git":
        return common_dir.parent
    try:
        return Path(git("rev-parse", "--show-toplevel", cwd=path).strip())
    except GitError:
        return None


def common_dir(repo: str | Path) -> Path:
    """The repository's shared git directory (``.git`` of the main checkout)."""
    return Path(git("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=repo).strip())


def branch_name(task_id: str) -> str:
    """The task's branch: ``task/ID``."""
    return BRANCH_PREFIX + validate_task_id(task_id)


def task_of_branch(branch: str | None) -> str | None:
    """The task id of a ``task/ID`` branch, or None for any other branch."""
    if not branch or not branch.startswith(BRANCH_PREFIX):
        return None
    task_id = branch[len(BRANCH_PREFIX) :]
    return task_id if is_valid_task_id(task_id) else None


def worktrees_root_for(repo: Path, setting: str = "") -> Path:
    """The folder that holds the task worktrees: the setting (relative to the repository), or
    ``<repo>/../<repo-name>.worktrees``."""
    if not setting:
        return repo.parent / f"{repo.name}.worktrees"
    root = Path(setting).expanduser()
    return root if root.is_absolute() else repo / root


@dataclass(frozen=True)
class WorktreeEntry:
    """One worktree of a repository, as ``git worktree list --porcelain`` describes it."""

    path: str
    #: The commit checked out there (None in a repository without commits).
    head: str | None
    #: The branch checked out (``main``, ``task/42``), None when detached.
    branch: str | None
    #: True when its folder is gone (``git worktree prune`` would forget it).
    prunable: bool = False
    bare: bool = False

    @property
    def task_id(self) -> str | None:
        """The task whose branch this worktree has checked out, if any."""
        return task_of_branch(self.branch)


def worktree_entries(repo: str | Path) -> list[WorktreeEntry]:
    """Every worktree of the repository, the main checkout first (one git call)."""
    out = run_git("worktree", "list", "--porcelain", "-z", cwd=repo).stdout.decode("utf-8", "surrogateescape")
    entries: list[WorktreeEntry] = []
    fields: dict[str, str] = {}
    for item in [*out.split("\0"), ""]:
        if item:
            key, _, value = item.partition(" ")
            fields[key] = value
            continue
        if "worktree" in fields:
            branch = fields.get("branch", "")
            entries.append(
                WorktreeEntry(
                    path=fields["worktree"],
                    head=fields.get("HEAD"),
                    branch=branch.removeprefix("refs/heads/") if branch.startswith("refs/heads/") else None,
                    prunable="prunable" in fields,
                    bare="bare" in fields,
                )
            )
        fields = {}
    return entries


def worktrees_by_branch(repo: str | Path) -> dict[str, str]:
    """``{branch: path}`` of every worktree that has a branch checked out."""
    return {entry.branch: entry.path for entry in worktree_entries(repo) if entry.branch}
