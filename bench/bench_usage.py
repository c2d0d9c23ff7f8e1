"""Usage in the listing: 50 live tasks, each with a 20 MB transcript, as ratios against the floor.

    .venv/bin/python bench/bench_usage.py [--tasks 50] [--megabytes 20] [--repeat 20]

- first read: ``ClaudeSessions.list()`` on a fresh manager with nothing read before (every
  transcript parsed from its start) vs reading the same bytes (the floor: the files are in the page
  cache, as they are right after the agent wrote them) and vs ``json.loads`` of every line.
- a new process (the CLI, a kernel's ``%claude``, a restarted server): a fresh manager's ``list()``
  when an earlier one left its records on disk (core/usagecache.py), vs ``list()`` without
  transcripts.
- steady state: ``list()`` again with nothing new, and with one answer appended to every transcript
  between two listings (50 agents at work), vs ``list()`` of the same sessions with no transcripts
  at all (one tmux call: the listing's own floor).

The transcripts are made of lines shaped as Claude Code 2.1.197 writes them (prompts, answers in
one line per content block, tool calls, large tool results, turn durations). Everything runs on a
private tmux socket and in a temporary state folder, both removed at the end. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from harness import median_ms, timed_ms
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.conversations import transcripts_file
from jupyter_claude.core.tmux import scrubbed_environment

SLEEP = ["sleep", "600"]
MODEL = "claude-sonnet-4-5-20250929"


def entry(kind: str, **fields: object) -> str:
    base: dict[str, object] = {
        "parentUuid": None,
        "isSidechain": False,
        "type": kind,
        "uuid": str(uuid.uuid4()),
    }
    base.update(timestamp="2026-11-29T23:42:29.076Z", cwd="/work/repo.worktrees/42", version="2.1.197")
    base.update(fields)
    return json.dumps(base, separators=(",", ":"))  # as JSON.stringify writes it


def answer(number: int, content: list[dict[str, object]]) -> str:
    usage = {"input_tokens": 1200, "output_tokens": 300, "cache_read_input_tokens": 40_000}
    usage["cache_creation_input_tokens"] = 900
    message: dict[str, object] = {
        "id": f"msg_{number:08d}",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
    }
    message.update(content=content, stop_reason="tool_use", usage=usage)
    return entry("assistant", message=message)


def transcript_bytes(megabytes: int) -> bytes:
    """About ``megabytes`` MB of transcript: turns of prompt, text, tool call, a 20 KB tool result (a
    file read), answer, turn duration."""
    lines: list[str] = []
    size = 0
    number = 0
    filler = "    return render(template, **values)  # a line of a file the agent read\n" * 280  # 20 KB
    while size < megabytes * 1_000_000:
        number += 1
        turn = [
            entry(
                "user", message={"role": "user", "content": f"step {number}: go on"}, origin={"kind": "human"}
            ),
            answer(number, [{"type": "text", "text": "Let me look at the file first. " * 20}]),
            answer(
                number,
                [
                    {
                        "type": "tool_use",
                        "id": f"toolu_{number}",
                        "name": "Read",
                        "input": {"file_path": "/w/a.py"},
                    }
                ],
            ),
            entry("user", message={"role": "user", "content": [{"type": "tool_result", "content": filler}]}),
            answer(number + 1_000_000, [{"type": "text", "text": "Done: " + "x" * 400}]),
            entry("system", subtype="turn_duration", durationMs=4200, isMeta=False),
        ]
        text = "".join(line + "\n" for line in turn)
        lines.append(text)
        size += len(text)
    return "".join(lines).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="jc-bench-usage-"))
    os.environ["XDG_STATE_HOME"] = str(workdir / "state")
    socket = f"jc-bench-{uuid.uuid4().hex[:8]}"
    tmux = shutil.which("tmux") or "tmux"
    root = workdir / "repo"
    root.mkdir()

    def manager() -> ClaudeSessions:
        return ClaudeSessions(
            config=Config(),
            tmux_socket=socket,
            log_dir=str(workdir / "logs"),
            root_dir=str(root),
            command=SLEEP,
        )

    try:
        content = transcript_bytes(options.megabytes)
        ids = [f"t{number}" for number in range(options.tasks)]
        paths = []
        for task_id in ids:
            path = workdir / "claude" / f"{task_id}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            paths.append(path)
        total_mb = len(content) * len(ids) / 1e6
        sessions = manager()
        for task_id in ids:
            sessions.start(task_id)
        bare = median_ms(sessions.list, options.repeat)  # no transcript lists yet: the listing alone
        for task_id, path in zip(ids, paths):
            listing = transcripts_file(task_id, str(root.resolve()))
            listing.parent.mkdir(parents=True, exist_ok=True)
            listing.write_text(json.dumps({"session_id": task_id, "transcript_path": str(path)}) + "\n")

        def read_all() -> None:
            for path in paths:
                with path.open("rb") as file:
                    while file.read(8 * 1024 * 1024):
                        pass

        def parse_all() -> None:
            for path in paths:
                with path.open("rb") as file:
                    for line in file:
                        json.loads(line)

        read_all()  # the page cache holds them, as it does right after the agents wrote them
        floor_read = statistics.median(timed_ms(read_all) for _ in range(3))
        parse_every_line = timed_ms(parse_all)
        records = workdir / "state" / "jupyter-claude" / "usage-cache"

        def first_read() -> float:
            shutil.rmtree(records, ignore_errors=True)  # nothing read before
            return timed_ms(manager().list)

        first = statistics.median(first_read() for _ in range(3))
        resumed = statistics.median(
            timed_ms(manager().list) for _ in range(5)
        )  # a new process, records on disk
        used = sessions.list()[0].usage
        assert used is not None and used.turns > 0, "the transcripts were not read"
        steady = median_ms(sessions.list, options.repeat)
        appended = [
            answer(9_000_000 + n, [{"type": "text", "text": "more"}]) + "\n" for n in range(options.repeat)
        ]
        rounds = iter(appended)

        def append_one_each() -> None:
            line = next(rounds).encode()
            for path in paths:
                with path.open("ab") as file:
                    file.write(line)

        busy = median_ms(sessions.list, options.repeat, before=append_one_each)
        assert sessions.list()[0].usage.turns == used.turns + options.repeat  # type: ignore[union-attr]
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], env=scrubbed_environment(), capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{options.tasks} live tasks, {options.megabytes} MB transcript each ({total_mb:,.0f} MB in all)\n")
    print("| measure | baseline | baseline | jupyter-claude | ratio |")
    print("|---|---|---:|---:|---:|")
    rows = [
        ("first read", "read the bytes", floor_read, first),
        ("first read", "`json.loads` every line", parse_every_line, first),
        ("a new process (CLI, kernel, restart)", "list() without transcripts", bare, resumed),
        ("list(), nothing new", "list() without transcripts", bare, steady),
        ("list(), one answer more in each", "list() without transcripts", bare, busy),
    ]
    for measure, baseline, base_ms, ours_ms in rows:
        print(
            f"| {measure} | {baseline} | {base_ms:,.1f} ms | {ours_ms:,.1f} ms | {ours_ms / base_ms:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
