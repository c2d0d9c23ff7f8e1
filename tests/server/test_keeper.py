"""With ``resume_after_limit``, the server itself lists the sessions now and then, so an agent whose
limit has reset gets its "continue" although no browser, notebook or CLI looks; without the setting
nothing runs."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude.core import limits, options
from jupyter_claude.server import keeper

from ..support import transcripts as t
from ..support.server import server_config

ECHO = [
    sys.executable,
    "-c",
    "import sys\nfor line in sys.stdin:\n    print('GOT', repr(line.strip()), flush=True)",
]


@pytest.fixture(autouse=True)
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(keeper, "KEEPER_INTERVAL", 0.2)
    monkeypatch.setattr(limits, "RESUME_MARGIN", 0.0)
    monkeypatch.setattr(limits, "DIALOG_PAUSE", 0.1)


@pytest.fixture
def resume() -> bool:
    return True


@pytest.fixture
def jp_server_config(tmux_socket: str, tmp_path: Path, resume: bool) -> dict[str, Any]:
    return server_config(tmux_socket, tmp_path, command=ECHO, resume_after_limit=resume)


async def test_the_server_resumes_a_limited_agent_nobody_watches(
    jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, tmux: Any
) -> None:
    sessions = jp_serverapp.web_app.settings["claude_sessions"]
    # What a real server does once its event loop runs (pytest-jupyter's server does not do it).
    await jp_serverapp.extension_manager.start_all_extensions()
    assert sessions.resume_after_limit and jp_serverapp.web_app.settings["claude_keeper"]._task is not None
    sessions.start("42")
    await asyncio.sleep(1.1)  # the refusal is recorded after the run started
    now = datetime.now(timezone.utc)
    minute = now.replace(second=0, microsecond=0)
    hour = minute.hour % 12 or 12
    clock = f"{hour}:{minute.minute:02d}{'am' if minute.hour < 12 else 'pm'}"
    words = f"You've hit your session limit · resets {clock} (UTC)"
    at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    t.register(
        "42", jp_root_dir, t.write(tmp_path / "p" / "a.jsonl", [t.prompt("go", at), t.refusal(words, at)])
    )
    tmux("set-option", "-t", "=claude-42:", options.AGENT, "claude")
    tmux("set-option", "-t", "=claude-42:", options.AGENT_STATE, "limited")
    deadline = time.monotonic() + 20
    while "continue" not in sessions.read_log("42") and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert sessions.read_log("42").count("GOT") == 1 and "continue" in sessions.read_log("42")


@pytest.mark.parametrize("resume", [False])
async def test_nothing_runs_without_the_setting(jp_serverapp: Any) -> None:
    await jp_serverapp.extension_manager.start_all_extensions()
    assert jp_serverapp.web_app.settings["claude_keeper"]._task is None
