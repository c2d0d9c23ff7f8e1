"""Bad input in the ``%claude`` magic: one line, no traceback, nothing started."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import one_line_error


def test_magic_refuses_a_cwd_outside_the_root(
    claude: Any, tmux: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert claude("start 42 --no-attach --cwd ../..") is None
    assert "outside the root" in one_line_error(capsys)
    assert "claude-42" not in tmux("list-sessions", "-F", "#{session_name}").stdout


def test_magic_refuses_a_negative_page_size(claude: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert claude("tasks --page-size -3") is None
    assert "must be 0 or more" in one_line_error(capsys)
