"""Starting many tasks at once without tripping the provider's limits: the launch queue.

``start_many`` creates every session at once (tmux is cheap), but each runs a small gate before its
command (``jupyter-claude wait-turn … -- COMMAND``), and the gates let the commands launch one at a
time: ``start_interval`` seconds apart, and never while ``max_starting`` agents are still starting
(launched less than :data:`STARTING_SECONDS` ago and not yet working on their first prompt). An
agent takes a few seconds from launch to its first request, so spacing the launches is what decides
how many requests arrive together.

The queue lives with the sessions, in tmux: a queued session has ``@jc_queued`` (the time it was
queued: the queue's order) and shows the state "queued"; when its turn comes its gate sets
``@jc_launched`` and unsets ``@jc_queued`` in one tmux call, then execs the command. Each gate
decides from one ``list-sessions`` call per poll, so the CLI, a kernel and the server agree, a
restarted server loses nothing, and stopping a queued session (killing it) takes it out of the queue.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import options
from .spawn import Argv, Launch
from .tmux import TmuxServer, exact_pane

#: Seconds a launched agent counts as starting at most (one that never reports working).
STARTING_SECONDS = 30.0

#: Seconds between two looks at the queue by a gate that is not next.
POLL_SECONDS = 0.5

#: What a gate asks tmux: every session's name, queue time, launch record, agent state, pane state.
QUEUE_FORMAT = "\t".join(
    (
        "#{session_name}",
        f"#{{{options.QUEUED}}}",
        f"#{{{options.LAUNCHED}}}",
        f"#{{{options.AGENT_STATE}}}",
        f"#{{{options.PROMPTED}}}",
    )
)

#: Agent states that mean the agent is past its start (working on, or stopped at, its first prompt).
_STARTED = ("working", "waiting", "limited")

#: Marks a launch record whose command is an agent that reports its state (the built-in workflow).
_AGENT = "agent"


@dataclass(frozen=True)
class QueueRow:
    """One session as a gate sees it."""

    name: str
    queued: float | None
    launched: float | None
    agent: bool
    state: str
    #: The agent got its first prompt (the UserPromptSubmit hook said so).
    prompted: bool = False


def parse_rows(out: str, prefix: str) -> list[QueueRow]:
    """Our sessions from :data:`QUEUE_FORMAT` output (anything odd counts as absent)."""
    rows = []
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) < 4 or not fields[0].startswith(prefix):
            continue
        launched, _, kind = fields[2].partition(" ")
        prompted = len(fields) > 4 and fields[4] == "1"
        rows.append(
            QueueRow(fields[0], _number(fields[1]), _number(launched), kind == _AGENT, fields[3], prompted)
        )
    return rows


@dataclass(frozen=True)
class Decision:
    """What a gate does now: go, wait ``wait`` seconds, or stop (its session is gone)."""

    go: bool
    wait: float = 0.0
    gone: bool = False
    why: str = ""


def decide(rows: Sequence[QueueRow], name: str, now: float, interval: float, max_starting: int) -> Decision:
    """Whether the gate of session ``name`` may launch its command now."""
    mine = next((row for row in rows if row.name == name), None)
    if mine is None:
        return Decision(go=False, gone=True, why="its session is gone")
    if mine.queued is None:
        return Decision(go=True, why="taken out of the queue")
    ahead = [row for row in rows if row.queued is not None and (row.queued, row.name) < (mine.queued, name)]
    if ahead:
        return Decision(go=False, wait=POLL_SECONDS, why=f"{len(ahead)} ahead in the queue")
    launches = [row.launched for row in rows if row.launched is not None and row.launched <= now + 1]
    last = max(launches, default=None)
    if last is not None and now < last + interval:
        return Decision(go=False, wait=min(last + interval - now, POLL_SECONDS), why="spacing launches")
    starting = [
        row
        for row in rows
        if row.agent
        and row.queued is None
        and row.launched is not None
        and now - row.launched < STARTING_SECONDS
        and not row.prompted
        and row.state not in _STARTED
    ]
    if len(starting) >= max_starting:
        return Decision(go=False, wait=POLL_SECONDS, why=f"{len(starting)} agents still starting")
    return Decision(go=True, why="its turn")


def wait_for_turn(
    tmux: TmuxServer,
    name: str,
    prefix: str,
    interval: float,
    max_starting: int,
    agent: bool,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> bool:
    """Wait until session ``name`` may launch, then record its launch; False when it is gone."""
    said = ""
    while True:
        now = clock()
        decision = decide(
            parse_rows(tmux.run(["list-sessions", "-F", QUEUE_FORMAT]), prefix),
            name,
            now,
            interval,
            max_starting,
        )
        if decision.gone:
            return False
        if decision.go:
            record = f"{now:.3f}" + (f" {_AGENT}" if agent else "")
            target = exact_pane(name)
            tmux.run(
                ["set-option", "-t", target, options.LAUNCHED, record],
                ["set-option", "-t", target, "-u", options.QUEUED],
            )
            say(f"jupyter-claude: launching ({decision.why})")
            return True
        if decision.why != said:
            say(f"jupyter-claude: queued, waiting for its turn to launch: {decision.why}")
            said = decision.why
        sleep(decision.wait)


def queue_times(count: int, now: float) -> list[str]:
    """``@jc_queued`` values for ``count`` sessions queued together, in their order."""
    return [f"{now + index * 1e-6:.6f}" for index in range(count)]


def gate_argv(name: str, prefix: str, interval: float, max_starting: int, agent: bool) -> Argv:
    """The gate a queued session runs before its command (the command follows ``--``)."""
    argv = [
        sys.executable, "-m", "jupyter_claude", "wait-turn",
        "--session", name, "--prefix", prefix,
        "--interval", repr(float(interval)), "--max-starting", str(int(max_starting)),
    ]  # fmt: skip
    if agent:
        argv.append("--agent")
    return [*argv, "--"]


def queue_launches(
    launches: Sequence[Launch], prefix: str, interval: float, max_starting: int, now: float | None = None
) -> list[Launch]:
    """The launches, queued together in their order, each behind its gate."""
    times = queue_times(len(launches), time.time() if now is None else now)
    queued = []
    for launch, queued_at in zip(launches, times):
        # The built-in workflow's agents report when they are past their start; other commands
        # are only spaced by the interval.
        agent = "run-task" in launch.argv[:5] and "jupyter_claude" in launch.argv[:5]
        gate = gate_argv(launch.name, prefix, interval, max_starting, agent)
        queued.append(dataclasses.replace(launch, queued=queued_at, gate=tuple(gate)))
    return queued


def positions(queued: Sequence[tuple[str, float]]) -> dict[str, int]:
    """Each queued session's place in the queue (1 is next), by session name."""
    return {name: place for place, (name, _) in enumerate(sorted(queued, key=lambda q: (q[1], q[0])), 1)}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
