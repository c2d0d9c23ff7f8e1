"""``%claude new`` and ``%claude move`` in IPython: the command table's words, as HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_claude.core.tasks import Task
from jupyter_claude.notebook.magic import ClaudeOutput

from .conftest import one_line_error


def test_new_and_move(claude: Any, task_root: Path) -> None:
    created = claude('new "Fix the <b>login</b>" --status Review --priority High')
    assert isinstance(created, ClaudeOutput) and isinstance(created.value, Task)
    assert created.text == "created tasks/fix-the-b-login-b.md: fix-the-b-login-b · Review"
    assert created._repr_html_() == f"<div>{created.text}</div>"
    moved = claude("move fix-the-b-login-b 'In Progress'")
    assert moved.value.status == "In Progress"
    text = (task_root / "tasks" / "fix-the-b-login-b.md").read_text()
    assert 'status = "In Progress"' in text and 'title = "Fix the <b>login</b>"' in text


def test_bad_input_prints_one_line(claude: Any, task_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert claude("move nope Done") is None
    assert "no task file has the id 'nope'" in one_line_error(capsys)
    assert claude("new '...'") is None
    assert "makes no task id" in one_line_error(capsys)
    assert sorted(path.name for path in (task_root / "tasks").iterdir()) == ["42.md"]
