"""``jupyter claude diff|conflicts|land`` through subprocess, on a real git repository: text, colours on
a terminal (a real pty) and plain when piped, ``--json`` shapes, exit codes (refusal 1, bad input 2)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..support.repos import Repo, line
from .conftest import Run


@pytest.fixture
def repo(task_root: Path) -> Repo:
    """The CLI's working folder as a repository: task 42 edits f.txt; a and b collide."""
    repo = Repo(task_root.parent)
    repo.task("42", {"f.txt": line(8, "eight"), "new.txt": "new\n"})
    repo.task("a", {"f.txt": line(2, "two-a")})
    repo.task("b", {"f.txt": line(2, "two-b")})
    return repo


def test_diff_text_plain_when_piped(cli: Run, repo: Repo) -> None:
    out = cli("diff", "42").stdout
    head, patch = out.split("\n\n", 1)
    assert head.splitlines() == [
        f"task/42 against main: 1 commit(s) ahead, 0 behind (worktree {repo.worktree('42')})",
        "commits:",
        head.splitlines()[2],
        "files: 2 changed, +2 -1",
        "  M  f.txt  +1 -1",
        "  A  new.txt  +1 -0",
    ]
    assert head.splitlines()[2].startswith(f"  {repo.head('task/42')[:8]}  42: step 1  (Ada Tester, ")
    assert patch.startswith("diff --git a/f.txt b/f.txt\n") and "\x1b[" not in out
    assert "-8\n+eight\n" in patch
    assert cli("diff", "42", "--stat").stdout == head + "\n"


def test_diff_in_colour_on_a_terminal(cli_env: dict[str, str], task_root: Path, repo: Repo) -> None:
    main, secondary = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_claude", "diff", "42"],
        stdout=secondary,
        stderr=subprocess.PIPE,
        cwd=task_root,
        env={k: v for k, v in cli_env.items() if k != "NO_COLOR"},
        timeout=60,
        check=False,
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert done.returncode == 0, done.stderr
    text = shown.decode()
    assert "\x1b[32m+eight\x1b[0m" in text and "\x1b[31m-8\x1b[0m" in text
    assert "\x1b[1mdiff --git a/f.txt b/f.txt\x1b[0m" in text and "\x1b[36m@@" in text


def test_diff_json_and_the_404_case(cli: Run, repo: Repo) -> None:
    data = json.loads(cli("diff", "42", "--json").stdout)
    assert (data["branch"], data["ahead"], [f["path"] for f in data["files"]]) == (
        "task/42",
        1,
        ["f.txt", "new.txt"],
    )
    assert "patch" not in json.loads(cli("diff", "42", "--stat", "--json").stdout)
    missing = cli("diff", "7", check_code=1)
    assert missing.stdout == "" and missing.stderr.startswith("error: task 7 has no worktree")
    assert len(missing.stderr.splitlines()) == 1
    assert cli("diff", "../x", check_code=2).stderr.startswith("error:")


def test_conflicts(cli: Run, repo: Repo) -> None:
    assert cli("conflicts").stdout == "⚠ a and b conflict in f.txt\n"
    data = json.loads(cli("conflicts", "--json").stdout)
    assert data["conflicts"] == [{"tasks": ["a", "b"], "files": ["f.txt"], "base": False}]
    repo.git("worktree", "remove", str(repo.worktree("b")))
    assert cli("conflicts").stdout == "no conflicts between the 2 live task(s) and main\n"


def test_land_lands_or_refuses_with_exit_1(cli: Run, repo: Repo) -> None:
    out = cli("land", "a", "--squash").stdout.splitlines()
    assert out[0].startswith("landed task/a in main (squash): 1 commit(s), 1 file(s); main is now ")
    before = repo.state()
    refused = cli("land", "b", check_code=1)
    assert (
        refused.stderr
        == "error: task/b conflicts with main in f.txt: resolve it in the task's worktree "
        + ("(merge or rebase main there), then land again\n")
    )
    assert repo.state() == before
    (repo.worktree("42") / "wip.txt").write_text("wip\n")
    assert "uncommitted work" in cli("land", "42", check_code=1).stderr
    landed = cli("land", "42", "--rebase", "--cleanup", "--commit-uncommitted", "-m", "wip", "--json")
    data: dict[str, Any] = json.loads(landed.stdout)
    assert data["strategy"] == "rebase" and data["committed_uncommitted"]
    assert data["cleanup"] == {
        "stopped": False,
        "worktree_removed": True,
        "branch_deleted": True,
        "problems": [],
    }
    assert (repo.root / "wip.txt").read_text() == "wip\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["land", "a", "--squash", "--rebase"], "error: choose one of --squash and --rebase"),
        (["land", "a", "-m", "x"], "error: -m/--message is the message of --commit-uncommitted: pass both"),
        (["land", "a", "--octopus"], "jupyter claude: unrecognized arguments: --octopus"),
    ],
)
def test_bad_land_flags_exit_2_and_change_nothing(
    cli: Run, repo: Repo, args: list[str], message: str
) -> None:
    before = repo.state()
    done = cli(*args, check_code=2)
    assert done.stderr.strip() == message
    assert repo.state() == before
