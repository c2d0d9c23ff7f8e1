"""A task's changes: what its branch has committed since it left the base, and what its worktree
holds uncommitted.

:func:`task_diff` answers ``GET claude/{id}/diff``: the commits of ``task/ID`` that the base
(``worktree_base``, evaluated in the main checkout) has not, the files they change with +/- line
counts, the patch against the merge base (capped at ``max_bytes``, cut at a line end, with
``truncated`` set), and, listed apart, what the agent left uncommitted in the worktree (staged,
unstaged and untracked files). Binary files are listed and named in the patch the way git does
("Binary files a/x and b/x differ"); their bytes never are. The git calls after the first two are
independent and run side by side. :func:`file_versions` gives both sides of one file, for a
side-by-side view. Git never runs external diff or textconv programs here.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidSetting, WorktreeNotFound
from .git import BRANCH_PREFIX, GitError, WorktreeEntry, git, run_git, worktree_entries
from .ids import validate_task_id

#: Words for git's status letters.
STATUS_WORDS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type changed",
    "U": "unmerged",
}
#: Options every diff here gets: machine-stable output, no external programs, renames found.
DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "-M")
#: Most commits and uncommitted files listed (a runaway branch or an unignored build folder).
MAX_COMMITS = 1000
MAX_UNCOMMITTED = 2000
#: Bytes git reads to decide whether a file is binary.
BINARY_PROBE = 8000


@dataclass(frozen=True)
class FileChange:
    """One changed file: its path, what happened to it, and lines added and deleted (None for a
    binary file)."""

    path: str
    status: str
    added: int | None
    deleted: int | None
    old_path: str | None = None
    binary: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": self.path,
            "status": self.status,
            "added": self.added,
            "deleted": self.deleted,
            "old_path": self.old_path,
            "binary": self.binary,
        }


@dataclass(frozen=True)
class Commit:
    """One commit of the task branch."""

    sha: str
    subject: str
    author: str
    time: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"sha": self.sha, "subject": self.subject, "author": self.author, "time": self.time}


@dataclass(frozen=True)
class TaskDiff:
    """A task branch's changes against its base, and its worktree's uncommitted work."""

    task_id: str
    base: str
    branch: str
    worktree: str
    merge_base: str | None
    head: str | None
    ahead: int
    behind: int
    commits: tuple[Commit, ...] = ()
    files: tuple[FileChange, ...] = ()
    uncommitted: tuple[FileChange, ...] = ()
    patch: str = ""
    truncated: bool = False
    uncommitted_truncated: bool = False
    commits_truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The shape of ``GET claude/{id}/diff``."""
        return {
            "id": self.task_id,
            "base": self.base,
            "branch": self.branch,
            "worktree": self.worktree,
            "merge_base": self.merge_base,
            "head": self.head,
            "ahead": self.ahead,
            "behind": self.behind,
            "commits": [commit.to_json() for commit in self.commits],
            "files": [change.to_json() for change in self.files],
            "uncommitted": [change.to_json() for change in self.uncommitted],
            "patch": self.patch,
            "truncated": self.truncated,
            "commits_truncated": self.commits_truncated,
            "uncommitted_truncated": self.uncommitted_truncated,
        }


@dataclass(frozen=True)
class TaskWorktree:
    """Where a task's work is: the repository, its main checkout, and the task's worktree."""

    repo: Path
    main: WorktreeEntry
    task: WorktreeEntry
    task_id: str

    @property
    def branch(self) -> str:
        """``task/ID``."""
        return BRANCH_PREFIX + self.task_id

    @property
    def ref(self) -> str:
        """``refs/heads/task/ID`` (never ambiguous with a tag or a file)."""
        return "refs/heads/" + self.branch

    def base_name(self, base: str) -> str:
        """How the base is shown: the main checkout's branch for ``HEAD``, else as configured."""
        return (self.main.branch or "HEAD") if base == "HEAD" else base


def find_worktree(root_dir: str | Path, task_id: str) -> TaskWorktree:
    """The task's worktree, or :class:`WorktreeNotFound` with the reason (one ``git worktree list``)."""
    validate_task_id(task_id)
    try:
        entries = worktree_entries(Path(root_dir).expanduser())
    except (GitError, OSError):
        entries = []
    if not entries:
        raise WorktreeNotFound(f"{root_dir} is not in a git repository: task {task_id} has no worktree")
    branch = BRANCH_PREFIX + task_id
    task = next((e for e in entries if e.branch == branch and not e.prunable), None)
    if task is None or not Path(task.path).is_dir():
        raise WorktreeNotFound(
            f"task {task_id} has no worktree (no worktree has branch {branch} checked out): it was not "
            "started by the built-in workflow (tw-start or a custom command), or its worktree was removed"
        )
    return TaskWorktree(repo=Path(entries[0].path), main=entries[0], task=task, task_id=task_id)


def task_diff(root_dir: str | Path, task_id: str, base: str = "HEAD", max_bytes: int = 1 << 20) -> TaskDiff:
    """The task's committed changes against the merge base with ``base``, and its uncommitted work."""
    where = find_worktree(root_dir, task_id)
    repo, ref = where.repo, where.ref
    with ThreadPoolExecutor(max_workers=3) as pool:
        history = pool.submit(branch_history, repo, base, ref)
        changes = pool.submit(diff_with_patch, repo, [f"{base}...{ref}"], max_bytes)
        uncommitted = pool.submit(uncommitted_changes, where.task.path)
        try:
            commit_list, behind, merge_base = history.result()
        except GitError as error:
            raise InvalidSetting(f"the base {base!r} is not a commit in {repo}: {error}") from None
        files, patch, truncated = changes.result()
        dirty, dirty_truncated = uncommitted.result()
    return TaskDiff(
        task_id=task_id,
        base=where.base_name(base),
        branch=where.branch,
        worktree=where.task.path,
        merge_base=merge_base,
        head=where.task.head,
        ahead=len(commit_list),
        behind=behind,
        commits=tuple(commit_list[:MAX_COMMITS]),
        files=tuple(files),
        uncommitted=tuple(dirty),
        patch=patch,
        truncated=truncated,
        commits_truncated=len(commit_list) > MAX_COMMITS,
        uncommitted_truncated=dirty_truncated,
    )


def branch_history(repo: Path, base: str, ref: str) -> tuple[list[Commit], int, str | None]:
    """From ONE ``git log --left-right --boundary BASE...REF``: the branch's commits that the base
    has not (newest first), how many commits the base has that the branch has not, and their
    merge base."""
    out = git(
        "log",
        "--left-right",
        "--boundary",
        "--format=%m%H%x1f%s%x1f%an%x1f%aI%x1e",
        f"{base}...{ref}",
        cwd=repo,
    )
    commits: list[Commit] = []
    behind, merge_base = 0, None
    for record in out.split("\x1e"):
        record = record.strip("\n")
        side, parts = record[:1], record[1:].split("\x1f")
        if len(parts) != 4:
            continue
        if side == ">":
            commits.append(Commit(*parts))
        elif side == "<":
            behind += 1
        elif side == "-" and merge_base is None:
            merge_base = parts[0]
    return commits, behind, merge_base


def commits_between(repo: Path, since: str, until: str) -> tuple[list[Commit], bool]:
    """The commits of ``until`` that ``since`` lacks, newest first (at most :data:`MAX_COMMITS`)."""
    out = git(
        "log",
        f"--max-count={MAX_COMMITS + 1}",
        "--format=%H%x1f%s%x1f%an%x1f%aI%x1e",
        f"{since}..{until}",
        cwd=repo,
    )
    commits = []
    for record in out.split("\x1e"):
        parts = record.strip("\n").split("\x1f")
        if len(parts) == 4:
            commits.append(Commit(*parts))
    return commits[:MAX_COMMITS], len(commits) > MAX_COMMITS


def diff_with_patch(
    repo: str | Path, revisions: list[str], max_bytes: int
) -> tuple[list[FileChange], str, bool]:
    """Files (with line counts) and the patch of ``git diff REVISIONS``, from one git call; the
    patch capped at ``max_bytes`` (cut at a line end) and whether it was."""
    args = ["git", "-C", str(repo), "diff", *DIFF_OPTIONS, "-z", "--raw", "--numstat", "-p", *revisions]
    output, cut = _read_capped(args, max_bytes)
    split = output.find(b"\0\0")
    head, patch = (output, b"") if split < 0 else (output[: split + 1], output[split + 2 :])
    files = parse_raw_numstat(head)
    truncated = cut or len(patch) > max_bytes
    if truncated:
        patch = patch[:max_bytes]
        patch = patch[: patch.rfind(b"\n") + 1]
    return files, patch.decode("utf-8", "replace"), truncated


def diff_stat(repo: str | Path, revisions: list[str]) -> list[FileChange]:
    """Files and line counts of ``git diff REVISIONS`` (no patch)."""
    out = run_git("diff", *DIFF_OPTIONS, "-z", "--raw", "--numstat", *revisions, cwd=repo).stdout
    return parse_raw_numstat(out)


def parse_raw_numstat(data: bytes) -> list[FileChange]:
    """Parse ``git diff -z --raw --numstat`` output: raw entries first, then as many numstat ones."""
    tokens = [token.decode("utf-8", "replace") for token in data.split(b"\0")]
    raw: list[tuple[str, str, str | None]] = []
    index = 0
    while index < len(tokens) and tokens[index].startswith(":"):
        letter = tokens[index].split()[-1][:1]
        if letter in ("R", "C"):
            raw.append((letter, tokens[index + 2], tokens[index + 1]))
            index += 3
        else:
            raw.append((letter, tokens[index + 1], None))
            index += 2
    files = []
    for letter, path, old_path in raw:
        if index >= len(tokens):
            break
        added, deleted, named = [*tokens[index].split("\t", 2), "", ""][:3]
        index += 1 if named else 3  # a rename's numstat names both paths after it
        binary = added == "-"
        files.append(
            FileChange(
                path=path,
                status=STATUS_WORDS.get(letter, letter),
                added=None if binary else int(added or 0),
                deleted=None if binary else int(deleted or 0),
                old_path=old_path,
                binary=binary,
            )
        )
    return files


def uncommitted_changes(worktree: str | Path) -> tuple[list[FileChange], bool]:
    """What the worktree holds that its HEAD does not: staged and unstaged changes to tracked
    files (against HEAD, with line counts: a second git call, made only when there are any), then
    untracked files (not ignored) with their line counts."""
    out = run_git("status", "--porcelain=v2", "-z", "--untracked-files=all", cwd=worktree).stdout
    tokens = iter(out.split(b"\0"))
    tracked, untracked = False, []
    for token in tokens:
        if token.startswith(b"? "):
            untracked.append(token[2:].decode("utf-8", "replace"))
        elif token[:2] in (b"1 ", b"2 ", b"u "):
            tracked = True
            if token.startswith(b"2 "):
                next(tokens, None)  # a rename's original path
    changes = diff_stat(worktree, ["HEAD"]) if tracked else []
    changes += [_untracked(Path(worktree), path) for path in untracked[: MAX_UNCOMMITTED + 1]]
    return changes[:MAX_UNCOMMITTED], len(changes) > MAX_UNCOMMITTED


@dataclass(frozen=True)
class FileVersions:
    """Both sides of one changed file, for a side-by-side view (None: absent on that side)."""

    path: str
    old_path: str | None
    original: str | None
    modified: str | None
    binary: bool = False
    too_large: bool = False

    def to_json(self) -> dict[str, Any]:
        """The shape of ``GET claude/{id}/diff?path=…``."""
        return {
            "path": self.path,
            "old_path": self.old_path,
            "original": self.original,
            "modified": self.modified,
            "binary": self.binary,
            "too_large": self.too_large,
        }


def file_versions(
    root_dir: str | Path,
    task_id: str,
    path: str,
    old_path: str | None = None,
    base: str = "HEAD",
    max_bytes: int = 1 << 20,
) -> FileVersions:
    """The file at the merge base (``old_path`` for a rename) and on the task branch (one
    ``git cat-file --batch`` call for both)."""
    for name in (path, old_path):
        if name is not None and (not name or "\n" in name or "\0" in name or name.startswith("/")):
            raise InvalidSetting(f"{name!r} is not a path inside the repository")
    where = find_worktree(root_dir, task_id)
    merge_base = _merge_base(where.repo, base, where.ref)
    if merge_base is None:
        raise InvalidSetting(f"task/{task_id} and {base!r} have no common commit")
    request = f"{merge_base}:{old_path or path}\n{where.ref}:{path}\n".encode()
    out = run_git("cat-file", "--batch", cwd=where.repo, input=request).stdout
    sides: list[bytes | None] = []
    for _ in range(2):
        header, _, out = out.partition(b"\n")
        words = header.split()
        if len(words) == 3 and words[1] == b"blob":
            size = int(words[2])
            sides.append(out[:size])
            out = out[size + 1 :]
        else:
            sides.append(None)  # missing on that side (added, deleted) or not a file
    original, modified = sides
    if any(side is not None and b"\0" in side[:BINARY_PROBE] for side in sides):
        return FileVersions(path, old_path, None, None, binary=True)
    if any(side is not None and len(side) > max_bytes for side in sides):
        return FileVersions(path, old_path, None, None, too_large=True)
    return FileVersions(path, old_path, _text(original), _text(modified))


# -- helpers ---------------------------------------------------------------------------------------


def _merge_base(repo: Path, base: str, ref: str) -> str | None:
    done = run_git("merge-base", base, ref, cwd=repo, ok=(0, 1))
    return done.stdout.decode().strip() or None


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace")


def _read_capped(args: list[str], max_bytes: int) -> tuple[bytes, bool]:
    """Run ``args``; its output, read only until the patch part passes ``max_bytes`` (then the
    process is stopped and True returned)."""
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
        )
    except FileNotFoundError as error:
        raise GitError("git is not installed or not on PATH") from error
    assert process.stdout is not None and process.stderr is not None
    output = bytearray()
    patch_start, searched, cut = -1, 0, False
    while chunk := os.read(process.stdout.fileno(), 1 << 16):
        output += chunk
        if patch_start < 0:
            found = output.find(b"\0\0", max(0, searched - 1))
            searched = len(output)
            patch_start = found + 2 if found >= 0 else -1
        if patch_start >= 0 and len(output) - patch_start > max_bytes + 1:
            cut = True
            process.kill()
            break
    stderr = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    code = process.wait()
    if code != 0 and not cut:
        message = stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else "git diff failed")
    return bytes(output), cut


def _untracked(worktree: Path, path: str) -> FileChange:
    """An untracked file with its line count (None when binary or unreadable)."""
    full = worktree / path
    try:
        if full.is_symlink():
            return FileChange(path, "untracked", 1, 0)
        lines, binary, first = 0, False, True
        last = b"\n"
        with full.open("rb") as handle:
            while block := handle.read(1 << 16):
                if first and b"\0" in block[:BINARY_PROBE]:
                    binary = True
                    break
                first = False
                lines += block.count(b"\n")
                last = block[-1:]
        if binary:
            return FileChange(path, "untracked", None, None, binary=True)
        return FileChange(path, "untracked", lines + (last != b"\n"), 0)
    except OSError:
        return FileChange(path, "untracked", None, None)
