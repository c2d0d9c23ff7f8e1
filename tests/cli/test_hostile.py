"""Bad input in the CLI: one line, exit 2, nothing started."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Run


@pytest.mark.parametrize("cwd", ["../..", "/", "x" * 5000])
def test_cli_start_outside_the_root_exits_2(cli: Run, tmux: Any, cwd: str) -> None:
    done = cli("start", "42", "--no-attach", "--cwd", cwd, check_code=2)
    assert done.stderr.startswith("error: cwd ") and len(done.stderr.splitlines()) == 1
    assert "claude-42" not in tmux("list-sessions", "-F", "#{session_name}").stdout


def test_cli_log_negative_lines_exits_2(cli: Run) -> None:
    done = cli("log", "42", "-n", "-5", check_code=2)
    assert "must be 0 or more" in done.stderr


def test_cli_list_with_one_odd_session(cli: Run, tmux: Any) -> None:
    cli("start", "42", "--no-attach")
    tmux("set-option", "-t", "=claude-42:", "@jc_meta", "[1,2,3]")
    assert "claude-42" not in cli("list").stderr
    assert "42" in cli("list").stdout
