"""Fixtures of the CLI tests: the command line run as a subprocess with a private config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..support.data import SLEEPER

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmux_socket: str, tmp_path: Path) -> dict[str, str]:
    """Environment for the CLI: private socket, private config dir with a harmless command."""
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    settings = {"command": SLEEPER, "log_dir": str(tmp_path / "logs"), "headless": True}
    (config_dir / "jupyter_claude_config.json").write_text(json.dumps({"ClaudeSessions": settings}))
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE", "CLAUDECODE", "DISPLAY")}
    env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_CLAUDE_TMUX_SOCKET=tmux_socket)
    return env


@pytest.fixture
def cli(cli_env: dict[str, str], task_root: Path) -> Run:
    """``cli("start", "42")`` runs ``python -m jupyter_claude start 42`` in the task root."""
    (task_root / "tasks" / "42.md").write_text("# Speed up the report\n", encoding="utf-8")
    (task_root / "tasks" / "fix-login.md").write_text(
        '+++\nid = "fix-login"\ntitle = "Fix login"\nstatus = "🟡 To Do"\n+++\n', encoding="utf-8"
    )

    def run(*args: str, env: dict[str, str] | None = None, check_code: int | None = 0) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "jupyter_claude", *args],
            capture_output=True,
            text=True,
            cwd=task_root,
            env=env or cli_env,
            timeout=60,
            check=False,
        )
        if check_code is not None:
            assert done.returncode == check_code, (args, done.returncode, done.stdout, done.stderr)
        return done

    return run
