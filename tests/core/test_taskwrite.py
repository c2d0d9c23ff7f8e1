"""Creating and moving task files on disk through the manager: new files never overwrite anything,
ids are unique and pass the gate, a move writes atomically and only over the version it read,
and after a move only the moved file is read again."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import taskwrite
from jupyter_claude.core.errors import (
    InvalidSetting,
    InvalidTaskId,
    TaskConflict,
    TaskNotEditable,
    TaskNotFound,
)
from jupyter_claude.core.tasks import TaskFiles


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (hidden ones too) with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_create_writes_toml_front_matter(manager: ClaudeSessions, task_root: Path) -> None:
    task = manager.create_task("Fix the login page", body="It *redirects*.\n", priority="🔼 High")
    assert (task.id, task.path, task.status, task.priority) == (
        "fix-the-login-page",
        "tasks/fix-the-login-page.md",
        "To Do",
        "🔼 High",
    )
    text = (task_root / "tasks" / "fix-the-login-page.md").read_text(encoding="utf-8")
    assert text.startswith('+++\nid = "fix-the-login-page"\ntitle = "Fix the login page"\nstatus = "To Do"\n')
    assert text.endswith("+++\n\nIt *redirects*.\n")
    listed = manager.tasks().get("fix-the-login-page")
    assert listed is not None and listed.version == task.version and listed.title == "Fix the login page"


def test_colliding_titles_get_suffixes(manager: ClaudeSessions, task_root: Path) -> None:
    ids = [manager.create_task(title).id for title in ("Fix login", "fix LOGIN!", "Fix  login", "Fix-login")]
    assert ids == ["fix-login", "fix-login-2", "fix-login-3", "fix-login-4"]
    assert sorted(files_in(task_root / "tasks")) == sorted(f"{task_id}.md" for task_id in ids)


def test_a_file_or_link_already_there_is_never_overwritten(manager: ClaudeSessions, task_root: Path) -> None:
    tasks = task_root / "tasks"
    # A file the listing refuses (not UTF-8) still holds its name, and a dangling link its own.
    (tasks / "report.md").write_bytes(b"\xff not a task")
    (tasks / "report-2.md").symlink_to(task_root / "nowhere.md")
    task = manager.create_task("Report")
    assert task.id == "report-3"
    assert (tasks / "report.md").read_bytes() == b"\xff not a task"
    assert not (task_root / "nowhere.md").exists()


def test_a_given_id_is_checked_and_never_reused(manager: ClaudeSessions, task_root: Path) -> None:
    assert manager.create_task("Anything", task_id="T-42").id == "T-42"
    before = files_in(task_root / "tasks")
    with pytest.raises(TaskConflict, match="exists already"):
        manager.create_task("Other", task_id="T-42")
    with pytest.raises(TaskConflict, match="exists already"):
        manager.create_task("Other", task_id="t-42")  # one file on a case-insensitive disk
    with pytest.raises(InvalidTaskId):
        manager.create_task("Other", task_id="../escape")
    assert files_in(task_root / "tasks") == before


@pytest.mark.parametrize(
    ("fields", "error", "word"),
    [
        ({"title": "☃ ☃"}, InvalidTaskId, "makes no task id"),
        ({"title": "..."}, InvalidTaskId, "makes no task id"),
        ({"title": ""}, InvalidSetting, "empty"),
        ({"title": "two\nlines"}, InvalidSetting, "line break"),
        ({"title": "ok", "status": "a\nb"}, InvalidSetting, "line break"),
        ({"title": "ok", "priority": "x" * 200}, InvalidSetting, "longer"),
        ({"title": "ok", "body": "bell \x07"}, InvalidSetting, "control character"),
    ],
)
def test_bad_input_creates_nothing(
    manager: ClaudeSessions, task_root: Path, fields: dict[str, str], error: type, word: str
) -> None:
    with pytest.raises(error, match=word):
        manager.create_task(**fields)
    assert files_in(task_root / "tasks") == {}


def test_the_reserved_id_and_long_titles(manager: ClaudeSessions) -> None:
    assert manager.create_task("Tasks").id == "tasks-2"  # claude/tasks/tasks would shadow a route
    long = manager.create_task("word " * 40)
    assert len(long.id) <= taskwrite.MAX_SLUG and long.id.startswith("word-word")
    assert manager.create_task("word " * 40).id == long.id + "-2"
    assert manager.create_task("Café crème").id == "cafe-creme"


def test_the_task_folder_is_made_inside_the_root_only(manager: ClaudeSessions, task_root: Path) -> None:
    manager.tasks_dirs = ["new/tasks", "tasks"]
    assert manager.create_task("First").path == "new/tasks/first.md"
    outside = task_root.parent / "outside"
    outside.mkdir()
    (task_root / "linked").symlink_to(outside)
    manager.tasks_dirs = ["linked"]
    with pytest.raises(InvalidSetting, match="outside the root"):
        manager.create_task("Escape")
    assert list(outside.iterdir()) == []


def test_move_rewrites_the_status_only(manager: ClaudeSessions, task_root: Path) -> None:
    path = task_root / "tasks" / "42.md"
    path.write_bytes(b'+++\r\nid = "42"\r\nstatus = "\xf0\x9f\x9f\xa1 To Do" # keep\r\n+++\r\nBody\r\n')
    path.chmod(0o600)
    task = manager.task("42")
    moved = manager.set_status("42", "Done", if_match=task.version)
    assert path.read_bytes() == b'+++\r\nid = "42"\r\nstatus = "Done" # keep\r\n+++\r\nBody\r\n'
    assert moved.status == "Done" and moved.version != task.version
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert files_in(task_root / "tasks").keys() == {"42.md"}  # no temporary file left
    # Moving to the status it has changes nothing, not even the file's time.
    before = path.stat().st_mtime_ns
    assert manager.set_status("42", "Done").version == moved.version
    assert path.stat().st_mtime_ns == before


def test_move_writes_through_a_link_inside_the_root(manager: ClaudeSessions, task_root: Path) -> None:
    notes = task_root / "notes"
    notes.mkdir()
    (notes / "real.md").write_text("---\nid: linked\nstatus: To Do\n---\n")
    (task_root / "tasks" / "linked.md").symlink_to(notes / "real.md")
    manager.set_status("linked", "Review")
    assert (task_root / "tasks" / "linked.md").is_symlink()
    assert (notes / "real.md").read_text() == "---\nid: linked\nstatus: Review\n---\n"


def test_a_move_racing_an_edit_on_disk_is_refused(manager: ClaudeSessions, task_root: Path) -> None:
    path = task_root / "tasks" / "42.md"
    path.write_text('+++\nstatus = "To Do"\n+++\nfirst\n')
    read = manager.task("42")
    path.write_text('+++\nstatus = "To Do"\n+++\nedited by hand\n')  # after the board read it
    with pytest.raises(TaskConflict, match="changed since it was read"):
        manager.set_status("42", "Done", if_match=read.version)
    assert path.read_text() == '+++\nstatus = "To Do"\n+++\nedited by hand\n'


def test_an_edit_during_the_move_is_never_overwritten(
    manager: ClaudeSessions, task_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor saves the file after the move read it and before it renames its new version."""
    path = task_root / "tasks" / "42.md"
    path.write_text('+++\nstatus = "To Do"\n+++\nfirst\n')
    rewrite = taskwrite.with_status

    def rewrite_while_someone_saves(data: bytes, status: str) -> bytes:
        path.write_text('+++\nstatus = "To Do"\n+++\nsaved meanwhile\n')
        return rewrite(data, status)

    monkeypatch.setattr(taskwrite, "with_status", rewrite_while_someone_saves)
    with pytest.raises(TaskConflict, match="changed while it was being moved"):
        manager.set_status("42", "Done", if_match=manager.task("42").version)
    assert path.read_text() == '+++\nstatus = "To Do"\n+++\nsaved meanwhile\n'
    assert files_in(task_root / "tasks").keys() == {"42.md"}


def test_bad_moves_change_nothing(manager: ClaudeSessions, task_root: Path) -> None:
    path = task_root / "tasks" / "42.md"
    path.write_text("+++\nstatus.kind = 'x'\n+++\n")
    (task_root / "tasks" / "7.md").write_text("# Seven\n")
    before = files_in(task_root / "tasks")
    with pytest.raises(TaskNotFound, match="no task file has the id 'nope'"):
        manager.set_status("nope", "Done")
    with pytest.raises(InvalidTaskId):
        manager.set_status("../7", "Done")
    with pytest.raises(InvalidSetting, match="line break"):
        manager.set_status("7", "Done\nrm -rf /")
    with pytest.raises(InvalidSetting, match="if_match"):
        manager.set_status("7", "Done", if_match=3)  # type: ignore[arg-type]
    with pytest.raises(TaskNotEditable, match="cannot be set"):
        manager.set_status("42", "Done")
    assert files_in(task_root / "tasks") == before


def test_after_a_move_only_the_moved_file_is_read_again(task_root: Path) -> None:
    for number in range(200):
        (task_root / "tasks" / f"t{number}.md").write_text(f"+++\nstatus = 'To Do'\n+++\n# Task {number}\n")
    files = TaskFiles(task_root, ["tasks"])
    first = files.index()
    assert files.reads == 200 and files.index() is first  # nothing changed: the same index
    task = first.get("t7")
    assert task is not None
    taskwrite.set_status(task_root, task, "Done", task.version)
    index = files.index()
    assert files.reads == 201
    moved = index.get("t7")
    assert moved is not None and moved.status == "Done"
    assert [t.id for t in index] == [t.id for t in first]
    os.utime(task_root / "tasks" / "t9.md")  # touched, not changed: read again all the same
    files.index()
    assert files.reads == 202
