"""``jupyter claude new`` and ``jupyter claude move`` through subprocess: files, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Run


def test_new_and_move(cli: Run, task_root: Path) -> None:
    created = cli("new", "Speed up the nightly report", "--priority", "🔼 High", "--body", "Profile it.")
    assert (
        created.stdout
        == "created tasks/speed-up-the-nightly-report.md: speed-up-the-nightly-report · To Do\n"
    )
    path = task_root / "tasks" / "speed-up-the-nightly-report.md"
    assert 'priority = "🔼 High"' in path.read_text() and path.read_text().endswith("+++\n\nProfile it.\n")
    second = json.loads(cli("new", "Speed up the nightly report", "--status", "Review", "--json").stdout)
    assert second["id"] == "speed-up-the-nightly-report-2" and second["status"] == "Review"
    assert second["path"] == "tasks/speed-up-the-nightly-report-2.md" and second["version"]

    moved = cli("move", "fix-login", "🟢 In Progress")
    assert moved.stdout == "fix-login: status 🟢 In Progress (tasks/fix-login.md)\n"
    text = (task_root / "tasks" / "fix-login.md").read_text()
    assert text == '+++\nid = "fix-login"\ntitle = "Fix login"\nstatus = "🟢 In Progress"\n+++\n'
    listed = {task["id"]: task for task in json.loads(cli("tasks", "--json").stdout)["tasks"]}
    version = listed["fix-login"]["version"]
    as_json = json.loads(cli("move", "fix-login", "Done", "--if-match", version, "--json").stdout)
    assert as_json["status"] == "Done" and as_json["version"] != version


def test_new_with_an_id_and_without_front_matter(cli: Run, task_root: Path) -> None:
    assert cli("new", "Anything", "--id", "T-7").stdout.startswith("created tasks/T-7.md: T-7")
    cli("move", "42", "Done")  # 42.md had no front matter: it gets a TOML block
    assert (task_root / "tasks" / "42.md").read_text() == '+++\nstatus = "Done"\n+++\n# Speed up the report\n'


def test_bad_input_is_one_line_and_changes_nothing(cli: Run, task_root: Path) -> None:
    before = {path.name: path.read_bytes() for path in (task_root / "tasks").iterdir()}
    cases = [
        (("move", "nope", "Done"), 2, "no task file has the id 'nope'"),
        (("move", "fix-login", "Done\nnow"), 2, "line break"),
        (("move", "../x", "Done"), 2, "invalid task id"),
        (("new", "☃"), 2, "makes no task id"),
        (("new", "x", "--id", "fix-login"), 1, "exists already"),
        (("move", "fix-login", "Done", "--if-match", "0123456789abcdef"), 1, "changed since it was read"),
        (("new",), 2, "the following arguments are required: title"),
    ]
    for args, code, words in cases:
        done = cli(*args, check_code=code)
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert {path.name: path.read_bytes() for path in (task_root / "tasks").iterdir()} == before
