"""Shared fixtures: a private tmux server per test (never the user's default one), a task root, a
manager on them, and the extension's config for tests that start a Jupyter server.

The tests follow the package's layers (core/, workflow/, server/, notebook/, cli/); e2e/ holds the
browser, JupyterHub, real-terminal and real-agent runs, marked ``e2e`` (``pytest -m "not e2e"`` is
the quick check); support/ holds the helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions

from .support.data import SLEEPER
from .support.server import server_config

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.support.agents", "tests.support.claude"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outer tmux, no inherited socket or terminal choice, no nested-Claude marker."""
    for name in ("TMUX", "TMUX_PANE", "CLAUDECODE", "JUPYTER_CLAUDE_TMUX_SOCKET", "JUPYTER_CLAUDE_TERMINAL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tmux_socket() -> Iterator[str]:
    """A private tmux socket name; the server behind it is killed after the test."""
    name = f"jc-test-{uuid.uuid4().hex[:12]}"
    tmux = shutil.which("tmux")  # now: a test may take tmux off PATH
    assert tmux, "tmux is not installed (scripts/setup.sh installs it)"
    yield name
    subprocess.run([tmux, "-L", name, "kill-server"], capture_output=True, check=False)
    socket_dir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
    (socket_dir / name).unlink(missing_ok=True)


@pytest.fixture
def tmux(tmux_socket: str):  # type: ignore[no-untyped-def]
    """Run raw tmux on the test's private socket: ``tmux("list-sessions")`` -> CompletedProcess."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        return subprocess.run(
            ["tmux", "-L", tmux_socket, *args], capture_output=True, text=True, env=env, check=False
        )

    return run


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    """An empty repository root with a tasks/ folder."""
    root = tmp_path / "repo"
    (root / "tasks").mkdir(parents=True)
    return root


@pytest.fixture
def manager(tmux_socket: str, tmp_path: Path, task_root: Path) -> ClaudeSessions:
    """A ClaudeSessions on the private socket, logging under tmp_path, running SLEEPER."""
    return ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(task_root),
        command=SLEEPER,
    )


@pytest.fixture
def jp_server_config(tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
    """A Jupyter server (pytest-jupyter) with the extension on the test's private tmux socket."""
    return server_config(tmux_socket, tmp_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ is marked ``e2e``."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        if Path(str(item.fspath)).is_relative_to(e2e):
            item.add_marker(pytest.mark.e2e)
