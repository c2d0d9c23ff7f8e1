"""Hostile task folders: whatever a branch or a pull request puts in ``tasks/``, a listing stays
bounded in memory and time, reports each bad file with its reason, and never hangs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.tasks import MAX_TASK_BYTES, MAX_TITLE, TaskFiles

from ..support.hostile import billion_laughs, plant_hostile_files


def test_every_hostile_file_is_reported_and_the_good_ones_listed(
    manager: ClaudeSessions, task_root: Path
) -> None:
    expected = plant_hostile_files(task_root / "tasks", task_root.parent / "passwd")
    index = manager.tasks()
    assert sorted(task.id for task in index) == ["good", "long-title"]
    reasons = {problem.path: problem.reason for problem in index.problems}
    assert set(reasons) == set(expected), reasons
    for path, word in expected.items():
        assert word in reasons[path], (path, reasons[path])
    long_title = index.get("long-title")
    assert long_title is not None and len(long_title.title) <= MAX_TITLE and long_title.title.endswith("…")


def test_billion_laughs_is_refused_within_a_small_memory_limit(task_root: Path) -> None:
    """Run the listing under a 1 GiB address-space limit: expanding the aliases needs far more."""
    (task_root / "tasks" / "laughs.md").write_text(billion_laughs())
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from jupyter_claude.core.tasks import load_tasks
        from pathlib import Path
        index = load_tasks(Path({str(task_root)!r}), ["tasks"])
        print(index.problems[0].reason)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "YAML aliases (*a0) are not allowed" in done.stdout


def test_a_fifo_never_blocks_a_listing(manager: ClaudeSessions, task_root: Path) -> None:
    os.mkfifo(task_root / "tasks" / "x.md")
    done = threading.Event()
    result: list[object] = []

    def listing() -> None:
        result.append(manager.tasks())
        done.set()

    threading.Thread(target=listing, daemon=True).start()
    assert done.wait(30), "the listing blocked on a FIFO"
    (problem,) = result[0].problems  # type: ignore[attr-defined]
    assert problem.reason == "not a regular file"


def test_symlinks_inside_the_root_are_followed_outside_are_refused(
    manager: ClaudeSessions, task_root: Path
) -> None:
    notes = task_root / "notes"
    notes.mkdir()
    (notes / "real.md").write_text("# Real task\n")
    (task_root / "tasks" / "linked.md").symlink_to(notes / "real.md")
    (task_root / "tasks" / "passwd.md").symlink_to("/etc/passwd")
    index = manager.tasks()
    assert [task.title for task in index] == ["Real task"]
    assert [problem.reason for problem in index.problems] == ["it links to a file outside the root directory"]


def test_big_files_are_not_read(task_root: Path) -> None:
    path = task_root / "tasks" / "big.md"
    path.write_bytes(b"# x\n" + b"y" * MAX_TASK_BYTES)
    index = TaskFiles(task_root, ["tasks"]).index()
    assert index.problems[0].reason == "larger than 1024 KiB (the limit for task files)"


def test_only_changed_files_are_read_again(task_root: Path) -> None:
    tasks = task_root / "tasks"
    for number in range(5):
        (tasks / f"t{number}.md").write_text(f"# Task {number}\n")
    files = TaskFiles(task_root, ["tasks"])
    assert len(files.index()) == 5 and files.reads == 5
    assert len(files.index()) == 5 and files.reads == 5
    first = files.index().get("t1")
    (tasks / "t1.md").write_text("# Task one, edited\n")
    (tasks / "t9.md").write_text("# New\n")
    (tasks / "t0.md").unlink()
    index = files.index()
    assert files.reads == 7
    assert sorted(task.id for task in index) == ["t1", "t2", "t3", "t4", "t9"]
    edited = index.get("t1")
    assert first is not None and edited is not None and edited.title == "Task one, edited"
    assert edited.version != first.version


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\nbase: &b {x: 1}\nother:\n  <<: *b\n---\n", "aliases"),
        ("---\n!!python/object:os.system x\n---\n", "invalid YAML"),
        ("+++\nx = 1\n", "never closed"),
    ],
)
def test_front_matter_refusals(task_root: Path, text: str, reason: str) -> None:
    (task_root / "tasks" / "t.md").write_text(text)
    (problem,) = TaskFiles(task_root, ["tasks"]).index().problems
    assert reason in problem.reason
