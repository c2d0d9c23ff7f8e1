"""Sessions started by the previous release (0.1.0, before the layered package) are still listed,
streamed, answered for and stopped by this one: the session is made here with that release's exact
tmux command chain and option layout (no ``@jc_log``, a log writer given only the log and its limit,
the agent options its workflow wrote), then read through the REST API, the stream and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jupyter_claude.core import logpipe

from ..support.data import REPO, wait_for
from ..support.server import Fetch, body, output_of, post, read_frames, tmux_run

#: What 0.1.0 ran in a new session (SLEEPER-like: print, then wait).
COMMAND = [sys.executable, "-c", "import time; print('old release says hi', flush=True); time.sleep(600)"]


def start_like_the_previous_release(tmux_socket: str, log_dir: Path, cwd: Path) -> None:
    """0.1.0's ``ClaudeSessions.start``: one tmux invocation, its metadata, its pipe command."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "42.log"
    meta = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cwd": str(cwd),
        "command": COMMAND,
    }
    meta["log_offset"] = 0
    pipe = f"exec {sys.executable} -I -S {logpipe.__file__} {log} 10485760"
    commands = [
        ["new-session", "-d", "-s", "claude-42", "-c", str(cwd), "-e", "JUPYTER_CLAUDE_TASK_ID=42",
         "--", "env", "-u", "CLAUDECODE", *COMMAND],
        ["set-option", "-p", "remain-on-exit", "on"],
        ["set-option", "set-titles", "on"],
        ["set-option", "set-titles-string", "#{session_name}"],
        ["set-option", "@jc_meta", json.dumps(meta)],
        ["set-option", "@jc_agent_state", ""],
        ["set-option", "-F", "@jc_pane", "#{pane_id}"],
        ["pipe-pane", pipe],
    ]  # fmt: skip
    argv: list[str] = []
    for command in commands:
        argv += ([";"] if argv else []) + command
    done = tmux_run(tmux_socket, *argv)
    assert done.returncode == 0, done.stderr


async def test_a_session_of_the_previous_release(
    jp_fetch: Fetch, jp_ws_fetch: Any, tmux_socket: str, tmp_path: Path, jp_root_dir: Path
) -> None:
    start_like_the_previous_release(tmux_socket, tmp_path / "logs", jp_root_dir)
    log = tmp_path / "logs" / "42.log"
    wait_for(lambda: log.exists() and b"old release says hi" in log.read_bytes())
    # Listed, with everything the old metadata says, and a log writer that is alive ("ok").
    status = body(await jp_fetch("claude", "42", "status"))
    assert status["running"] and status["state"] == "running" and status["command"] == COMMAND
    assert status["cwd"] == str(jp_root_dir) and status["log"] == "ok" and status["pending"] is None
    assert [s["id"] for s in body(await jp_fetch("claude", "sessions"))["sessions"]] == ["42"]
    # Streamed: the screen first, then live bytes.
    ws = await jp_ws_fetch("claude", "42", "stream")
    frames = await read_frames(ws, lambda f: b"old release says hi" in output_of(f), timeout=5)
    assert b"old release says hi" in output_of(frames)
    ws.close()
    # Its log reads as text, and the CLI lists it too.
    assert (await jp_fetch("claude", "42", "log")).body.decode().strip() == "old release says hi"
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env["JUPYTER_CLAUDE_TMUX_SOCKET"] = tmux_socket
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter_claude", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    assert [s["id"] for s in json.loads(listed.stdout)["sessions"]] == ["42"]
    # Stopped.
    stopped = body(await post(jp_fetch, "claude", "42", "stop"))
    assert stopped["stopped"] is True
    assert "claude-42" not in tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout
