"""Review in a notebook: ``%claude diff|conflicts|land`` and the TaskTable's Diff button and ⚠ marks,
on a real git repository (the magic's root) and a private tmux socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.notebook.magic import ClaudeOutput
from jupyter_claude.notebook.refresher import REFRESHER
from jupyter_claude.notebook.table import TaskTable

from ..support.repos import Repo, line
from .conftest import one_line_error


@pytest.fixture
def repo(task_root: Path) -> Repo:
    """The task root as a repository: task 42 edits f.txt (with HTML in it), a and b collide."""
    repo = Repo(task_root.parent)
    repo.task("42", {"f.txt": line(8, "<script>alert(1)</script>"), "new.txt": "new\n"})
    repo.task("a", {"f.txt": line(2, "two-a")})
    repo.task("b", {"f.txt": line(2, "two-b")})
    return repo


def test_diff_renders_a_coloured_escaped_diff(claude: Any, repo: Repo) -> None:
    shown = claude("diff 42")
    assert isinstance(shown, ClaudeOutput)
    html = shown._repr_html_()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "task/42 against main: 1 commit(s) ahead, 0 behind" in html
    assert "class='jc-diff-patch'" in html and "var(--jp-success-color1" in html  # green added lines
    assert "var(--jp-error-color1, #d32f2f)'>-8</span>" in html  # the deleted line, red
    assert shown.text.splitlines()[0].startswith("task/42 against main")
    assert "+<script>alert(1)</script>" in shown.text  # the plain text keeps the patch as it is
    assert shown.value.files[0].path == "f.txt"

    stat = claude("diff 42 --stat")
    assert "jc-diff-patch" not in stat._repr_html_() and "new.txt" in stat._repr_html_()


def test_conflicts_and_land(claude: Any, repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert claude("conflicts").text == "⚠ a and b conflict in f.txt"
    landed = claude("land a")
    assert landed.text.startswith("landed task/a in main (merge): 1 commit(s), 1 file(s)")
    assert repo.head("main") == landed.value.commit
    before = repo.state()
    assert claude("land b --squash") is None
    assert one_line_error(capsys).startswith("%claude land: task/b conflicts with main in f.txt")
    assert repo.state() == before
    assert claude("diff 7") is None
    assert "task 7 has no worktree" in one_line_error(capsys)


@pytest.fixture
def table(repo: Repo, manager: ClaudeSessions) -> Iterator[TaskTable]:
    """A TaskTable on the repository (task files for a, b and 42)."""
    for task_id in ("a", "b", "42"):
        (repo.root / "tasks" / f"{task_id}.md").write_text(
            f'+++\nid = "{task_id}"\ntitle = "Task {task_id}"\n+++\n'
        )
    manager.headless = True
    table = TaskTable(manager)
    yield table
    table.close()
    assert REFRESHER.wait_stopped()


def test_the_table_marks_conflicts_and_shows_a_diff(
    table: TaskTable, repo: Repo, manager: ClaudeSessions
) -> None:
    marked = {row.task_id: row.conflict for row in table.rows}
    assert marked == {
        "42": "",
        "a": "⚠ conflicts with b (f.txt)",
        "b": "⚠ conflicts with a (f.txt)",
    }
    row_a = table.row("a")
    assert row_a is not None and "jc-conflict" in row_a.cells.value and "🔵" not in row_a.cells.value
    assert "⚫ stopped ⚠" in row_a.cells.value

    row_42 = table.row("42")
    assert row_42 is not None and not row_42.diff_button.disabled
    row_42.diff_button.click()
    assert table.diff_panel.layout.display == "flex" and table.diff_panel.task_id == "42"
    assert "&lt;script&gt;" in table.diff_panel.body_html.value
    table.diff_panel.close_button.click()
    assert table.diff_panel.layout.display == "none"

    # Nothing changed: a refresh runs no conflicts check. A commit that ends the conflict does.
    checks = manager._conflict_cache.computed
    table.refresh()
    assert manager._conflict_cache.computed == checks
    repo.commit(repo.worktree("b"), {"f.txt": line(2, "two-a")}, "b agrees with a")
    table.refresh()
    assert {row.task_id: row.conflict for row in table.rows} == {"42": "", "a": "", "b": ""}


def test_a_task_without_a_worktree_shows_why(table: TaskTable, repo: Repo) -> None:
    repo.git("worktree", "remove", str(repo.worktree("42")))
    row = table.row("42")
    assert row is not None
    row.diff_button.click()
    assert "task 42 has no worktree" in table.diff_panel.body_html.value
