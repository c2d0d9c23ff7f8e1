"""The words every front end uses: session states, their badges and labels, and what a terminal
launch did, in one place.

The CLI, the ``%claude`` magic, the TaskTable widget and the REST API take them from here; the
JupyterLab extension reads the same table from ``labextension/src/vocabulary.json``, which a test
keeps equal to :func:`to_json`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class State:
    """One session state as people see it."""

    name: str
    icon: str
    label: str
    #: True while the session's command is alive (Stop and Attach make sense, Run does not).
    live: bool
    #: What the state means, for tooltips and help.
    description: str


#: Every state a session can be in, in the order a "waiting first" grouping shows them.
STATES: tuple[State, ...] = (
    State(
        "waiting", "🟡", "waiting for you", True, "the agent asks you something (a permission, a question)"
    ),
    State(
        "limited", "⏳", "rate-limited", True, "the agent's requests are refused for a usage or rate limit"
    ),
    State("working", "🟢", "working", True, "the agent is busy"),
    State("running", "🟢", "running", True, "the command runs (no agent state is known)"),
    State("idle", "🔵", "idle", True, "the agent finished its turn and waits for a new prompt"),
    State("queued", "🕒", "queued", True, "the session exists; its agent launches when its turn comes"),
    State("exited", "🔴", "exited", False, "the command ended; its screen and exit code are kept"),
    State("stopped", "⚫", "stopped", False, "there is no session"),
)
BY_NAME = {state.name: state for state in STATES}

#: How a state this version does not know is shown (a newer server, a hand-edited option).
UNKNOWN = State("unknown", "⚪", "unknown", False, "a state this version does not know")

#: States in which the session's process is alive.
LIVE_STATES = frozenset(state.name for state in STATES if state.live)

#: Shown for a task whose id fails the gate (it has no session).
INVALID = "✖ invalid id"


def state(name: str) -> State:
    """The state called ``name``; an unknown name is shown as itself with the unknown badge."""
    return BY_NAME.get(name) or State(name, UNKNOWN.icon, name or UNKNOWN.label, False, UNKNOWN.description)


def label(name: str, exit_status: int | None = None) -> str:
    """The words of a state: "waiting for you", "exited (3)"."""
    if name == "exited" and exit_status is not None:
        return f"exited ({exit_status})"
    return state(name).label


def badge(name: str, exit_status: int | None = None) -> str:
    """Icon and words: "🟢 working", "🔴 exited (3)", "⚫ stopped"."""
    return f"{state(name).icon} {label(name, exit_status)}"


def state_rank(name: str) -> int:
    """Where a state sorts when sessions are grouped by state: waiting for you first."""
    return _RANK.get(name, len(STATES))


_RANK = {state.name: rank for rank, state in enumerate(STATES)}

#: Words in a task's priority, most urgent first ("🔼 High" is high).
PRIORITIES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (0, ("critical", "urgent", "highest", "blocker")),
    (1, ("high",)),
    (2, ("medium", "normal")),
    (4, ("lowest",)),
    (3, ("low",)),
)


def priority_rank(priority: str | None) -> int:
    """0 for the most urgent priority words, 5 for a priority of other words, 6 for none."""
    text = (priority or "").lower()
    for rank, words in PRIORITIES:
        if any(word in text for word in words):
            return rank
    return 5 if text else 6


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sorts ids and titles as people count: t1, t2, t10, t100."""
    return tuple(
        (0, int(part), "") if part.isdecimal() and len(part) < 50 else (1, 0, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def log_note(health: str | None) -> str:
    """ " · ⚠ log gap" and the like when a task log is not fine ("" when it is, or when none is kept)."""
    return "" if health in (None, "ok") else f" · ⚠ log {health}"


def terminal_sentence(result: Any) -> str:
    """One line about what a terminal launch did (a ``TerminalResult``)."""
    if result.launched:
        return f"opened {result.terminal} on it"
    if result.focused:
        return f"brought the {result.terminal or 'attached'} terminal to the front"
    return f"no terminal opened: {result.reason}"


def terminal_line(result: Any) -> str:
    """One line about a terminal launch, with the command to attach by hand when none opened."""
    sentence = terminal_sentence(result)
    if result.launched or result.focused:
        return sentence
    return f"{sentence} — attach by hand: {attach_by_hand(result)}"


def attach_by_hand(result: Any) -> str:
    """The command to attach by hand, as one line."""
    command = result.attach_command
    return " ".join(command) if isinstance(command, (list, tuple)) else str(command)


def to_json() -> dict[str, Any]:
    """The table the JupyterLab extension reads (``labextension/src/vocabulary.json``)."""
    return {
        "states": [
            {
                "name": s.name,
                "icon": s.icon,
                "label": s.label,
                "live": s.live,
                "description": s.description,
            }
            for s in STATES
        ],
        "unknown": {"icon": UNKNOWN.icon, "label": UNKNOWN.label},
        "invalid": INVALID,
        "priorities": [{"rank": rank, "words": list(words)} for rank, words in PRIORITIES],
    }


if __name__ == "__main__":  # python -m jupyter_claude.core.vocabulary > labextension/src/vocabulary.json
    import json

    print(json.dumps(to_json(), indent=2, ensure_ascii=False))
