"""Landing a task: its branch merged into the branch the main checkout is on, safely, or refused.

Everything is checked before anything changes: the main checkout is on a branch, has no changes to
tracked files and no merge, rebase or cherry-pick under way; the task's worktree has no uncommitted
work (unless the caller asks to commit it first: then it is committed in the worktree, never in the
main checkout); and the merge is conflict-free (``git merge-tree --write-tree``, in memory). A
refusal (:class:`LandRefused`, HTTP 409) says why and names the paths, and changes nothing.

The main checkout never runs a merge or a rebase itself, so it can never be left half-way (no
``MERGE_HEAD``, no half-applied rebase): the result commit is made first, then the main checkout is
fast-forwarded to it (``git merge --ff-only``, which changes nothing when it cannot finish).

- ``merge``: a merge commit (the task branch as second parent) of the tree merge-tree computed;
- ``squash``: one commit with that tree on top of the target, the task's commit subjects listed;
- ``rebase``: the task branch is rebased onto the target in a temporary worktree (never in the main
  checkout, nor in the task's worktree while it rebases), the task branch is moved to the result,
  and the target fast-forwarded to it.

On any failure after the checks, what was changed is put back as it was found (the task branch and
its worktree's index). ``cleanup`` then stops the session, removes the worktree and deletes the
branch: after a squash with ``-D`` (its content is in the squash commit), otherwise with ``-d``,
which refuses a branch that is not fully merged. A cleanup step that fails is reported, not undone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conflicts import merge_tree
from .diff import Commit, FileChange, TaskWorktree, commits_between, diff_stat, find_worktree
from .errors import ClaudeSessionsError, InvalidSetting, LandRefused
from .git import GitError, git, run_git

STRATEGIES = ("merge", "squash", "rebase")
#: Paths named in a refusal's sentence (all of them are in ``paths``).
SHOWN_PATHS = 8


@dataclass(frozen=True)
class Landing:
    """A task that landed."""

    task_id: str
    strategy: str
    branch: str
    target: str
    previous: str
    commit: str
    commits: tuple[Commit, ...]
    files: tuple[FileChange, ...]
    committed: str | None = None
    cleanup: dict[str, Any] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``POST claude/{id}/land``."""
        return {
            "landed": True,
            "id": self.task_id,
            "strategy": self.strategy,
            "branch": self.branch,
            "target": self.target,
            "previous": self.previous,
            "commit": self.commit,
            "commits": [commit.to_json() for commit in self.commits],
            "files": [change.to_json() for change in self.files],
            "committed_uncommitted": self.committed,
            "cleanup": self.cleanup,
        }


def land(
    root_dir: str | Path,
    task_id: str,
    strategy: str = "merge",
    *,
    cleanup: bool = False,
    commit_uncommitted: bool = False,
    message: str | None = None,
    title: str | None = None,
    stop: Callable[[str], bool] | None = None,
    log: Any = None,
) -> Landing:
    """Land the task's branch in the main checkout's branch, or refuse and change nothing (either
    way said in ``log``)."""
    log = log if log is not None else logging.getLogger(__name__)
    try:
        landing = _land(root_dir, task_id, strategy, cleanup, commit_uncommitted, message, title, stop)
    except LandRefused as refused:
        log.info("jupyter-claude: land %s (%s) refused: %s", task_id, strategy, refused)
        raise
    log.info(
        "jupyter-claude: landed %s into %s (%s): %s -> %s, cleanup %s",
        task_id, landing.target, strategy, landing.previous[:12], landing.commit[:12], landing.cleanup,
    )  # fmt: skip
    return landing


def _land(
    root_dir: str | Path,
    task_id: str,
    strategy: str,
    cleanup: bool,
    commit_uncommitted: bool,
    message: str | None,
    title: str | None,
    stop: Callable[[str], bool] | None,
) -> Landing:
    if strategy not in STRATEGIES:
        raise InvalidSetting(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    if message is not None and (not isinstance(message, str) or not message.strip()):
        raise InvalidSetting("the commit message must be a non-empty text")
    where = find_worktree(root_dir, task_id)
    repo, worktree = where.repo, where.task.path
    target, before = _check_main(where)
    dirty = _status(worktree, untracked=True)
    _refuse_operation(
        Path(git("rev-parse", "--absolute-git-dir", cwd=worktree).strip()), f"task {task_id}'s worktree"
    )
    if dirty and not commit_uncommitted:
        raise LandRefused(
            f"task {task_id} has uncommitted work in its worktree ({_names(dirty)}): commit it there, "
            "or have land commit it first (commit_uncommitted, --commit-uncommitted -m MESSAGE)",
            dirty,
        )
    message = message or f"Task {task_id}: work the agent left uncommitted"
    tip = str(where.task.head)
    check_tip = _snapshot_commit(worktree, message) if dirty else tip
    if int(git("rev-list", "--count", f"{before}..{check_tip}", cwd=repo)) == 0:
        raise LandRefused(f"nothing to land: {target} already has everything of {where.branch}")
    tree = _mergeable(repo, before, check_tip, where.branch, target)

    saved = _Saved(where, tip, worktree_index(worktree) if dirty else None)
    try:
        if dirty:
            git("add", "-A", cwd=worktree)
            git("commit", "-q", "-m", message, cwd=worktree)
            saved.committed = tip = git("rev-parse", "HEAD", cwd=worktree).strip()
            tree = _mergeable(repo, before, tip, where.branch, target)  # its hooks may have changed it
        landed = commits_between(repo, before, tip)[0]
        if strategy == "rebase":
            new = _rebased(repo, before, tip, where)
            if new != tip:
                git("reset", "-q", "--keep", new, cwd=worktree)
                landed = commits_between(repo, before, new)[0]
        else:
            new = git(
                "commit-tree", tree, *_commit_args(strategy, where, before, tip, landed, title), cwd=repo
            )
            new = new.strip()
        _refuse_files_in_the_way(repo, before, new)
        git("merge", "-q", "--ff-only", "--no-stat", new, cwd=repo)
    except Exception as error:
        try:
            saved.restore()
        except Exception as problem:
            raise LandRefused(
                f"landing failed ({error}), and putting task {task_id}'s worktree back failed too "
                f"({problem}): check {worktree}"
            ) from None
        if isinstance(error, LandRefused) or not isinstance(error, ClaudeSessionsError):
            raise
        raise LandRefused(f"landing failed and nothing was changed: {error}") from None
    files = diff_stat(repo, [before, new])
    outcome = Landing(
        task_id, strategy, where.branch, target, before, new, tuple(landed), tuple(files), saved.committed
    )
    return _with_cleanup(outcome, where, strategy, stop) if cleanup else outcome


def _commit_args(
    strategy: str, where: TaskWorktree, before: str, tip: str, landed: list[Commit], title: str | None
) -> list[str]:
    """Parents and message of the merge or squash commit."""
    named = f": {title}" if title and title != where.task_id else ""
    if strategy == "merge":
        return ["-p", before, "-p", tip, "-m", f"Merge {where.branch}{named}"]
    listed = "\n".join(f"* {commit.subject}" for commit in reversed(landed))
    text = f"Task {where.task_id}{named}\n\nSquashed from {where.branch}:\n\n{listed}\n"
    return ["-p", before, "-m", text]


def worktree_index(worktree: str) -> bytes | None:
    """The worktree's index file, to put back if a land fails after committing there."""
    path = Path(git("rev-parse", "--path-format=absolute", "--git-path", "index", cwd=worktree).strip())
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


# -- the checks ------------------------------------------------------------------------------------


def _check_main(where: TaskWorktree) -> tuple[str, str]:
    """The main checkout's branch and commit, after checking it may receive a fast-forward."""
    main = where.main
    if main.bare:
        raise LandRefused("the repository has no main checkout (it is bare): nothing to land into")
    if main.branch is None or not main.head:
        raise LandRefused(
            f"the main checkout {main.path} is not on a branch: check out the branch to land into"
        )
    if main.branch == where.branch:
        raise LandRefused(f"the main checkout has {where.branch} itself checked out")
    _refuse_operation(
        Path(git("rev-parse", "--absolute-git-dir", cwd=main.path).strip()), "the main checkout"
    )
    dirty = _status(main.path, untracked=False)
    if dirty:
        raise LandRefused(
            f"the main checkout has uncommitted changes ({_names(dirty)}): commit or stash them first", dirty
        )
    return main.branch, main.head


def _refuse_operation(git_dir: Path, where: str) -> None:
    """Refuse when a merge, rebase, cherry-pick, revert or bisect is under way there."""
    for marker, what in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
        ("BISECT_LOG", "a bisect"),
    ):
        if (git_dir / marker).exists():
            raise LandRefused(f"{where} is in the middle of {what}: finish or abort it first")


def _status(checkout: str, untracked: bool) -> list[str]:
    """Paths with changes in a checkout (untracked files too when asked)."""
    mode = "--untracked-files=all" if untracked else "--untracked-files=no"
    out = run_git("status", "--porcelain", "-z", mode, cwd=checkout).stdout.decode("utf-8", "replace")
    paths, tokens = [], iter(out.split("\0"))
    for token in tokens:
        if len(token) > 3:
            paths.append(token[3:])
            if "R" in token[:2] or "C" in token[:2]:
                next(tokens, None)  # the old path of a staged rename
    return paths


def _refuse_files_in_the_way(repo: Path, before: str, new: str) -> None:
    """Refuse when files the landing adds already exist, untracked, in the main checkout."""
    out = run_git(
        "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", before, new, cwd=repo
    ).stdout
    added = [path.decode("utf-8", "replace") for path in out.split(b"\0") if path]
    in_the_way = [path for path in added if os.path.lexists(repo / path)]
    if in_the_way:
        raise LandRefused(
            f"the main checkout has untracked files where the task adds files ({_names(in_the_way)}): "
            "move them away first",
            in_the_way,
        )


def _snapshot_commit(worktree: str, message: str) -> str:
    """A commit of everything in the worktree (untracked files included), made with a temporary
    index so the worktree's own index, files and branch stay as they are: what a commit there
    would be, to check the merge before committing for real."""
    with tempfile.TemporaryDirectory(prefix="jc-land-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        run_git("read-tree", "HEAD", cwd=worktree, env=env)
        run_git("add", "-A", cwd=worktree, env=env)
        tree = run_git("write-tree", cwd=worktree, env=env).stdout.decode().strip()
    return git("commit-tree", tree, "-p", "HEAD", "-m", message, cwd=worktree).strip()


def _mergeable(repo: Path, target_commit: str, tip: str, branch: str, target: str) -> str:
    """The merged tree of the target and the task tip; a refusal naming the conflicting files."""
    (files,) = merge_tree(repo, [(target_commit, tip)])
    if files is None:
        raise LandRefused(f"git cannot merge {branch} into {target} (no common history?)")
    if files:
        raise LandRefused(
            f"{branch} conflicts with {target} in {_names(files)}: resolve it in the task's worktree "
            f"(merge or rebase {target} there), then land again",
            files,
        )
    out = run_git("merge-tree", "--write-tree", "-z", target_commit, tip, cwd=repo).stdout
    return out.split(b"\0", 1)[0].decode().strip()


def _rebased(repo: Path, target_commit: str, tip: str, where: TaskWorktree) -> str:
    """The task's commits replayed onto the target, in a temporary worktree; their new tip."""
    if git("merge-base", target_commit, tip, cwd=repo).strip() == target_commit:
        return tip  # already on top of the target: a fast-forward
    folder = tempfile.mkdtemp(prefix=f"jc-rebase-{where.task_id}-")
    path = str(Path(folder) / "worktree")
    try:
        git("worktree", "add", "-q", "--detach", path, tip, cwd=repo)
        done = run_git("rebase", "-q", target_commit, cwd=path, ok=(0, 1), env={"GIT_EDITOR": "true"})
        if done.returncode != 0:
            run_git("rebase", "--abort", cwd=path, ok=(0, 1, 128))
            raise LandRefused(
                f"rebasing {where.branch} onto {where.main.branch} stops at a conflict in one of its commits "
                "(the branches as a whole merge cleanly): land with merge or squash instead"
            )
        return git("rev-parse", "HEAD", cwd=path).strip()
    finally:
        run_git("worktree", "remove", "--force", path, cwd=repo, ok=(0, 128))
        shutil.rmtree(folder, ignore_errors=True)
        run_git("worktree", "prune", cwd=repo, ok=(0, 128))


class _Saved:
    """What a land may change in the task's worktree, as found, to put back on failure."""

    def __init__(self, where: TaskWorktree, tip: str, index: bytes | None) -> None:
        self.where, self.tip, self.index = where, tip, index
        #: The commit made of the worktree's uncommitted work, once made.
        self.committed: str | None = None

    def restore(self) -> None:
        """Put the task branch, its worktree's files and its index back as they were."""
        worktree, ref = self.where.task.path, self.where.ref
        # Back to the files as committed (a rebase moved them on), then behind that commit.
        run_git("reset", "-q", "--keep", self.committed or self.tip, cwd=worktree, ok=(0, 128))
        if self.committed is not None:
            run_git("update-ref", ref, self.tip, cwd=worktree)
        if self.index is not None:  # the index had the uncommitted work's staging: as it was
            index = git("rev-parse", "--path-format=absolute", "--git-path", "index", cwd=worktree).strip()
            Path(index).write_bytes(self.index)


# -- after landing ---------------------------------------------------------------------------------


def _with_cleanup(
    outcome: Landing, where: TaskWorktree, strategy: str, stop: Callable[[str], bool] | None
) -> Landing:
    """Stop the session, remove the worktree, delete the branch; report what was done."""
    report: dict[str, Any] = {
        "stopped": False,
        "worktree_removed": False,
        "branch_deleted": False,
        "problems": [],
    }
    problems: list[str] = report["problems"]
    if stop is not None:
        try:
            report["stopped"] = stop(where.task_id)
        except ClaudeSessionsError as error:
            problems.append(f"could not stop the session: {error}")
    try:
        git("worktree", "remove", where.task.path, cwd=where.repo)
        report["worktree_removed"] = True
    except GitError as error:
        problems.append(f"worktree {where.task.path} kept: {error}")
    if report["worktree_removed"]:
        try:
            git("branch", "-D" if strategy == "squash" else "-d", where.branch, cwd=where.repo)
            report["branch_deleted"] = True
        except GitError as error:
            problems.append(f"branch {where.branch} kept: {error}")
    else:
        problems.append(f"branch {where.branch} kept: its worktree is still there")
    return dataclasses.replace(outcome, cleanup=report)


def _names(paths: list[str] | tuple[str, ...]) -> str:
    """Some paths for a sentence: the first few, then how many more."""
    shown = ", ".join(paths[:SHOWN_PATHS])
    return shown + (f" and {len(paths) - SHOWN_PATHS} more" if len(paths) > SHOWN_PATHS else "")


__all__ = ["STRATEGIES", "LandRefused", "Landing", "land"]
