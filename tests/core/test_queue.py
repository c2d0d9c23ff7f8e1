"""The launch queue: the gates' rule, and sessions started many at once on a real tmux server —
created at once and "queued", launched in their order ``start_interval`` apart, out of the queue
when stopped, and still launching when the manager that queued them is gone."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions, InvalidSetting, InvalidTaskId
from jupyter_claude.core import options, queue
from jupyter_claude.core.queue import STARTING_SECONDS, QueueRow, decide, parse_rows

from ..support.data import wait_for

NOW = 1_800_000_000.0


def row(
    name: str, queued: float | None = None, launched: float | None = None, agent: bool = True, state: str = ""
) -> QueueRow:
    return QueueRow(name, queued, launched, agent, state)


def test_the_head_goes_once_the_interval_since_the_last_launch_has_passed() -> None:
    rows = [
        row("claude-a", queued=1.0),
        row("claude-b", queued=2.0),
        row("claude-x", launched=NOW - 1, state="working"),
    ]
    assert decide(rows, "claude-b", NOW, 2, 3).why == "1 ahead in the queue"
    spacing = decide(rows, "claude-a", NOW, 2, 3)
    assert not spacing.go and spacing.wait == pytest.approx(0.5) and spacing.why == "spacing launches"
    assert decide(rows, "claude-a", NOW + 1, 2, 3).go


def test_at_most_max_starting_agents_start_at_once() -> None:
    starting = [row(f"claude-s{n}", launched=NOW - 10) for n in range(3)]
    rows = [*starting, row("claude-a", queued=1.0)]
    assert decide(rows, "claude-a", NOW, 2, 3).why == "3 agents still starting"
    assert decide(rows, "claude-a", NOW, 2, 4).go
    # An agent at work, one launched long ago, a plain command: none of them is starting.
    rows[0] = row("claude-s0", launched=NOW - 10, state="working")
    assert decide(rows, "claude-a", NOW, 2, 3).go
    rows[0] = row("claude-s0", launched=NOW - STARTING_SECONDS - 1)
    assert decide(rows, "claude-a", NOW, 2, 3).go
    rows[0] = row("claude-s0", launched=NOW - 10, agent=False)
    assert decide(rows, "claude-a", NOW, 2, 3).go
    # A quick first turn is over (idle again) before the gate looks: the prompt hook said so.
    rows[0] = QueueRow("claude-s0", None, NOW - 10, True, "idle", prompted=True)
    assert decide(rows, "claude-a", NOW, 2, 3).go


def test_a_gate_whose_session_left_the_queue_or_is_gone() -> None:
    assert decide([row("claude-a")], "claude-a", NOW, 2, 3).go  # taken out of the queue
    assert decide([], "claude-a", NOW, 2, 3).gone


def test_the_gates_read_one_list_sessions_and_ignore_other_sessions() -> None:
    out = (
        "claude-a\t1.5\t\t\t\nclaude-b\t\t1799999999.000 agent\tidle\t1\n"
        "mine\t1\t\t\t\nclaude-c\tnan\tx\t\t\n"
    )
    assert parse_rows(out, "claude-") == [
        row("claude-a", queued=1.5, agent=False),
        QueueRow("claude-b", None, 1799999999.0, True, "idle", prompted=True),
        row("claude-c", agent=False),
    ]
    assert queue.positions([("claude-b", 2.0), ("claude-a", 2.0), ("claude-c", 1.0)]) == {
        "claude-c": 1,
        "claude-a": 2,
        "claude-b": 3,
    }


# -- on a real tmux server ------------------------------------------------------------------------

#: A command that notes when it really started (after its gate), then stays alive.
STAMP = [
    sys.executable,
    "-c",
    "import sys, time; print('LAUNCHED', time.time(), flush=True); time.sleep(600)",
    "{id}",
]


@pytest.fixture
def queued(
    tmux_socket: str, tmp_path: Path, task_root: Path, monkeypatch: pytest.MonkeyPatch
) -> ClaudeSessions:
    """A manager whose sessions run STAMP, launching 0.6 s apart."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return ClaudeSessions(
        config=Config(),
        tmux_socket=tmux_socket,
        log_dir=str(tmp_path / "logs"),
        root_dir=str(task_root),
        command=STAMP,
        start_interval=0.6,
    )


def launched_at(tmux: Any, task_id: str) -> float | None:
    value = tmux("show-options", "-v", "-t", f"=claude-{task_id}:", options.LAUNCHED).stdout.split()
    return float(value[0]) if value else None


def test_many_start_at_once_and_launch_one_after_another(queued: ClaudeSessions, tmux: Any) -> None:
    started = queued.start_many(["a", "b", "c", "d"])
    assert [s.state for s in started] == ["queued"] * 4 and all(s.created for s in started)
    listed = {s.id: s for s in queued.list()}
    assert set(listed) == {"a", "b", "c", "d"}  # every session exists at once
    assert {s.to_json()["queue"]["position"] for s in listed.values() if s.state == "queued"} <= {1, 2, 3, 4}
    wait_for(lambda: all(s.state == "running" for s in queued.list()), timeout=30)
    times = [launched_at(tmux, task_id) for task_id in "abcd"]
    assert all(times) and times == sorted(times)  # in the order they were queued
    gaps = [b - a for a, b in itertools.pairwise(times)]  # type: ignore[operator]
    assert min(gaps) >= 0.6 - 0.01, gaps
    for task_id in "abcd":  # the command itself runs after its gate, in its own pane
        wait_for(lambda task_id=task_id: "LAUNCHED" in queued.read_log(task_id))
        assert "queued, waiting for its turn" in queued.read_log(task_id) or task_id == "a"
    # The session's command is the task's own; the gate is not part of it.
    assert listed["a"].command == [part.replace("{id}", "a") for part in STAMP]


def test_a_stopped_session_leaves_the_queue_and_the_rest_launch(queued: ClaudeSessions, tmux: Any) -> None:
    queued.start_interval = 1.5
    queued.start_many(["a", "b", "c"])
    assert queued.stop("b")
    wait_for(lambda: {s.id: s.state for s in queued.list()} == {"a": "running", "c": "running"}, timeout=30)
    assert tmux("has-session", "-t", "=claude-b").returncode != 0


def test_the_queue_lives_in_tmux_not_in_the_manager(
    queued: ClaudeSessions, tmux_socket: str, tmp_path: Path, task_root: Path
) -> None:
    queued.start_interval = 1.0
    queued.start_many(["a", "b", "c"])
    del queued  # the server that queued them is gone (restarted)
    later = ClaudeSessions(
        config=Config(), tmux_socket=tmux_socket, log_dir=str(tmp_path / "logs"), root_dir=str(task_root)
    )
    states = [s.state for s in later.list()]
    assert "queued" in states
    wait_for(lambda: all(s.state == "running" for s in later.list()), timeout=30)


def test_bad_ids_start_nothing(queued: ClaudeSessions, tmux: Any) -> None:
    with pytest.raises(InvalidTaskId):
        queued.start_many(["a", "b/c"])
    with pytest.raises(InvalidSetting):
        queued.start_many([])
    assert tmux("list-sessions").returncode != 0  # no server: nothing was created


def test_a_live_session_is_reused_and_an_exited_one_queued_again(queued: ClaudeSessions, tmux: Any) -> None:
    queued.start("a")
    queued.command = [sys.executable, "-c", "raise SystemExit(3)"]
    queued.start("b")
    wait_for(lambda: queued.status("b").state == "exited")
    queued.command = STAMP
    started = {s.id: s for s in queued.start_many(["a", "b"])}
    assert not started["a"].created and started["a"].state == "running"
    assert started["b"].created
    wait_for(lambda: queued.status("b").state == "running", timeout=30)
    assert launched_at(tmux, "b") is not None


def test_settings_are_checked() -> None:
    with pytest.raises(InvalidSetting):
        ClaudeSessions(max_starting=0)
    with pytest.raises(InvalidSetting):
        ClaudeSessions(start_interval=-1)
