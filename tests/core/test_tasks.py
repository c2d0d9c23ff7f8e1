"""Task files: TOML and YAML front matter, plain markdown, malformed files, duplicates, the seed."""

from __future__ import annotations

import shutil
from pathlib import Path

from jupyter_claude import ClaudeSessions

from ..support.data import REPO

SEED = REPO.parent / "shared" / "seed" / "task-aware-claude-sessions.md"
DEMO_SEED = REPO / "notebooks" / "tasks" / "TASK-20250516T024757.md"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_yaml_and_plain(manager: ClaudeSessions, task_root: Path) -> None:
    tasks = task_root / "tasks"
    write(
        tasks,
        "a.md",
        '+++\nid = "T-1"\ntitle = "From TOML"\nstatus = "todo"\npriority = "high"\n+++\n\nBody A\n',
    )
    write(tasks, "b.md", "---\nid: T-2\ntitle: From YAML\nstatus: doing\n---\nBody B\n")
    write(tasks, "plain-3.md", "Intro line\n\n# Heading title\n\nBody C\n")
    write(tasks, "untitled.md", "no heading at all\n")
    index = manager.tasks()
    by_id = {task.id: task for task in index}
    assert set(by_id) == {"T-1", "T-2", "plain-3", "untitled"}
    assert by_id["T-1"].title == "From TOML" and by_id["T-1"].status == "todo"
    assert by_id["T-1"].priority == "high" and by_id["T-1"].body == "Body A\n"
    assert by_id["T-2"].title == "From YAML" and by_id["T-2"].metadata["status"] == "doing"
    assert by_id["plain-3"].title == "Heading title"
    assert by_id["untitled"].title == "untitled"
    assert by_id["T-1"].path == "tasks/a.md"
    assert index.problems == []


def test_malformed_files_are_reported_and_skipped(manager: ClaudeSessions, task_root: Path) -> None:
    tasks = task_root / "tasks"
    write(tasks, "good.md", "# Good\n")
    write(tasks, "bad-toml.md", "+++\nid = \n+++\n")
    write(tasks, "bad-yaml.md", "---\nid: [unclosed\n---\n")
    write(tasks, "list-yaml.md", "---\n- a\n- b\n---\n")
    write(tasks, "unclosed.md", "+++\nid = 'x'\n")
    (tasks / "binary.md").write_bytes(b"\xff\xfe\x00bad")
    index = manager.tasks()
    assert [task.id for task in index] == ["good"]
    reasons = {problem.path: problem.reason for problem in index.problems}
    assert set(reasons) == {
        "tasks/bad-toml.md",
        "tasks/bad-yaml.md",
        "tasks/list-yaml.md",
        "tasks/unclosed.md",
        "tasks/binary.md",
    }
    assert "TOML" in reasons["tasks/bad-toml.md"]
    assert "YAML" in reasons["tasks/bad-yaml.md"]
    assert "never closed" in reasons["tasks/unclosed.md"]
    assert "UTF-8" in reasons["tasks/binary.md"]


def test_invalid_ids_are_listed_but_marked(manager: ClaudeSessions, task_root: Path) -> None:
    write(task_root / "tasks", "x.md", '+++\nid = "../etc"\n+++\n# Escape\n')
    write(task_root / "tasks", "a.b.md", "# Dotted stem\n")
    index = manager.tasks()
    invalid = {task.id: task for task in index}
    assert set(invalid) == {"../etc", "a.b"}
    assert all(not task.valid and "1 to 64" in (task.invalid_reason or "") for task in index)


def test_duplicate_ids_are_reported(manager: ClaudeSessions, task_root: Path) -> None:
    write(task_root / "tasks", "one.md", '+++\nid = "dup"\ntitle = "first"\n+++\n')
    write(task_root / "tasks", "two.md", "---\nid: dup\ntitle: second\n---\n")
    index = manager.tasks()
    assert [(task.id, task.title) for task in index] == [("dup", "first")]
    assert index.problems[0].path == "tasks/two.md"
    assert "duplicate task id 'dup'" in index.problems[0].reason


def test_several_task_folders(manager: ClaudeSessions, task_root: Path) -> None:
    (task_root / "more").mkdir()
    write(task_root / "tasks", "a.md", "# A\n")
    write(task_root / "more", "b.md", "# B\n")
    manager.tasks_dirs = ["tasks", "more", "missing"]
    assert [task.id for task in manager.tasks()] == ["a", "b"]


def test_the_seed_document(manager: ClaudeSessions, task_root: Path) -> None:
    source = SEED if SEED.exists() else DEMO_SEED
    shutil.copy(source, task_root / "tasks" / "seed.md")
    (task,) = manager.tasks()
    assert task.id == "TASK-20250516T024757" and task.valid
    assert task.title == "Task-Aware Claude Sessions"
    assert task.metadata["type"] == "🌟 Feature"
    assert task.status == "🟡 To Do" and task.priority == "▶️ Medium"
    assert task.metadata["subdirectory"] == "AREA_TaskWorktree"
    assert task.to_json()["metadata"]["created_date"] == "2025-05-16"
    assert "Feature Document" in task.body


def test_demo_folder_lists_cleanly() -> None:
    demo = ClaudeSessions(root_dir=str(DEMO_SEED.parents[1]), command=["true"])
    index = demo.tasks()
    assert len(index) >= 4 and index.problems == []
    assert all(task.valid for task in index)
