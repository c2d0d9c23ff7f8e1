"""What one Claude Code hook event costs the agent, against the physical floor, in one run.

    .venv/bin/python bench/bench_hooks.py [--repeat 60]

Claude Code waits for a ``PreToolUse`` hook before every tool call and runs ours on every tool call
and every turn, so each hook's wall time is time the agent waits. Each registered hook command is
run as Claude Code runs it (``sh -c COMMAND`` with the event's JSON on stdin) against a live tmux
session on a private socket, and compared with the two floors: a bare Python interpreter
(``python -I -S -c pass``: what any Python hook costs before doing anything) and the one
``tmux set-option`` every hook ends in. The Python ``hook`` command of earlier releases (and the
CLI verb that remains) is measured too. Target: <= 15 ms per event. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_claude.core.tmux import scrubbed_environment
from jupyter_claude.workflow.hooks import HookTarget, claude_settings

PAYLOADS: dict[str, dict[str, Any]] = {
    "SessionStart": {"session_id": str(uuid.uuid4()), "transcript_path": "/tmp/t.jsonl", "source": "startup"},
    "UserPromptSubmit": {"prompt": "fix the login form"},
    "PreToolUse": {"tool_name": "Bash", "tool_input": {"command": "pytest -q"}},
    "PostToolUse": {"tool_name": "Bash", "tool_response": {"stdout": "x" * 20_000}},
    "PermissionRequest": {"tool_name": "Bash", "tool_input": {"command": "rm -rf build"}},
    "Stop": {"stop_hook_active": False},
}


def timed(argv: list[str], stdin: bytes, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile wall time (ms) of running ``argv`` with ``stdin``."""
    samples = []
    env = scrubbed_environment()
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    tmux, git = shutil.which("tmux"), shutil.which("git")
    assert tmux and git, "tmux and git are needed"
    socket_name = f"jc-bench-hooks-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        repo.mkdir()
        run: Callable[..., subprocess.CompletedProcess[bytes]] = lambda *a: subprocess.run(  # noqa: E731
            list(a), capture_output=True, check=True, env=scrubbed_environment()
        )
        run(git, "-C", str(repo), "init", "-q", "-b", "main")
        run(
            git,
            "-C",
            str(repo),
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@example.invalid",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        )
        base = run(git, "-C", str(repo), "rev-parse", "HEAD").stdout.decode().strip()
        run(tmux, "-L", socket_name, "new-session", "-d", "-s", "claude-42", "sleep 600")
        try:
            socket = (
                run(tmux, "-L", socket_name, "display-message", "-p", "#{socket_path}")
                .stdout.decode()
                .strip()
            )
            target = HookTarget(
                tmux=tmux,
                socket=socket,
                session="claude-42",
                conversation=str(Path(folder) / "state" / "conversation.json"),
                worktree=str(repo),
                base_commit=base,
                git=git,
            )
            hooks = claude_settings(target)["hooks"]
            rows = []
            python_floor = timed([sys.executable, "-I", "-S", "-c", "pass"], b"", args.repeat)
            tmux_floor = timed(
                [tmux, "-S", socket, "set-option", "-t", "=claude-42:", "@jc_agent_state", "working"],
                b"",
                args.repeat,
            )
            for event, payload in PAYLOADS.items():
                command = hooks[event][0]["hooks"][0]["command"]
                stdin = json.dumps({"hook_event_name": event, "session_id": "s", **payload}).encode()
                rows.append((event, *timed(["sh", "-c", command], stdin, args.repeat)))
            old = [
                sys.executable,
                "-I",
                "-m",
                "jupyter_claude",
                "hook",
                "--socket",
                socket,
                "--session",
                "claude-42",
            ]
            old_time = timed(
                old, json.dumps({"hook_event_name": "PreToolUse"}).encode(), max(10, args.repeat // 3)
            )
        finally:
            subprocess.run([tmux, "-L", socket_name, "kill-server"], capture_output=True, check=False)
    print(
        f"Floors: `python -I -S -c pass` {python_floor[0]:.1f} ms, `tmux set-option` {tmux_floor[0]:.1f} ms"
    )
    print()
    print("| hook event | p50 | p95 | / python floor | / tmux floor | target |")
    print("|---|---:|---:|---:|---:|---|")
    for event, median, p95 in rows:
        print(
            f"| {event} | {median:.1f} ms | {p95:.1f} ms | {median / python_floor[0]:.2f}x "
            f"| {median / tmux_floor[0]:.2f}x | <= 15 ms |"
        )
    print(
        f"| (Python `hook` command, PreToolUse) | {old_time[0]:.1f} ms | {old_time[1]:.1f} ms "
        f"| {old_time[0] / python_floor[0]:.2f}x | {old_time[0] / tmux_floor[0]:.2f}x | |"
    )


if __name__ == "__main__":
    main()
