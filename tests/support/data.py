"""Data and helpers every test layer shares: the invalid ids, the Session keys, a harmless command."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The repository checkout the tests run in.
REPO = Path(__file__).resolve().parents[2]

#: Ids the core must reject: every front end's tests use this list.
INVALID_IDS = [
    "../x",
    "a.b",
    "a:b",
    "-t",
    "x#(touch f)",
    "$1",
    "a b",
    "42\n",
    "٤٢",
    "",
    "a" * 65,
    "_x",
    "a/b",
    "=a",
    "a;b",
    "%1",
    "@1",
    "a\x00b",
    "ａ",
]

#: The keys of Session.to_json(), exactly.
SESSION_KEYS = {
    "id", "name", "running", "state", "exit_status", "attached_clients", "started_at", "command",
    "cwd", "pid", "agent", "branch", "worktree", "ahead", "cols", "rows", "log", "pending", "usage",
    "limit", "queue",
}  # fmt: skip

#: A harmless long-running command for sessions that should stay alive.
SLEEPER = [sys.executable, "-c", "import time; print('ready {id}', flush=True); time.sleep(600)"]


def wait_for(
    predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition", interval: float = 0.02
) -> Any:
    """Poll until ``predicate()`` is truthy and return its value; fail after ``timeout`` seconds
    (a hang detector, not a speed test)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(interval)
