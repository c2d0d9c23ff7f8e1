"""The %claude magic through IPython's testing shell, on a private tmux socket."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude.notebook.magic import ClaudeOutput
from jupyter_claude.notebook.refresher import REFRESHER
from jupyter_claude.notebook.table import TaskTable

from .conftest import one_line_error


def test_start_status_log_stop_roundtrip(claude: Any, tmux: Any, task_root: Path, tmux_socket: str) -> None:
    started = claude("start 42")
    assert isinstance(started, ClaudeOutput)
    assert tmux("has-session", "-t", "=claude-42").returncode == 0
    assert started.text.splitlines()[0] == f"🟢 running  claude-42 started in {task_root}"
    assert "no terminal opened: headless mode" in started.text
    assert f"attach by hand: tmux -L {tmux_socket} attach-session -t =claude-42" in started.text
    assert "<b>🟢 running</b>" in started._repr_html_() and started.value["session"].created

    again = claude("start 42")
    assert "claude-42 re-used" in again.text and not again.value["session"].created

    status = claude("status 42")
    assert status.text.splitlines()[0].split() == ["ID", "STATE", "ATTACHED", "STARTED", "COMMAND"]
    assert "🟢 running" in status.text and "<td>🟢 running</td>" in status._repr_html_()
    assert [session.id for session in status.value] == ["42"]

    listing = claude("list")
    assert [session.id for session in listing.value] == ["42"]
    assert claude("status").text == listing.text

    attach = claude("attach 42")
    assert attach.value.launched is False and "attach-session -t =claude-42" in attach.text

    import time

    deadline = time.monotonic() + 3
    while "ready 42" not in claude("log 42").text and time.monotonic() < deadline:
        time.sleep(0.1)
    log = claude("log 42 -n 1")
    assert log.text == "ready 42" and "<pre" in log._repr_html_()

    stopped = claude("stop 42")
    assert stopped.text == "claude-42 stopped" and stopped.value is True
    assert tmux("has-session", "-t", "=claude-42").returncode != 0
    assert "⚫ stopped" in stopped._repr_html_()
    assert claude("stop 42").text == "claude-42 was not running"
    assert claude("list").text == "no sessions"
    assert claude("status 42").text.splitlines()[1].split()[:3] == ["42", "⚫", "stopped"]


def test_start_with_cwd_and_headless_flag(claude: Any, task_root: Path) -> None:
    (task_root / "sub").mkdir()
    started = claude("start 42 --cwd sub --headless")
    assert started.value["session"].cwd == str(task_root / "sub")
    assert started.value["terminal"].reason == "headless mode: no terminal is opened"
    quiet = claude("start 7 --no-attach")
    assert quiet.value["terminal"] is None and "attach by hand" not in quiet.text


def test_tasks_returns_the_widget(claude: Any) -> None:
    table = claude("tasks --page-size 10")
    try:
        assert isinstance(table, TaskTable) and table.page_size == 10
        assert [row.task_id for row in table.rows] == ["42"]
        assert "&lt;b&gt;report&lt;/b&gt;" in table.rows[0].cells.value
    finally:
        table.close()
    assert REFRESHER.wait_stopped()


def test_help_and_no_arguments_print_usage(claude: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert claude("--help") is None
    out = capsys.readouterr().out
    assert out.startswith("usage: %claude")
    for verb in ("start", "stop", "status", "list", "attach", "log", "tasks"):
        assert f"    {verb} " in out
    assert claude("") is None and "usage: %claude" in capsys.readouterr().out
    assert claude("start --help") is None and "--headless" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("start ../etc", "invalid task id '../etc'"),
        ("stop a.b", "invalid task id 'a.b'"),
        ("status '#(touch x)'", "invalid task id '#(touch x)'"),
        ("attach claude-4*", "invalid task id 'claude-4*'"),
        ("log ''", "invalid task id ''"),
        ("frobnicate", "invalid choice: 'frobnicate'"),
        ("start", "the following arguments are required: id"),
        ("log 42 -n many", "invalid int value: 'many'"),
        ("start 42 --cwd no/such/dir", "is not a directory"),
        ("attach 42", "there is no session claude-42"),
        ("start 'unterminated", "cannot parse the line"),
        ("list --ClaudeSessions.log_max_bytes=lots", "log_max_bytes"),
    ],
)
def test_bad_input_prints_one_line(
    claude: Any, capsys: pytest.CaptureFixture[str], line: str, expected: str
) -> None:
    assert claude(line) is None
    message = one_line_error(capsys)
    assert message.startswith("%claude") and expected in message


def test_tmux_missing_is_one_line(
    claude: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with monkeypatch.context() as patched:
        patched.setenv("PATH", str(tmp_path / "empty-bin"))
        assert claude("list") is None
    assert "tmux is not installed" in one_line_error(capsys)


def test_html_output_is_escaped(claude: Any, tmux: Any, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    config = tmp_path / "jupyter-config" / "jupyter_claude_config.json"
    settings = json.loads(config.read_text())
    settings["ClaudeSessions"]["command"] = ["echo", evil]
    config.write_text(json.dumps(settings))
    started = claude("start 42 --no-attach")
    assert evil not in started._repr_html_()
    status = claude("status 42")
    assert "&lt;script&gt;" in status._repr_html_() and evil not in status._repr_html_()
    log = claude("log 42")
    assert "<script>" not in log._repr_html_()


def test_settings_on_the_line_reach_the_manager(claude: Any, tmux: Any, tmux_socket: str) -> None:
    claude("start 42 --no-attach --ClaudeSessions.session_prefix=agent-")
    assert tmux("has-session", "-t", "=agent-42").returncode == 0
    assert os.environ["JUPYTER_CLAUDE_TMUX_SOCKET"] == tmux_socket
