"""Git worktrees for tasks: one branch ``task/ID`` checked out in its own directory per task.

A task's worktree lives under the worktrees root (default beside the repository:
``<repo>/../<repo-name>.worktrees/ID``) on branch ``task/ID``, made from the base (default the main
checkout's ``HEAD``). Creating one never touches the main checkout's files; a second run re-uses it.
Removing one refuses uncommitted or unpushed work unless forced, and always keeps the branch.
Every git call is argv-only (no shell) with the task id already through the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ClaudeSessionsError, InvalidSetting
from ..core.git import (
    BRANCH_PREFIX,
    GitError,
    branch_name,
    git,
    repository_root,
    task_of_branch,
    worktrees_by_branch,
    worktrees_root_for,
)

#: Re-exported: the git runner and repository facts live in the core (:mod:`jupyter_claude.core.git`).
__all__ = [
    "BRANCH_PREFIX",
    "GitError",
    "Worktree",
    "WorktreeInfo",
    "WorktreeNotClean",
    "ahead_of",
    "branch_name",
    "ensure_worktree",
    "git",
    "list_worktrees",
    "remove_worktree",
    "repository_root",
    "worktrees_root_for",
]


class WorktreeNotClean(ClaudeSessionsError):
    """A worktree holds uncommitted or unpushed work, so it was not removed."""

    code = "worktree_not_clean"


@dataclass(frozen=True)
class Worktree:
    """Where a task's agent runs: its worktree, or the root itself when there is no repository."""

    task_id: str
    path: str
    branch: str | None = None
    repo: str | None = None
    #: The commit the branch is measured against ("ahead of base"); None outside a repository.
    base_commit: str | None = None
    created: bool = False

    @property
    def in_place(self) -> bool:
        """True when the root is not a git repository and the agent runs in the root itself."""
        return self.repo is None


@dataclass(frozen=True)
class WorktreeInfo:
    """One task worktree as ``jupyter-claude worktree list`` shows it."""

    task_id: str
    path: str
    branch: str
    ahead: int | None
    dirty: bool | None
    exists: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.task_id,
            "path": self.path,
            "branch": self.branch,
            "ahead": self.ahead,
            "dirty": self.dirty,
            "exists": self.exists,
        }


def ensure_worktree(
    root_dir: str | Path, task_id: str, worktrees_root: str = "", base: str = "HEAD"
) -> Worktree:
    """Create (or re-use) the task's worktree on branch ``task/ID``.

    Outside a git repository the root itself is returned (``in_place``). The main checkout's
    files, index and HEAD are never changed.
    """
    branch = branch_name(task_id)
    root = Path(root_dir).expanduser().resolve()
    repo = repository_root(root)
    if repo is None:
        return Worktree(task_id=task_id, path=str(root), repo=None)
    existing = worktrees_by_branch(repo).get(branch)
    created = False
    if existing is not None and Path(existing).resolve() == repo.resolve():
        raise GitError(f"{branch} is checked out in the main checkout {repo}: switch that to another branch")
    if existing is not None and Path(existing).is_dir():
        path = Path(existing)
    else:
        path = worktrees_root_for(repo, worktrees_root) / task_id
        if path.exists() and any(path.iterdir()):
            raise GitError(f"{path} exists and is not the worktree of {branch}: move it away or remove it")
        path.parent.mkdir(parents=True, exist_ok=True)
        git("worktree", "prune", cwd=repo)  # forget worktrees whose folder was deleted by hand
        if _branch_exists(repo, branch):
            git("worktree", "add", str(path), branch, cwd=repo)
        else:
            base_commit = _resolve(repo, base)
            git("worktree", "add", "-b", branch, str(path), base_commit, cwd=repo)
        created = True
    return Worktree(
        task_id=task_id,
        path=str(path),
        branch=branch,
        repo=str(repo),
        base_commit=_merge_base(repo, base, branch),
        created=created,
    )


def ahead_of(worktree: str | Path, base_commit: str, ref: str = "HEAD") -> int | None:
    """How many commits ``ref`` (in ``worktree``) has that ``base_commit`` has not; None if unknown."""
    try:
        return int(git("rev-list", "--count", f"{base_commit}..{ref}", cwd=worktree).strip())
    except (GitError, ValueError):
        return None


def list_worktrees(root_dir: str | Path, base: str = "HEAD") -> list[WorktreeInfo]:
    """Every ``task/ID`` worktree of the repository at ``root_dir`` (empty outside a repository)."""
    repo = repository_root(Path(root_dir).expanduser())
    if repo is None:
        return []
    infos = []
    for branch, path in sorted(worktrees_by_branch(repo).items()):
        task_id = task_of_branch(branch)
        if task_id is None:
            continue
        exists = Path(path).is_dir()
        infos.append(
            WorktreeInfo(
                task_id=task_id,
                path=path,
                branch=branch,
                ahead=ahead_of(repo, base, branch),
                dirty=_is_dirty(path) if exists else None,
                exists=exists,
            )
        )
    return infos


def remove_worktree(
    root_dir: str | Path, task_id: str, force: bool = False, base: str = "HEAD"
) -> WorktreeInfo:
    """Remove the task's worktree (the branch is kept); refuse uncommitted or unpushed work
    unless ``force``."""
    repo = repository_root(Path(root_dir).expanduser())
    if repo is None:
        raise InvalidSetting(f"{root_dir} is not a git repository: there are no task worktrees")
    branch = branch_name(task_id)
    info = next((w for w in list_worktrees(repo, base) if w.branch == branch), None)
    if info is None:
        raise InvalidSetting(f"task {task_id} has no worktree (no worktree is on branch {branch})")
    if not force:
        problems = []
        if info.dirty:
            problems.append("uncommitted changes")
        unpushed = _unpushed(repo, branch, base)
        if unpushed:
            problems.append(unpushed)
        if problems:
            raise WorktreeNotClean(
                f"not removing {info.path}: it has {' and '.join(problems)}; "
                "commit and push (or merge) first, or pass --force"
            )
    if info.exists:
        git("worktree", "remove", *(["--force"] if force else []), info.path, cwd=repo)
    git("worktree", "prune", cwd=repo)
    return info


# -- helpers ---------------------------------------------------------------------------------------


def _branch_exists(repo: Path, branch: str) -> bool:
    try:
        git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", cwd=repo)
    except GitError:
        return False
    return True


def _resolve(repo: Path, ref: str) -> str:
    try:
        return git("rev-parse", "--verify", f"{ref}^{{commit}}", cwd=repo).strip()
    except GitError as error:
        raise GitError(
            f"the worktree base {ref!r} is not a commit in {repo} (an empty repository needs a first commit)"
        ) from error


def _merge_base(repo: Path, base: str, branch: str) -> str | None:
    try:
        return git("merge-base", base, branch, cwd=repo).strip() or None
    except GitError:
        return None


def _is_dirty(path: str) -> bool | None:
    try:
        return bool(git("status", "--porcelain", cwd=path).strip())
    except GitError:
        return None


def _unpushed(repo: Path, branch: str, base: str) -> str | None:
    """Why the branch's commits exist nowhere else, or None when they do."""
    try:
        upstream = git("rev-parse", "--abbrev-ref", f"{branch}@{{upstream}}", cwd=repo).strip()
    except GitError:
        upstream = ""
    if upstream:
        count = ahead_of(repo, upstream, branch)
        return f"{count} commit(s) not pushed to {upstream}" if count else None
    count = ahead_of(repo, base, branch)
    return f"{count} commit(s) that are neither pushed nor in {base}" if count else None
