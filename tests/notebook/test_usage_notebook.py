"""Usage and starting many at once in a notebook: the TaskTable's usage column, its checkboxes and
"Run selected", ``to_dataframe()`` with pandas and without it, ``%claude usage`` and ``%claude start
A B``; real tmux sessions on a private socket."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.notebook.batch import MISSING_PANDAS
from jupyter_claude.notebook.magic import ClaudeOutput
from jupyter_claude.notebook.refresher import REFRESHER
from jupyter_claude.notebook.table import TaskTable

from ..support import transcripts as t
from ..support.data import wait_for
from .conftest import one_line_error


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def table(manager: ClaudeSessions, task_root: Path, tmp_path: Path, state: Path) -> Iterator[TaskTable]:
    """A table over tasks 1, 2, 3; task 1 has used tokens before."""
    for task_id in ("1", "2", "3"):
        (task_root / "tasks" / f"{task_id}.md").write_text(f"# Task {task_id}\n", encoding="utf-8")
    transcript = t.write(
        tmp_path / "p" / "a.jsonl", [*t.answer("m1", (120_000, 3_000, 0, 0)), t.turn(42_000)]
    )
    t.register("1", task_root, transcript)
    manager.headless = True
    manager.start_interval = 0.3
    built = TaskTable(sessions=manager)
    yield built
    built.close()
    assert REFRESHER.wait_stopped()


def test_the_usage_column(table: TaskTable) -> None:
    item = table.item("1")
    assert item is not None and item.usage_text == "$0.41 · 123k tokens · 1 turn"
    row = table.row("1")
    assert row is not None and "$0.41 · 123k tokens · 1 turn" in row.cells.value
    assert table.item("2") is not None and table.item("2").usage_text == ""  # type: ignore[union-attr]
    table.sort("usage")
    assert table.visible_ids[0] == "1"  # the most expensive first


def test_tick_rows_and_run_selected(table: TaskTable, tmux: Any) -> None:
    assert table.run_selected_button.disabled
    row = table.row("2")
    assert row is not None
    row.select_box.value = True  # the person ticks the box
    table.select(["3"])
    assert table.selected == ["2", "3"] and table.run_selected_button.description == "Run selected (2)"
    assert table.row("3").select_box.value is True  # type: ignore[union-attr]
    table.run_selected_button.click()
    assert table.selected == [] and table.run_selected_button.disabled
    assert tmux("has-session", "-t", "=claude-2").returncode == 0
    assert tmux("has-session", "-t", "=claude-3").returncode == 0
    assert "queued" in (table.item("3") or table.item("2")).message  # type: ignore[union-attr]
    wait_for(lambda: table.item("2").state == "running" and table.item("3").state == "running", timeout=30)  # type: ignore[union-attr]
    assert table.item("1").state == "stopped"  # type: ignore[union-attr]


def test_to_dataframe_with_pandas(table: TaskTable) -> None:
    frame = table.to_dataframe()
    assert list(frame.index) == ["1", "2", "3"]
    assert frame.loc["1", "input_tokens"] == 120_000 and frame.loc["1", "turns"] == 1
    assert frame.loc["1", "cost"] == pytest.approx(0.405) and frame.loc["2", "cost"] == 0
    assert frame.loc["1", "working_seconds"] == 42.0 and frame.loc["1", "models"] == t.SONNET
    assert frame.loc["2", "state"] == "stopped" and frame["cost"].sum() == pytest.approx(0.405)


def test_to_dataframe_without_pandas(
    table: TaskTable, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def no_pandas(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "pandas", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    assert table.to_dataframe() is None
    assert one_line_error(capsys) == MISSING_PANDAS


def test_usage_and_start_many_magics(
    claude: Any, task_root: Path, tmp_path: Path, state: Path, tmux: Any
) -> None:
    (task_root / "tasks" / "7.md").write_text("# Seven\n", encoding="utf-8")
    t.register("42", task_root, t.write(tmp_path / "p" / "a.jsonl", t.answer("m1", (1000, 100, 0, 0))))
    shown = claude("usage")
    assert isinstance(shown, ClaudeOutput)
    assert [row["id"] for row in shown.value] == ["42", "7"]
    assert shown.text.splitlines()[-1].split()[:2] == ["TOTAL", "1k"]
    assert "<code>TOTAL</code>" in shown._repr_html_() and "&lt;$0.01" in shown._repr_html_()
    started = claude("start 42 7 --ClaudeSessions.start_interval=0.2")
    assert "2 sessions: agents launch 0.2 s apart" in started.text
    assert {s.id for s in started.value} == {"42", "7"}
    assert tmux("has-session", "-t", "=claude-7").returncode == 0


def test_bad_input_to_the_magics_is_one_line(claude: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert claude("usage a.b") is None
    assert "a.b" in one_line_error(capsys)
    assert claude("start 42 x:y") is None
    assert "x:y" in one_line_error(capsys)
