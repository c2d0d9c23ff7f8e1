"""Fixtures and fakes for the workflow tests (this module holds no tests of its own).

Fake agent programs are put first on PATH (a pane's PATH follows the client that ran new-session):
each records its argv, cwd and environment as one JSON line. The fake ``claude`` also behaves like
Claude Code towards hooks: it reads its ``--settings`` file and, for each step the test hands it
(a numbered JSON file in a folder), prints text and runs the hook commands registered for the
step's event whose matcher matches, with the JSON Claude Code sends on stdin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions

from .data import wait_for

TASK_42 = """+++
id = "42"
title = "Fix the login form"
status = "🟡 To Do"
priority = "▶️ Medium"
assigned_to = "alice"
+++

# Fix the login form

The login form loses the password field after one failed attempt.
Keep {braces} and $dollars as they are.
"""

_RECORDER = """\
import json, os, sys
with open({record!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps({{"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}}) + "\\n")
"""

_SLEEP = "import time; print('fake agent ready', flush=True); time.sleep(600)\n"

_FAKE_CLAUDE = """\
import json, os, re, subprocess, sys, time
from pathlib import Path

args = sys.argv[1:]
def option(name):
    return args[args.index(name) + 1] if name in args else None

settings = json.loads(Path(option("--settings")).read_text()) if option("--settings") else {{}}
session_id = option("--session-id") or option("--resume") or "no-session-id"
config = Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")
transcript = config / "projects" / re.sub(r"[^A-Za-z0-9]", "-", os.getcwd()) / (session_id + ".jsonl")
transcript.parent.mkdir(parents=True, exist_ok=True)
transcript.touch()

def matches(matcher, value):
    return matcher in (None, "", "*") or re.fullmatch(matcher, value or "") is not None

def fire(event, extra=None, matcher_value=None):
    payload = {{"session_id": session_id, "transcript_path": str(transcript), "cwd": os.getcwd(),
               "hook_event_name": event, **(extra or {{}})}}
    for entry in settings.get("hooks", {{}}).get(event, []):
        if not matches(entry.get("matcher"), matcher_value):
            continue
        for hook in entry["hooks"]:
            done = subprocess.run(hook["command"], shell=True, input=json.dumps(payload), text=True,
                                  capture_output=True, timeout=hook.get("timeout", 60))
            with open({hook_log!r}, "a") as log:
                log.write(json.dumps({{"event": event, "command": hook["command"], "rc": done.returncode,
                                      "stdout": done.stdout, "stderr": done.stderr}}) + "\\n")

print("fake Claude Code: session", session_id, flush=True)
fire("SessionStart", {{"source": "resume" if option("--resume") else "startup"}}, "startup")
steps = Path({steps!r})
number = 1
while True:
    step_file = steps / f"{{number:03d}}.json"
    if not step_file.exists():
        time.sleep(0.01)
        continue
    step = json.loads(step_file.read_text())
    if "print" in step:
        sys.stdout.write(step["print"])
        sys.stdout.flush()
    if "exit" in step:
        fire("SessionEnd", {{"reason": "exit"}}, "exit")
        (steps / f"{{number:03d}}.done").touch()
        sys.exit(step["exit"])
    if "event" in step:
        fire(step["event"], step.get("extra"), step.get("matcher_value"))
    (steps / f"{{number:03d}}.done").touch()
    number += 1
"""


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its stdout."""
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


@dataclass
class Agents:
    """The fake agents of one test: where they are and what they recorded."""

    bin_dir: Path
    record: Path
    steps: Path
    hook_log: Path

    def install(self, name: str, script: str) -> Path:
        """Write an executable Python program called ``name`` into the fake bin folder."""
        path = self.bin_dir / name
        path.write_text(f"#!{sys.executable}\n{script}", encoding="utf-8")
        path.chmod(0o755)
        return path

    def install_recorder(self, name: str, then: str = _SLEEP) -> Path:
        """A fake agent that records how it was started, then runs ``then``."""
        return self.install(name, _RECORDER.format(record=str(self.record)) + then)

    def install_claude(self) -> Path:
        """The fake Claude Code (records its start, then plays the steps the test writes)."""
        script = _FAKE_CLAUDE.format(steps=str(self.steps), hook_log=str(self.hook_log))
        return self.install("claude", _RECORDER.format(record=str(self.record)) + script)

    def records(self) -> list[dict[str, Any]]:
        """Every start recorded so far, oldest first."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text(encoding="utf-8").splitlines()]

    def step(self, **step: Any) -> None:
        """Hand the fake claude its next step and wait until it has run it (hooks included)."""
        number = len(list(self.steps.glob("*.json"))) + 1
        temporary = self.steps / f"{number:03d}.tmp"
        temporary.write_text(json.dumps(step), encoding="utf-8")
        temporary.rename(self.steps / f"{number:03d}.json")
        wait_for(lambda: (self.steps / f"{number:03d}.done").exists())

    def reset_steps(self) -> None:
        """Start the step numbering over (for a second run of the fake claude)."""
        for path in self.steps.iterdir():
            path.unlink()

    def hook_runs(self) -> list[dict[str, Any]]:
        """Every hook command the fake claude ran, with its exit code and output."""
        if not self.hook_log.exists():
            return []
        return [json.loads(line) for line in self.hook_log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agents:
    """Fake agents first on PATH; state, Claude config and git identity kept inside tmp_path.

    Set before the test's tmux server starts, so the panes inherit them too.
    """
    bin_dir = tmp_path / "fake-bin"
    steps = tmp_path / "steps"
    bin_dir.mkdir()
    steps.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    monkeypatch.setenv("SHELL", "/bin/sh")
    for variable in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(variable, "Test")
    for variable in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(variable, "test@example.invalid")
    return Agents(
        bin_dir=bin_dir, record=tmp_path / "record.jsonl", steps=steps, hook_log=tmp_path / "hooks.jsonl"
    )


@pytest.fixture
def git_root(task_root: Path, agents: Agents) -> Path:
    """A git repository (branch main, one commit) holding tasks/42.md."""
    (task_root / "tasks" / "42.md").write_text(TASK_42, encoding="utf-8")
    (task_root / "README.md").write_text("main checkout\n", encoding="utf-8")
    git(task_root, "init", "-q", "-b", "main")
    git(task_root, "add", ".")
    git(task_root, "commit", "-q", "-m", "initial")
    return task_root


@pytest.fixture
def workflow(tmux_socket: str, tmp_path: Path, git_root: Path) -> Iterator[ClaudeSessions]:
    """A manager running the built-in workflow (no command configured) on the private socket."""
    yield ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(git_root),
        agent_quiet_seconds=2,
    )
