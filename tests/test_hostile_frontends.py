"""Bad input in the CLI and the ``%claude`` magic: one line, exit 2 / no traceback, nothing started."""

from __future__ import annotations

from typing import Any

import pytest

from .test_cli import Run, cli, cli_env  # noqa: F401  (fixtures)
from .test_magic import claude, ip, one_line_error  # noqa: F401  (fixtures)


@pytest.mark.parametrize("cwd", ["../..", "/", "x" * 5000])
def test_cli_start_outside_the_root_exits_2(cli: Run, tmux: Any, cwd: str) -> None:  # noqa: F811
    done = cli("start", "42", "--no-attach", "--cwd", cwd, check_code=2)
    assert done.stderr.startswith("error: cwd ") and len(done.stderr.splitlines()) == 1
    assert "claude-42" not in tmux("list-sessions", "-F", "#{session_name}").stdout


def test_cli_log_negative_lines_exits_2(cli: Run) -> None:  # noqa: F811
    done = cli("log", "42", "-n", "-5", check_code=2)
    assert "must be 0 or more" in done.stderr


def test_cli_list_with_one_odd_session(cli: Run, tmux: Any) -> None:  # noqa: F811
    cli("start", "42", "--no-attach")
    tmux("set-option", "-t", "=claude-42:", "@jc_meta", "[1,2,3]")
    assert "claude-42" not in cli("list").stderr
    assert "42" in cli("list").stdout


def test_magic_refuses_a_cwd_outside_the_root(claude: Any, tmux: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert claude("start 42 --no-attach --cwd ../..") is None
    assert "outside the root" in one_line_error(capsys)
    assert "claude-42" not in tmux("list-sessions", "-F", "#{session_name}").stdout


def test_magic_refuses_a_negative_page_size(claude: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert claude("tasks --page-size -3") is None
    assert "must be 0 or more" in one_line_error(capsys)
