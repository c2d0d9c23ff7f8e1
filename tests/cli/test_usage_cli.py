"""``jupyter claude usage [ID…] [--json]`` with its total row, and ``start A B C`` (queued), through
subprocess with a private config, transcripts written as Claude Code writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support import transcripts as t
from ..support.data import wait_for
from .conftest import Run


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CLI's environment with the test's state folder (where the transcript lists are)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return {**cli_env, "XDG_STATE_HOME": str(tmp_path / "state")}


def test_usage_table_with_a_total_row(cli: Run, env: dict[str, str], task_root: Path, tmp_path: Path) -> None:
    first = t.write(
        tmp_path / "p" / "a.jsonl", [*t.answer("m1", (100_000, 20_000, 300_000, 40_000)), t.turn(65_000)]
    )
    second = t.write(tmp_path / "p" / "b.jsonl", t.answer("m2", (10, 5, 0, 0), model="claude-haiku-4-5"))
    t.register("42", task_root, first)
    t.register("fix-login", task_root, second)
    table = cli("usage", env=env).stdout.splitlines()
    assert table[0].split() == [
        "ID", "STATE", "INPUT", "OUTPUT", "CACHE", "READ", "CACHE", "WRITE",
        "TURNS", "WORKING", "COST", "MODELS",
    ]  # fmt: skip
    rows = {line.split()[0]: line for line in table[1:]}
    assert set(rows) == {"42", "fix-login", "TOTAL"}
    assert rows["42"].split()[1:] == [
        "⚫", "stopped", "100k", "20k", "300k", "40k", "1", "1m", "05s", "$0.84",
        "claude-sonnet-4-5-20250929",
    ]  # fmt: skip
    assert rows["TOTAL"].split()[1:] == [
        "100k", "20k", "300k", "40k", "2", "1m", "05s", "$0.84",
        "claude-sonnet-4-5-20250929,", "claude-haiku-4-5",
    ]  # fmt: skip
    assert table[-1].startswith("TOTAL")
    only = cli("usage", "fix-login", env=env).stdout.splitlines()
    assert [line.split()[0] for line in only[1:]] == ["fix-login", "TOTAL"]

    data = json.loads(cli("usage", "--json", env=env).stdout)
    assert set(data) == {"tasks", "total"}
    tasks = {row["id"]: row for row in data["tasks"]}
    assert tasks["42"]["usage"] == {
        "input_tokens": 100_000,
        "output_tokens": 20_000,
        "cache_read_tokens": 300_000,
        "cache_write_tokens": 40_000,
        "turns": 1,
        "models": ["claude-sonnet-4-5-20250929"],
        "working_seconds": 65.0,
        "cost": pytest.approx(0.84),
    }
    assert tasks["fix-login"]["usage"]["cost"] == pytest.approx((10 * 1 + 5 * 5) / 1e6)
    assert data["total"]["turns"] == 2 and data["total"]["cost"] == pytest.approx(
        tasks["42"]["usage"]["cost"] + tasks["fix-login"]["usage"]["cost"]
    )


def test_usage_reports_bad_transcripts_and_prices_on_stderr(
    cli: Run, env: dict[str, str], task_root: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "p" / "a.jsonl"
    broken.parent.mkdir(parents=True)
    broken.write_text(t.answer("m1", model="claude-next-1")[0] + "\n{cut short\n", encoding="utf-8")
    t.register("42", task_root, broken)
    done = cli("usage", "42", "--ClaudeSessions.prices={'claude-next-1': 5}", env=env)
    assert "1 line(s) are not JSON objects" in done.stderr
    assert "prices['claude-next-1'] must be a mapping" in done.stderr
    [_, row, total] = done.stdout.splitlines()
    assert "cost unknown" in row and "cost unknown" in total


def test_usage_of_nothing_and_of_bad_ids(cli: Run, env: dict[str, str]) -> None:
    empty = cli("usage", "--json", env=env)
    assert {row["id"]: row["usage"] for row in json.loads(empty.stdout)["tasks"]} == {
        "42": None,
        "fix-login": None,
    }
    assert json.loads(empty.stdout)["total"] is None
    bad = cli("usage", "a.b", env=env, check_code=2)
    assert bad.stdout == "" and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_start_several_queues_them(cli: Run, env: dict[str, str], tmux: Any) -> None:
    done = cli("start", "42", "fix-login", "--ClaudeSessions.start_interval=0.3", env=env)
    lines = done.stdout.splitlines()
    assert lines[0] == "2 sessions: agents launch 0.3 s apart, at most 3 starting at once"
    assert {line.split()[0] for line in lines[2:]} == {"42", "fix-login"}
    assert tmux("has-session", "-t", "=claude-42").returncode == 0
    wait_for(lambda: "queued" not in cli("list", env=env).stdout, timeout=30)
    again = json.loads(cli("start", "42", "fix-login", "--json", env=env).stdout)
    assert [s["state"] for s in again["sessions"]] == ["running", "running"]  # re-used
    assert cli("start", "42", "a.b", env=env, check_code=2).stderr.startswith("error:")
