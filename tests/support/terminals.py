"""Test helpers for terminals: fake programs that record how they were run, and process cleanup.

A fake is a small Python script on a private PATH. Each run appends one JSON line to
``calls/NAME.jsonl`` with its argv, its stdin, its process and session ids and where its stdio
points, prints the stdout configured for the first matching argument prefix, and exits with that
prefix's exit code.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any

_SCRIPT = """\
#!{python}
import json, os, sys
argv = sys.argv
data = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{{fd}}")
    except OSError:
        return None
record = {{
    "argv": argv, "stdin": data, "pid": os.getpid(), "sid": os.getsid(0),
    "stdio": [target(0), target(1), target(2)], "cwd": os.getcwd(),
}}
with open({calls!r}, "a") as log:
    log.write(json.dumps(record) + "\\n")
joined = " ".join(argv[1:])
for prefix, (out, code) in {responses!r}.items():
    if joined.startswith(prefix):
        sys.stdout.write(out)
        sys.exit(code)
sys.exit({exit_code})
"""


class FakePrograms:
    """A folder of fake executables (``.bin``) and the record of their runs."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.calls_dir = root / "calls"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.calls_dir.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> str:
        """A PATH holding only the fakes."""
        return str(self.bin)

    def add(self, name: str, exit_code: int = 0, responses: dict[str, tuple[str, int]] | None = None) -> str:
        """Create fake ``name``; ``responses`` maps an argument prefix to (stdout, exit code)."""
        program = self.bin / name
        program.write_text(
            _SCRIPT.format(
                python=sys.executable,
                calls=str(self.calls_dir / f"{name}.jsonl"),
                responses=responses or {},
                exit_code=exit_code,
            )
        )
        program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return str(program)

    def calls(self, name: str) -> list[dict[str, Any]]:
        """Every recorded run of ``name`` so far."""
        log = self.calls_dir / f"{name}.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    def wait_for(self, name: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The runs of ``name`` once there are ``count`` of them (fails after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(name)
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"{name} ran {len(found)} times, expected {count}"
                return found
            time.sleep(0.02)


def session_members(sid: int) -> list[int]:
    """Process ids whose process session is ``sid`` (read from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 3 and fields[3] == str(sid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def kill_process_session(sid: int, timeout: float = 5.0) -> None:
    """End every process of the session ``sid`` (one we started): SIGTERM, then SIGKILL."""
    if sid <= 1 or sid == os.getsid(0):
        raise AssertionError(f"refusing to kill process session {sid}")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in session_members(sid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while session_members(sid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not session_members(sid):
            return
