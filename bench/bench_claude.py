"""How fast the product tells you the real Claude Code needs you, and that it went on, in one run.

    .venv/bin/python bench/bench_claude.py [--runs 20]

Runs the real Claude Code CLI (``JUPYTER_CLAUDE_TEST_CLAUDE_BIN``, else ``.cache/claude-code``) in a
task's pane through the built-in workflow of a real ``jupyter server``, against the scripted model
server of the tests (loopback, a private HOME). Each run types a prompt whose answer is a Bash tool
call that needs permission, then measures:

- dialog → waiting: from the moment the permission dialog is on screen (``capture-pane`` every
  5 ms) to the ``waiting`` state pushed on ``claude/events``;
- answer → working: from typing Enter in the pane (the person approves) to ``working`` pushed.

Prints p50 and p95 over the runs. The events watcher lists every 0.25 s, so about half a tick is
the floor of both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import Server, percentile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.model_server import ModelServer, Slow, Text, ToolUse  # noqa: E402

API_KEY = "sk-ant-api03-jupyter-claude-bench-0123456789abcdefghij"


def claude_binary() -> Path:
    path = Path(
        os.environ.get("JUPYTER_CLAUDE_TEST_CLAUDE_BIN")
        or REPO / ".cache/claude-code/node_modules/.bin/claude"
    )
    if not path.exists():
        raise SystemExit(f"no Claude Code CLI at {path}: run scripts/setup.sh --test")
    return path


def prepare(folder: Path, model: ModelServer) -> tuple[Path, dict[str, str]]:
    """A repository with task 42, a private HOME and Claude config, and the environment for both."""
    repo = folder / "repo"
    (repo / "tasks").mkdir(parents=True)
    (repo / "tasks" / "42.md").write_text("# Make files when asked\n")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").symlink_to(claude_binary().resolve())
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(folder / "home"),
        "CLAUDE_CONFIG_DIR": str(folder / "claude-config"),
        "XDG_STATE_HOME": str(folder / "state"),
        "ANTHROPIC_BASE_URL": model.url,
        "ANTHROPIC_API_KEY": API_KEY,
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
    }
    for config in (folder / "home", folder / "claude-config"):
        config.mkdir()
        data = {
            "hasCompletedOnboarding": True,
            "customApiKeyResponses": {"approved": [API_KEY[-20:]], "rejected": []},
            "projects": {str(folder): {"hasTrustDialogAccepted": True}},
        }
        (config / ".claude.json").write_text(json.dumps(data))
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "tasks"]):
        subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)
    return repo, env


async def run(runs: int) -> tuple[list[float], list[float]]:
    model = ModelServer()
    socket = f"jc-bench-claude-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        repo, env = prepare(folder, model)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # the server, and the tmux server it starts, inherit it
        server = Server(socket, folder, settings=["--ClaudeSessions.agent_quiet_seconds=2"], root=repo)
        os.environ.clear()
        os.environ.update(saved)

        def screen() -> str:
            done = subprocess.run(
                ["tmux", "-L", socket, "capture-pane", "-p", "-t", "=claude-42:"],
                capture_output=True,
                text=True,
            )
            return done.stdout

        def keys(*words: str) -> None:
            subprocess.run(["tmux", "-L", socket, "send-keys", "-t", "=claude-42:", *words], check=True)

        events = await server.connect("claude/events")
        state: dict[str, Any] = {"value": "", "at": 0.0}

        async def listen() -> None:
            while True:
                frame = await events.read_message()
                if frame is None:
                    return
                message = json.loads(frame)
                session = message.get("session") or {}
                if session.get("id") == "42":
                    state.update(value=session["state"], at=time.perf_counter())

        listener = asyncio.ensure_future(listen())

        async def until(wanted: str, after: float, timeout: float = 60) -> float:
            deadline = time.monotonic() + timeout
            while not (state["value"] == wanted and state["at"] >= after):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no {wanted!r} pushed within {timeout} s:\n{screen()}")
                await asyncio.sleep(0.002)
            return float(state["at"])

        to_waiting, to_working = [], []
        try:
            model.script(Text("Ready."))
            server.request("POST", "claude/42/start", {"attach": False})
            await until("idle", 0)
            for number in range(runs):
                model.script(
                    ToolUse("Bash", {"command": f"touch made-{number}.txt", "description": "Make a file"}),
                    Slow(1.0, Text(f"Made file {number}.")),
                )
                keys(f"make file {number}", "Enter")
                while "Do you want to" not in screen():
                    await asyncio.sleep(0.005)
                shown = time.perf_counter()
                to_waiting.append((await until("waiting", shown - 1.0) - shown) * 1000)
                await asyncio.sleep(0.3)
                answered = time.perf_counter()
                keys("Enter")
                to_working.append((await until("working", answered) - answered) * 1000)
                await until("idle", answered)
                print(
                    f"bench_claude: run {number + 1}: {to_waiting[-1]:.0f} / {to_working[-1]:.0f} ms",
                    file=sys.stderr,
                )
        finally:
            listener.cancel()
            events.close()
            server.stop()
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
            model.close()
    return to_waiting, to_working


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    to_waiting, to_working = asyncio.run(run(args.runs))
    print("| measure | p50 | p95 | runs |")
    print("|---|---:|---:|---:|")
    for label, samples in (
        ("dialog on screen → waiting pushed", to_waiting),
        ("answer → working pushed", to_working),
    ):
        print(
            f"| {label} | {percentile(samples, 0.5):.0f} ms "
            f"| {percentile(samples, 0.95):.0f} ms | {len(samples)} |"
        )


if __name__ == "__main__":
    main()
