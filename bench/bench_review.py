"""Review speed (conflicts between tasks, a task's diff) against raw git on the same machine.

    .venv/bin/python bench/bench_review.py [--tasks 20] [--files 400] [--repeat 30]

Builds a repository of ``--files`` text files with ``--tasks`` task worktrees beside it (branch
``task/tN``, two commits each: a file of its own, and one of five shared files, so that tasks five
apart collide on the same lines), plus a task whose change is 5,000 lines. Then measures:

- conflicts, cold: every pair of live tasks and each against the base, nothing cached
  (``check_conflicts`` with a fresh cache) vs ONE ``git merge-tree --stdin`` of all those pairs (the
  floor) and vs one ``git merge-tree --write-tree`` call per pair (what a naive check costs).
  Target <= 2 s.
- conflicts, warm: ``ClaudeSessions.conflicts()`` again with nothing changed, in process and as
  ``GET claude/conflicts`` on a real ``jupyter server``, vs one ``git worktree list --porcelain``
  (what it must still ask git) and one ``git merge-tree`` call. Target <= 50 ms.
- diff: ``GET claude/{id}/diff`` of the 5,000-line change (and ``ClaudeSessions.diff`` in process)
  vs one raw ``git diff BASE...task/ID``.

Prints a markdown table; the Jupyter server is stopped and the folder removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from harness import Server, interleaved_ms, median_ms, progress
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.conflicts import ConflictCache, check_conflicts

IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    """git in ``cwd``; its stdout (merge-tree's exit 1 for conflicts is fine)."""
    done = subprocess.run(
        ["git", "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **IDENTITY},
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def text_file(seed: int, lines: int = 50) -> str:
    """A file of numbered lines."""
    return "".join(
        f"file {seed} line {n}: the quick brown fox jumps over the lazy dog\n" for n in range(lines)
    )


def build(root: Path, tasks: int, files: int) -> Path:
    """The repository (main checkout at ``root/repo``) with its task worktrees; returns the checkout."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for number in range(files):
        path = repo / f"dir{number % 20}" / f"file{number}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text_file(number))
    (repo / "shared").mkdir()
    for number in range(5):
        (repo / "shared" / f"common{number}.txt").write_text(text_file(10_000 + number, 200))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    worktrees = root / "repo.worktrees"
    for number in range(tasks):
        path = worktrees / f"t{number}"
        git(repo, "worktree", "add", "-q", "-b", f"task/t{number}", str(path), "main")
        own = path / f"dir{number % 20}" / f"file{number}.txt"
        own.write_text(own.read_text().replace("line 3:", f"line 3 (task {number}):"))
        git(path, "commit", "-q", "-am", "own file")
        shared = path / "shared" / f"common{number % 5}.txt"
        lines = shared.read_text().splitlines(keepends=True)
        row = 10  # tasks five apart edit the same line of the same file
        lines[row] = f"edited by task {number}\n"
        shared.write_text("".join(lines))
        git(path, "commit", "-q", "-am", "shared file")
    big = worktrees / "big"
    git(repo, "worktree", "add", "-q", "-b", "task/big", str(big), "main")
    (big / "big.txt").write_text("".join(f"new line {n}: {'x' * 40}\n" for n in range(5000)))
    git(big, "add", "big.txt")
    git(big, "commit", "-q", "-m", "5,000 lines")
    return repo


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="jc-bench-review-"))
    server: Server | None = None
    try:
        progress(f"building a repository of {options.files} files and {options.tasks + 1} task worktrees")
        repo = build(workdir, options.tasks, options.files)
        sessions = ClaudeSessions(config=Config(), root_dir=str(repo), log_dir=str(workdir / "logs"))
        report = check_conflicts(repo, ConflictCache())
        commits = {**report.tasks, "BASE": git(repo, "rev-parse", "HEAD").strip()}
        ids = sorted(commits)
        pairs = [(commits[a], commits[b]) for i, a in enumerate(ids) for b in ids[i + 1 :]]
        stdin = "".join(f"{a} {b}\n" for a, b in pairs)
        a, b = pairs[0]

        progress(f"conflicts, cold ({len(pairs)} pairs)")
        cold, one_stdin = interleaved_ms(
            [
                lambda: check_conflicts(repo, ConflictCache()),
                lambda: git(repo, "merge-tree", "--stdin", "-z", "--name-only", stdin=stdin),
            ],
            7,
        )
        per_pair = median_ms(
            lambda: [git(repo, "merge-tree", "--write-tree", "--name-only", x, y) for x, y in pairs], 3
        )

        progress("starting a jupyter server on the repository")
        server = Server(f"jc-bench-{uuid.uuid4().hex[:8]}", workdir, settings=[], root=repo)
        server.get("claude/conflicts")
        sessions.conflicts()
        http = server

        progress("conflicts, warm")
        warm, warm_http, listing, one_merge = interleaved_ms(
            [
                sessions.conflicts,
                lambda: http.get("claude/conflicts"),
                lambda: git(repo, "worktree", "list", "--porcelain"),
                lambda: git(repo, "merge-tree", "--write-tree", "--name-only", a, b),
            ],
            options.repeat,
        )

        progress("diff of a 5,000-line change")
        ours_diff, http_diff, raw_diff = interleaved_ms(
            [
                lambda: json.dumps(sessions.diff("big").to_json()),
                lambda: http.get("claude/big/diff"),
                lambda: git(repo, "diff", "HEAD...refs/heads/task/big"),
            ],
            options.repeat,
        )
        size = len(server.get("claude/big/diff"))

        conflicts = len(report.conflicts)
        merge, listed, diffed = (
            "one `git merge-tree --write-tree`",
            "one `git worktree list`",
            "one `git diff`",
        )
        rows: list[tuple[Any, ...]] = [
            (f"conflicts, cold ({len(pairs)} pairs, {conflicts} conflicting)", "one `git merge-tree --stdin`",
             one_stdin, cold, "<= 2 s"),
            ("", f"{len(pairs)} x `git merge-tree --write-tree`", per_pair, cold, ""),
            ("conflicts, warm (nothing changed)", listed, listing, warm, "<= 50 ms"),
            ("", merge, one_merge, warm, ""),
            ("GET claude/conflicts, warm", merge, one_merge, warm_http, "<= 50 ms"),
            (f"diff, 5,000 lines, in process ({size // 1024} KiB JSON)", diffed, raw_diff, ours_diff, ""),
            ("GET claude/{id}/diff, same change", diffed, raw_diff, http_diff, ""),
        ]  # fmt: skip
        print("| measure | raw git baseline | baseline | jupyter-claude | ratio | target |")
        print("|---|---|---:|---:|---:|---|")
        for measure, what, base, ours, target in rows:
            print(f"| {measure} | {what} | {base:.1f} ms | {ours:.1f} ms | {ours / base:.2f}x | {target} |")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
