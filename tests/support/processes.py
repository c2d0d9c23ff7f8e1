"""Processes a test started, found again by PID and ended by PID (never by name).

A server the tests start (JupyterLab, JupyterHub) starts more processes: kernels, the proxy,
single-user servers. They are noted while the server is still their parent, with their kernel
start time so that a PID reused by some other process is never signalled.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

#: PID → its start time in /proc (None: not known).
Processes = dict[int, str | None]


def start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (guards against PID reuse), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so split after its closing paren.
    return stat.rpartition(")")[2].split()[19]


def descendants(root: int) -> dict[int, str]:
    """Every live descendant of ``root`` with its start time, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        started = start_time(pid)
        if started is not None and pid not in found:
            found[pid] = started
            todo.extend(children.get(pid, []))
    return found


def alive(pid: int, started: str | None) -> bool:
    """``pid`` is still the process that was noted."""
    current = start_time(pid)
    return current is not None and (started is None or current == started)


def end(processes: Processes, grace: float = 5.0) -> list[int]:
    """SIGTERM the noted processes still alive, SIGKILL those left after ``grace`` seconds; returns
    the PIDs still alive after that (none, normally)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid, started in processes.items():
            if alive(pid, started):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(alive(pid, when) for pid, when in processes.items()):
            time.sleep(0.1)
    return [pid for pid, started in processes.items() if alive(pid, started)]


def running(*words: bytes) -> list[int]:
    """PIDs of live processes whose command line holds every one of ``words`` (each a whole
    argument, or a part of one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if argv and all(word in argv for word in words):
            found.append(int(entry.name))
    return found
