"""Core speed as ratios against raw tmux on the same machine, in one run.

    .venv/bin/python bench/bench_core.py [--sessions 200] [--repeat 30]

- start: ``ClaudeSessions.start`` (session alive, remain-on-exit, metadata, log piping set up)
  vs ``tmux new-session -d`` of the same command. Target <= 3x.
- list: ``ClaudeSessions.list()`` with N live sessions vs one raw ``tmux list-sessions -F`` and vs
  N raw ``tmux has-session`` calls (what per-session polling would cost). Target <= 2x the former.

Everything runs on a private tmux socket that is killed at the end. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

from harness import SLEEP, median_ms
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.tmux import scrubbed_environment


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()

    socket = f"jc-bench-{uuid.uuid4().hex[:8]}"
    tmux = shutil.which("tmux") or "tmux"
    env = scrubbed_environment()

    def raw(*args: str) -> None:
        subprocess.run([tmux, "-L", socket, *args], env=env, capture_output=True, check=False)

    logs = tempfile.mkdtemp(prefix="jc-bench-logs-")
    sessions = ClaudeSessions(config=Config(), tmux_socket=socket, log_dir=logs, command=SLEEP)
    counter = iter(range(10**9))
    try:
        raw("new-session", "-d", "-s", "keepalive", *SLEEP)  # a warm server for both sides
        raw_start = median_ms(
            lambda: raw("new-session", "-d", "-s", f"raw-{next(counter)}", *SLEEP), options.repeat
        )
        ours_start = median_ms(lambda: sessions.start(f"s{next(counter)}"), options.repeat)
        raw("kill-server")
        time.sleep(0.2)

        raw("new-session", "-d", "-s", "keepalive", *SLEEP)
        for number in range(options.sessions):
            sessions.start(f"t{number}")
        assert len(sessions.list()) == options.sessions
        fmt = "#{session_name}\t#{session_attached}\t#{session_created}"
        raw_list = median_ms(lambda: raw("list-sessions", "-F", fmt), options.repeat)
        ours_list = median_ms(sessions.list, options.repeat)
        names = [f"claude-t{number}" for number in range(options.sessions)]

        def poll_each() -> None:
            for name in names:
                raw("has-session", "-t", f"={name}")

        per_session = median_ms(poll_each, 3)
    finally:
        raw("kill-server")
        shutil.rmtree(logs, ignore_errors=True)

    rows = [
        ("start", "`tmux new-session -d`", raw_start, ours_start, 3.0),
        (f"list, {options.sessions} live", "one `tmux list-sessions -F`", raw_list, ours_list, 2.0),
        (
            f"list, {options.sessions} live",
            f"{options.sessions} x `tmux has-session`",
            per_session,
            ours_list,
            None,
        ),
    ]
    print(
        f"tmux {subprocess.run([tmux, '-V'], capture_output=True, text=True).stdout.strip()}, "
        f"Python {sys.version.split()[0]}, median of {options.repeat}\n"
    )
    print("| operation | raw tmux baseline | baseline ms | jupyter-claude ms | ratio | target |")
    print("|---|---|---:|---:|---:|---|")
    for name, baseline, base_ms, ours_ms, target in rows:
        ratio = ours_ms / base_ms
        verdict = "" if target is None else f"<= {target:g}x {'met' if ratio <= target else 'MISSED'}"
        print(f"| {name} | {baseline} | {base_ms:.1f} | {ours_ms:.1f} | {ratio:.2f}x | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
