"""Conflicts between parallel tasks, found before anyone merges.

The live task branches are the ``task/ID`` branches checked out in a worktree of the repository (the
built-in workflow makes one per task; removing the worktree, by ``worktree remove`` or ``land
--cleanup``, ends a task's part here). Every pair of them, and each of them against the base (the
branch the main checkout is on, shown as :data:`BASE`), is merged in memory with ``git merge-tree
--write-tree``: a real three-way merge that touches no checkout. All the pairs not already known go
to ONE ``git merge-tree --stdin`` process. Results are kept by the two commit ids
(:class:`ConflictCache`, owned by the manager), so a repeated check costs one ``git worktree list``
plus the pairs whose commits changed. Only committed work counts: uncommitted changes in a worktree
are not merged until they are committed.

:class:`ReviewTrigger` tells a watcher when to check again without running git: when a session's
``ahead`` count changes, when an agent's turn ends (its state turns idle), or when the repository's
refs or worktrees change on disk (:func:`refs_signature`: a handful of ``stat`` calls).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .git import GitError, common_dir, repository_root, run_git, worktree_entries
from .session import Session
from .spawn import iso
from .vocabulary import natural_key

#: How the base appears among a conflict's tasks.
BASE = "BASE"

#: The result of one merge: the conflicted paths (empty when clean), None when git could not merge.
MergeResult = tuple[str, ...] | None


@dataclass(frozen=True)
class Conflict:
    """Two tasks (or a task and the base) whose branches do not merge cleanly, and where."""

    tasks: tuple[str, str]
    files: tuple[str, ...]
    #: True when the second side is the base (shown as :data:`BASE`), not another task.
    with_base: bool = False

    def to_json(self) -> dict[str, Any]:
        """``{"tasks": [a, b], "files": [...], "base": bool}``."""
        return {"tasks": list(self.tasks), "files": list(self.files), "base": self.with_base}


@dataclass(frozen=True)
class ConflictReport:
    """The answer of ``GET claude/conflicts``."""

    conflicts: tuple[Conflict, ...]
    checked_at: str
    base_branch: str | None = None
    base_commit: str | None = None
    #: The live tasks that were checked, and each one's commit.
    tasks: dict[str, str] = field(default_factory=dict)
    #: Pairs git could not merge at all (e.g. no common history), as "a ↔ b: reason".
    errors: tuple[str, ...] = ()

    def for_task(self, task_id: str) -> list[tuple[str, tuple[str, ...]]]:
        """The other side (a task id or :data:`BASE`) and the files, of each conflict of a task."""
        found = []
        for conflict in self.conflicts:
            if task_id in conflict.tasks:
                other = conflict.tasks[1] if conflict.tasks[0] == task_id else conflict.tasks[0]
                found.append((other, conflict.files))
        return found

    def to_json(self) -> dict[str, Any]:
        """JSON form (``checked_at`` is when the check ran, in UTC)."""
        return {
            "conflicts": [conflict.to_json() for conflict in self.conflicts],
            "checked_at": self.checked_at,
            "base": self.base_branch,
            "base_commit": self.base_commit,
            "tasks": dict(self.tasks),
            "errors": list(self.errors),
        }


class ConflictCache:
    """Merge results by repository and the two commit ids; safe to share between threads.

    After each check only the pairs of that check are kept, so it never outgrows the live pairs.
    """

    def __init__(self) -> None:
        self._results: dict[tuple[str, str, str], MergeResult] = {}
        self._lock = threading.Lock()
        #: How many merges were computed (not found in the cache), for tests and benchmarks.
        self.computed = 0

    def merge_all(self, repo: Path, pairs: Sequence[tuple[str, str]]) -> list[MergeResult]:
        """The result of each pair of commits, merging only the pairs not known yet."""
        keys = [(str(repo), min(pair), max(pair)) for pair in pairs]
        with self._lock:
            known = {key: self._results[key] for key in keys if key in self._results}
        missing = sorted({key for key in keys if key not in known and key[1] != key[2]})
        if missing:
            results = merge_tree(repo, [(a, b) for _, a, b in missing])
            known.update(zip(missing, results))
            self.computed += len(missing)
        with self._lock:
            self._results = {key: known.get(key, ()) for key in keys}
        return [known.get(key, ()) for key in keys]

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._results.clear()


def merge_tree(repo: Path, pairs: Sequence[tuple[str, str]]) -> list[MergeResult]:
    """Merge each pair of commits in memory with one ``git merge-tree --stdin`` process; the
    conflicted paths of each (empty when clean). A pair git cannot merge gets None."""
    request = "".join(f"{a} {b}\n" for a, b in pairs).encode()
    try:
        out = run_git("merge-tree", "--stdin", "-z", "--name-only", cwd=repo, input=request).stdout
        results = parse_merge_tree_stdin(out, len(pairs))
    except GitError:
        # One bad pair stops the batch: merge one by one to tell which.
        results = [_merge_one(repo, a, b) for a, b in pairs]
    return results


def parse_merge_tree_stdin(out: bytes, count: int) -> list[MergeResult]:
    """Parse ``git merge-tree --stdin -z --name-only``: per merge, its status (1 clean, 0 not),
    the tree, the conflicted paths up to an empty field, then (when not clean) the messages, each
    "count, paths…, type, text", up to an empty field."""
    tokens = out.split(b"\0")
    results: list[MergeResult] = []
    index = 0
    while len(results) < count:
        if index + 1 >= len(tokens):
            raise GitError("git merge-tree --stdin stopped early")
        clean = tokens[index] == b"1"
        index += 2  # status, tree
        paths: list[str] = []
        while tokens[index]:
            paths.append(tokens[index].decode("utf-8", "replace"))
            index += 1
        index += 1
        if not clean:
            while tokens[index]:  # messages: count, that many paths, type, text
                index += int(tokens[index]) + 3
            index += 1
        results.append(tuple(dict.fromkeys(paths)))
    return results


def _merge_one(repo: Path, a: str, b: str) -> MergeResult:
    try:
        out = run_git("merge-tree", "--write-tree", "-z", "--name-only", a, b, cwd=repo, ok=(0, 1)).stdout
    except GitError:
        return None
    tokens = out.split(b"\0")
    paths: list[str] = []
    for token in tokens[1:]:
        if not token:
            break
        paths.append(token.decode("utf-8", "replace"))
    return tuple(dict.fromkeys(paths))


def check_conflicts(root_dir: str | Path, cache: ConflictCache) -> ConflictReport:
    """Every conflict between live task branches, and between each of them and the base."""
    checked_at = iso(time.time())
    try:
        entries = worktree_entries(Path(root_dir).expanduser())  # the one git call when all is known
    except (GitError, OSError):
        entries = []
    if not entries:
        return ConflictReport((), checked_at)
    main = entries[0]
    repo = Path(main.path)
    live = {
        entry.task_id: entry.head
        for entry in entries[1:]
        if entry.task_id and entry.head and not entry.prunable and Path(entry.path).is_dir()
    }
    ids = sorted(live, key=natural_key)
    pairs = [(a, b) for index, a in enumerate(ids) for b in ids[index + 1 :]]
    commit_pairs = [(str(live[a]), str(live[b])) for a, b in pairs]
    base_commit = main.head if not main.bare else None
    if base_commit:
        pairs += [(task_id, BASE) for task_id in ids]
        commit_pairs += [(str(live[task_id]), base_commit) for task_id in ids]
    results = cache.merge_all(repo, commit_pairs)
    conflicts = []
    errors = []
    for index, ((a, b), files) in enumerate(zip(pairs, results)):
        with_base = index >= len(pairs) - (len(ids) if base_commit else 0)
        if files is None:
            errors.append(f"{a} ↔ {b}: git cannot merge them (no common history?)")
        elif files:
            conflicts.append(Conflict((a, b), tuple(sorted(files)), with_base))
    return ConflictReport(
        tuple(conflicts),
        checked_at,
        base_branch=main.branch or "HEAD",
        base_commit=base_commit,
        tasks={task_id: str(live[task_id]) for task_id in ids},
        errors=tuple(errors),
    )


# -- when to check again ---------------------------------------------------------------------------


def refs_signature(git_dir: Path | None) -> tuple[int | None, ...]:
    """Changes when a branch moves, a commit is made in the main checkout, or a worktree is added
    or removed: the modification times of the places git rewrites then."""
    if git_dir is None:
        return ()
    places = ("refs/heads", "refs/heads/task", "packed-refs", "logs/HEAD", "worktrees")
    stamps: list[int | None] = []
    for place in places:
        try:
            stamps.append((git_dir / place).stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def git_dir_of(root_dir: str | Path) -> Path | None:
    """The shared git directory of the repository ``root_dir`` is in (None outside one)."""
    repo = repository_root(Path(root_dir).expanduser())
    try:
        return common_dir(repo) if repo is not None else None
    except GitError:
        return None


class ReviewTrigger:
    """Says when conflicts are worth checking again: a session's ``ahead`` count changed, an agent's
    turn ended (its state turned idle), or the repository's refs or worktrees changed on disk."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int | None, str]] = {}
        self._signature: tuple[int | None, ...] | None = None

    def due(self, git_dir: Path | None, sessions: Iterable[Session]) -> bool:
        """True the first time, and whenever something a conflict depends on may have changed
        (no git runs here: a few ``stat`` calls of ``git_dir``, see :func:`git_dir_of`)."""
        first = self._signature is None
        signature = refs_signature(git_dir)
        changed = signature != self._signature
        self._signature = signature
        seen = {session.id: (session.ahead, session.state) for session in sessions}
        for task_id, (ahead, state) in seen.items():
            before = self._seen.get(task_id)
            if before is not None and (ahead != before[0] or (state == "idle" and before[1] != "idle")):
                changed = True
        self._seen = seen
        return first or changed
