"""The words of review: how a task's diff, the conflicts between tasks and a landing read, the same
in the CLI, the ``%claude`` magic and the TaskTable (the JSON shapes are in :mod:`.diff`,
:mod:`.conflicts` and :mod:`.land`)."""

from __future__ import annotations

from collections.abc import Sequence

from .conflicts import BASE, ConflictReport
from .diff import FileChange, TaskDiff
from .errors import InvalidSetting
from .land import Landing

#: The mark of a task in a conflict, everywhere.
CONFLICT_MARK = "⚠"
#: A letter per file status, as git prints them (untracked as "?").
STATUS_LETTERS = {
    "added": "A",
    "modified": "M",
    "deleted": "D",
    "renamed": "R",
    "copied": "C",
    "type changed": "T",
    "untracked": "?",
}


def counts(change: FileChange) -> str:
    """ "+3 -1", or "binary"."""
    if change.binary:
        return "binary"
    if change.added is None:
        return ""
    return f"+{change.added} -{change.deleted or 0}"


def file_line(change: FileChange) -> str:
    """ "M  f.txt  +3 -1", "R  old.txt -> new.txt  +0 -0"."""
    letter = STATUS_LETTERS.get(change.status, change.status[:1].upper())
    name = f"{change.old_path} -> {change.path}" if change.old_path else change.path
    return f"  {letter}  {name}  {counts(change)}".rstrip()


def diff_lines(diff: TaskDiff) -> tuple[str, ...]:
    """The summary a person reads above the patch: branch, base, commits, files, uncommitted work."""
    lines = [
        f"{diff.branch} against {diff.base}: {diff.ahead} commit(s) ahead, {diff.behind} behind"
        f" (worktree {diff.worktree})"
    ]
    if diff.commits:
        lines.append("commits:")
        lines += [f"  {c.sha[:8]}  {c.subject}  ({c.author}, {c.time[:10]})" for c in diff.commits]
        if diff.commits_truncated:
            lines.append(f"  … only the newest {len(diff.commits)} shown")
    added = sum(change.added or 0 for change in diff.files)
    deleted = sum(change.deleted or 0 for change in diff.files)
    lines.append(
        f"files: {len(diff.files)} changed, +{added} -{deleted}" if diff.files else "files: none changed"
    )
    lines += [file_line(change) for change in diff.files]
    if diff.uncommitted:
        lines.append(f"uncommitted in the worktree: {len(diff.uncommitted)} file(s)")
        lines += [file_line(change) for change in diff.uncommitted]
    if diff.truncated:
        lines.append("(the patch is cut: it is longer than diff_max_bytes)")
    return tuple(lines)


def side_name(side: str, report: ConflictReport) -> str:
    """A task id, or "the base (main)"."""
    return f"the base ({report.base_branch})" if side == BASE else side


def conflict_lines(report: ConflictReport) -> tuple[str, ...]:
    """One line per conflict, or why there is none."""
    if not report.conflicts:
        live = len(report.tasks)
        base = f" and {report.base_branch}" if report.base_branch else ""
        return (f"no conflicts between the {live} live task(s){base}",)
    lines = [
        f"{CONFLICT_MARK} {a} and {side_name(b, report)} conflict in {', '.join(c.files)}"
        for c in report.conflicts
        for a, b in [c.tasks]
    ]
    return (*lines, *(f"could not check {error}" for error in report.errors))


def conflict_note(report: ConflictReport | None, task_id: str) -> str:
    """ "⚠ conflicts with b (f.txt); the base (main) (g.txt)" for one task, "" when it has none."""
    found = report.for_task(task_id) if report is not None else []
    if not found or report is None:
        return ""
    parts = [f"{side_name(other, report)} ({', '.join(files)})" for other, files in found]
    return f"{CONFLICT_MARK} conflicts with " + "; ".join(parts)


def strategy_of(squash: bool, rebase: bool, commit_uncommitted: bool, message: str | None) -> str:
    """The land strategy from the front ends' flags (bad combinations are bad input)."""
    if squash and rebase:
        raise InvalidSetting("choose one of --squash and --rebase")
    if message is not None and not commit_uncommitted:
        raise InvalidSetting("-m/--message is the message of --commit-uncommitted: pass both")
    return "squash" if squash else "rebase" if rebase else "merge"


def land_lines(landing: Landing) -> tuple[str, ...]:
    """What a landing did."""
    lines = []
    if landing.committed:
        lines.append(f"committed the worktree's uncommitted work first: {landing.committed[:8]}")
    target = landing.target
    lines.append(
        f"landed {landing.branch} in {target} ({landing.strategy}): {len(landing.commits)} commit(s), "
        f"{len(landing.files)} file(s); {target} is now {landing.commit[:8]} (was {landing.previous[:8]})"
    )
    cleanup = landing.cleanup
    if cleanup is not None:
        done = [
            what
            for what, key in (
                ("session stopped", "stopped"),
                ("worktree removed", "worktree_removed"),
                (f"branch {landing.branch} deleted", "branch_deleted"),
            )
            if cleanup.get(key)
        ]
        lines.append("cleanup: " + (", ".join(done) if done else "nothing done"))
        lines += [f"{CONFLICT_MARK} {problem}" for problem in cleanup.get("problems", [])]
    return tuple(lines)


def colour_patch(patch: str) -> Sequence[str]:
    """The patch's lines with ANSI colours, as ``git diff --color`` shows them: file headers bold,
    hunk headers cyan, added lines green, deleted lines red."""
    shown, in_header = [], False
    for line in patch.splitlines():
        if line.startswith("diff --git"):
            in_header = True
        elif line.startswith("@@"):
            in_header = False
            shown.append(f"\x1b[36m{line}\x1b[0m")
            continue
        if in_header:
            shown.append(f"\x1b[1m{line}\x1b[0m")
        elif line.startswith("+"):
            shown.append(f"\x1b[32m{line}\x1b[0m")
        elif line.startswith("-"):
            shown.append(f"\x1b[31m{line}\x1b[0m")
        else:
            shown.append(line)
    return shown
