"""Task listing speed with many task files, against merely listing and stat-ing them.

    .venv/bin/python bench/bench_tasks.py [--tasks 10000] [--repeat 30]

Writes ``--tasks`` task files (TOML and YAML front matter, a body of about 1 KiB each) into a temp
folder, starts a real ``jupyter server`` with the extension on it (see bench_server.py), and
measures over HTTP on one keep-alive connection, each side taking turns in every round:

- the floor: one ``os.scandir`` of the folder and a ``stat`` of every entry (what any listing that
  notices changed files must do), in this process;
- ``GET claude/tasks`` warm, the full shape (every row with its front matter and a Session);
- ``GET claude/tasks?fields=…`` warm, the compact listing the lab extension asks for;
- ``GET claude/tasks?fields=id&q=…``, a search of the bodies (what the board's filter sends);
- the first (cold) listing, and a listing right after one file changed.

In process (the same core the server runs): how many files a listing reads after one file
changed (``TaskFiles.reads``), and the listing without the cache (every file read and parsed each
time, as before this cache), for comparison. Targets: warm GET <= 100 ms and <= 5x the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from harness import Server, interleaved_ms, progress, timed_ms

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.tasks import load_tasks

COMPACT = "id,title,status,priority,path,valid,invalid_reason,version"
STATUSES = ("🟡 To Do", "🔵 In Progress", "👀 Review", "✅ Done", "Blocked")
PRIORITIES = ("🔼 High", "▶️ Medium", "🔽 Low", "")
BODY = (
    "## What\n\nThe report takes too long; profile `build_summary()` and make it faster without "
    "changing its output. Compare against last night's file.\n\n## Acceptance\n\n"
    + "".join(f"- criterion {n}: the output matches, the run takes under {n} minutes\n" for n in range(12))
)


def write_tasks(folder: Path, count: int) -> None:
    """``count`` task files, every fifth one with YAML front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        status, priority = STATUSES[number % len(STATUSES)], PRIORITIES[number % len(PRIORITIES)]
        if number % 5 == 4:
            head = f"---\nid: t{number}\ntitle: Task number {number}\nstatus: {status}\n"
            head += f"priority: '{priority}'\ncreated_date: 2026-11-20\ntags: [bench, t{number}]\n---\n"
        else:
            head = f'+++\nid = "t{number}"\ntitle = "Task number {number}"\nstatus = "{status}"\n'
            head += f'priority = "{priority}"\ncreated_date = 2026-11-20\ntags = ["bench"]\n+++\n'
        (folder / f"t{number}.md").write_text(f"{head}\n# Task number {number}\n\n{BODY}", encoding="utf-8")


def floor(folder: Path) -> None:
    """List the folder and stat every entry: the least any change-noticing listing does."""
    with os.scandir(folder) as entries:
        for entry in entries:
            entry.stat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    socket_name = f"jc-bench-tasks-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        root = workdir / "root"
        folder = root / "tasks"
        progress(f"writing {args.tasks} task files")
        write_tasks(folder, args.tasks)
        total_bytes = sum(path.stat().st_size for path in folder.iterdir())

        # In process: the cache at work.
        manager = ClaudeSessions(root_dir=str(root), tmux_socket=socket_name, command=["true"])
        started = time.perf_counter()
        manager.overview_text()
        cold_core = (time.perf_counter() - started) * 1000
        files = manager._task_files
        assert files is not None
        reads_before = files.reads
        (folder / "t7.md").write_text((folder / "t7.md").read_text() + "\nedited\n")
        started = time.perf_counter()
        manager.overview_text()
        one_change_core = (time.perf_counter() - started) * 1000
        reads_after_one = files.reads - reads_before
        uncached = statistics.median(timed_ms(lambda: load_tasks(root, ["tasks"])) for _ in range(3))

        progress("starting the server")
        server = Server(socket_name, workdir)
        try:
            started = time.perf_counter()
            full = server.request("GET", "claude/tasks", parse=False)
            cold = (time.perf_counter() - started) * 1000
            compact = server.request("GET", f"claude/tasks?fields={COMPACT}", parse=False)
            progress(f"measuring, {args.repeat} rounds")
            floor_ms, full_ms, compact_ms, search_ms = interleaved_ms(
                [
                    lambda: floor(folder),
                    lambda: server.request("GET", "claude/tasks", parse=False),
                    lambda: server.request("GET", f"claude/tasks?fields={COMPACT}", parse=False),
                    lambda: server.request(
                        "GET", "claude/tasks?fields=id&q=under%2011%20minutes", parse=False
                    ),
                ],
                args.repeat,
            )
            changes = []
            for round_number in range(10):
                path = folder / f"t{round_number * 13}.md"
                path.write_text(path.read_text() + f"\nchange {round_number}\n")
                changes.append(
                    timed_ms(lambda: server.request("GET", f"claude/tasks?fields={COMPACT}", parse=False))
                )
            one_change = statistics.median(changes)
        finally:
            server.stop()
            subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True, check=False)

    print(f"\n{args.tasks} task files, {total_bytes / 1e6:.1f} MB; medians of {args.repeat}\n")
    print("| measure | time | vs floor | target |")
    print("|---|---:|---:|---|")

    def row(name: str, value: float, target: str = "") -> None:
        print(f"| {name} | {value:.1f} ms | {value / floor_ms:.2f}x | {target} |")

    row("floor: scandir + stat of every file", floor_ms)
    row(f"GET claude/tasks, warm, full shape ({len(full) / 1e6:.1f} MB)", full_ms, "<= 100 ms, <= 5x")
    row(
        f"GET claude/tasks?fields=…, warm, compact ({len(compact) / 1e6:.1f} MB)",
        compact_ms,
        "<= 100 ms, <= 5x",
    )
    row("GET claude/tasks?fields=id&q=… (body search)", search_ms)
    row("GET claude/tasks?fields=… right after one file changed", one_change)
    row("GET claude/tasks, cold (the first call reads every file)", cold)
    row("core: the first listing", cold_core)
    row("core: a listing right after one file changed", one_change_core)
    row("core: every file read and parsed (no cache, as before)", uncached)
    print(f"| core: files read after one changed | {reads_after_one} | | 1 |")


if __name__ == "__main__":
    main()
