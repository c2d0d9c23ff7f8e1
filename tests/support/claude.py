"""The real Claude Code CLI, talking to the scripted model server, for tests (a pytest plugin).

``real_claude`` puts the real ``claude`` program (from npm, ``JUPYTER_CLAUDE_TEST_CLAUDE_BIN``, else
installed once into ``.cache/claude-code``) first on PATH, starts a :class:`ModelServer` on loopback
and makes a private HOME and Claude config whose ``.claude.json`` marks onboarding done, the API key
approved and the test folder trusted (trust covers every folder below it: the repository and the
task worktrees beside it). ``ANTHROPIC_BASE_URL`` points at the model server; telemetry, the auto
updater and other nonessential traffic are off. Nothing leaves the machine. All of it is set before
the test's tmux server starts, so the panes inherit it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .agents import Agents
from .data import REPO, wait_for
from .model_server import ModelServer

CACHE = REPO / ".cache" / "claude-code"

#: Any string works as a key for the scripted server; its last 20 characters are "approved".
API_KEY = "sk-ant-api03-jupyter-claude-tests-0123456789abcdefghij"


def claude_binary() -> Path:
    """The real ``claude`` program: from the environment, else installed into the cache."""
    configured = os.environ.get("JUPYTER_CLAUDE_TEST_CLAUDE_BIN")
    if configured:
        path = Path(configured)
        assert path.is_file() and os.access(path, os.X_OK), f"JUPYTER_CLAUDE_TEST_CLAUDE_BIN={configured}"
        return path
    binary = CACHE / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        npm = shutil.which("npm")
        assert npm, "the real-Claude tests need npm (Node 18+) to install @anthropic-ai/claude-code"
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "@anthropic-ai/claude-code"],
            check=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    assert binary.exists(), f"npm did not install {binary}"
    return binary


@dataclass
class RealClaude:
    """The real CLI's surroundings in one test."""

    binary: Path
    model: ModelServer
    home: Path
    config_dir: Path
    tmux_socket: str

    def screen(self, session: str = "claude-42") -> str:
        """What the task's pane shows now (``tmux capture-pane -p``)."""
        return self.tmux("capture-pane", "-p", "-t", f"={session}:").stdout

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        return subprocess.run(
            ["tmux", "-L", self.tmux_socket, *args], capture_output=True, text=True, env=env, check=False
        )

    def wait_for_screen(self, text: str, session: str = "claude-42", timeout: float = 60.0) -> str:
        """Until the pane shows ``text``; returns the screen (the last one seen, when it never does)."""
        try:
            return wait_for(lambda: (screen := self.screen(session)) and text in screen and screen, timeout)  # type: ignore[no-any-return]
        except AssertionError:
            raise AssertionError(
                f"{text!r} not on screen within {timeout} s:\n{self.screen(session)}"
            ) from None

    def type(self, *keys: str, session: str = "claude-42") -> None:
        """Keys into the pane, as a person types them (tmux key names, e.g. "Enter")."""
        assert self.tmux("send-keys", "-t", f"={session}:", *keys).returncode == 0

    def transcripts(self) -> list[Path]:
        """Every conversation transcript Claude Code wrote."""
        return sorted((self.config_dir / "projects").glob("*/*.jsonl"))


def trust(config: Path, folder: Path) -> None:
    """Write a ``.claude.json`` with onboarding done, our key approved and ``folder`` trusted."""
    config.mkdir(parents=True, exist_ok=True)
    data = {
        "hasCompletedOnboarding": True,
        "customApiKeyResponses": {"approved": [API_KEY[-20:]], "rejected": []},
        "projects": {str(folder): {"hasTrustDialogAccepted": True}},
    }
    (config / ".claude.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def real_claude(
    agents: Agents, tmp_path: Path, tmux_socket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RealClaude]:
    """The real ``claude`` first on PATH, a scripted model server, a private HOME that trusts tmp_path."""
    binary = claude_binary()
    (agents.bin_dir / "claude").symlink_to(binary.resolve())
    home = tmp_path / "home"
    config_dir = tmp_path / "claude-config"  # the agents fixture points CLAUDE_CONFIG_DIR here
    trust(home, tmp_path)
    trust(config_dir, tmp_path)
    model = ModelServer()
    for name, value in {
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(config_dir),
        "ANTHROPIC_BASE_URL": model.url,
        "ANTHROPIC_API_KEY": API_KEY,
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_MODEL"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield RealClaude(binary, model, home, config_dir, tmux_socket)
    finally:
        model.close()
