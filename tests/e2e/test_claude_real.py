"""The claude profile with the real Claude Code CLI (from npm).

Claude Code starts here but cannot reach its service: it draws its start screen, says so and exits.
That is enough to check, with the real program, that our argv and ``--settings`` file are accepted,
that its screen reaches the task log, that the session ends "exited" with Claude Code's own exit
code, and that nothing hangs. The binary comes from ``JUPYTER_CLAUDE_TEST_CLAUDE_BIN``, else it is
installed once into ``.cache/claude-code`` (gitignored) with ``npm install --prefix``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import options
from jupyter_claude.core.logs import strip_ansi
from jupyter_claude.workflow.agents import agent_profile

from ..support.agents import Agents, wait_for
from ..support.data import REPO

CACHE = REPO / ".cache" / "claude-code"


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
        assert npm, "the real-Claude test needs npm (Node 18+) to install @anthropic-ai/claude-code"
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "@anthropic-ai/claude-code"],
            check=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    assert binary.exists(), f"npm did not install {binary}"
    return binary


@pytest.fixture
def real_claude(agents: Agents, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real ``claude`` first on PATH, with a throwaway HOME (its config dir is already one)."""
    binary = claude_binary()
    (agents.bin_dir / "claude").symlink_to(binary.resolve())
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return binary


def test_real_claude_code_starts_shows_its_screen_and_exits_with_its_code(
    workflow: ClaudeSessions, real_claude: Path, agents: Agents, tmp_path: Path
) -> None:
    version = subprocess.run([str(real_claude), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "Claude Code" in version.stdout

    session = workflow.start("42")
    assert session.created
    exited = wait_for(lambda: (s := workflow.status("42")).state == "exited" and s, timeout=120, interval=0.2)
    log = strip_ansi(workflow.read_log("42"))
    # Its screen draws spaces as cursor moves: compare without whitespace.
    squeezed = "".join(log.split())
    assert "agent claude (new conversation" in log
    assert "WelcometoClaudeCode" in squeezed, log[-3000:]
    # Its own exit code (it cannot reach its service), not ours: 127 would mean it never ran.
    assert exited.exit_status not in (None, 0, 127), log[-3000:]
    assert exited.badge == f"🔴 exited ({exited.exit_status})"
    assert "Settingsfilenotfound" not in squeezed and "unknownoption" not in squeezed.lower()
    # It kept its state in the test's CLAUDE_CONFIG_DIR: the user's ~/.claude is not involved.
    assert (tmp_path / "claude-config" / ".claude.json").exists()


def test_real_claude_code_runs_our_hook_command(
    workflow: ClaudeSessions, real_claude: Path, agents: Agents, tmux: Any
) -> None:
    # In print mode Claude Code fires SessionStart, UserPromptSubmit and SessionEnd before it finds
    # it is not logged in: our hook command, from our settings file, runs for real.
    claude = agent_profile("claude")
    workflow.agents = {"claude": {"argv": [claude.argv[0], "-p", *claude.argv[1:]]}}
    workflow.start("42")
    exited = wait_for(lambda: (s := workflow.status("42")).state == "exited" and s, timeout=120, interval=0.2)
    assert exited.exit_status not in (None, 0, 127), workflow.read_log("42")[-3000:]
    (conversation_file,) = (Path(os.environ["XDG_STATE_HOME"]) / "jupyter-claude" / "conversations").iterdir()
    remembered = json.loads(conversation_file.read_text())
    # The SessionStart hook recorded the transcript path Claude Code chose for our session id.
    assert remembered["transcript_path"].endswith(remembered["session_id"] + ".jsonl"), remembered
    state = tmux("show-options", "-v", "-t", "=claude-42:", options.AGENT_STATE).stdout.strip()
    assert state == "idle"  # SessionEnd came last
