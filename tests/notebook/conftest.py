"""Fixtures of the notebook tests: IPython's testing shell with ``%claude``, on a private config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support.data import SLEEPER


@pytest.fixture(scope="module")
def ip() -> Any:
    """IPython's global testing shell with the extension loaded."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.run_line_magic("load_ext", "jupyter_claude")
    return shell


@pytest.fixture
def claude(
    ip: Any, tmux_socket: str, task_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """``claude("start 42")`` runs ``%claude start 42`` with settings from a private config dir."""
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    settings = {
        "command": SLEEPER,
        "log_dir": str(tmp_path / "logs"),
        "root_dir": str(task_root),
        "headless": True,
    }
    (config_dir / "jupyter_claude_config.json").write_text(json.dumps({"ClaudeSessions": settings}))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("JUPYTER_CLAUDE_TMUX_SOCKET", tmux_socket)
    monkeypatch.chdir(tmp_path)
    (task_root / "tasks" / "42.md").write_text("# Speed up the <b>report</b>\n", encoding="utf-8")

    def run(line: str) -> Any:
        return ip.run_line_magic("claude", line)

    return run


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The single stderr line a refused command printed (never a traceback)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]
