"""Talking to a running agent: typing into its pane, and waiting for it to reach a state."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from .errors import ClaudeSessionsError, InvalidSetting
from .session import Session

#: The states ``wait`` may wait for; "any" is all of them (the agent needs you, or is done).
WAIT_STATES = ("waiting", "idle", "exited", "stopped", "limited")

#: Longest text ``send`` types (tmux takes commands up to about 16 KB).
MAX_TEXT = 8000

#: Seconds between two listings while waiting.
WAIT_INTERVAL = 0.25


class WaitTimeout(ClaudeSessionsError):
    """Not every task reached the wanted state in time; ``.sessions`` holds where they are."""

    code = "timeout"

    def __init__(self, message: str, sessions: dict[str, Session]) -> None:
        super().__init__(message)
        self.sessions = sessions


def send_commands(target: str, text: str) -> list[list[str]]:
    """tmux commands that type ``text`` into ``target`` literally, then Enter: one line as keys
    (``send-keys -l``: never read as tmux key names), several lines as one (bracketed) paste."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSetting("text must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise InvalidSetting(f"text is longer than {MAX_TEXT} characters")
    if any((ord(c) < 32 and c not in "\n\t") or c == "\x7f" for c in text):
        raise InvalidSetting("text may hold no control characters other than newlines and tabs")
    text = text.rstrip("\n")
    if "\n" not in text:
        return [["send-keys", "-t", target, "-l", "--", text], ["send-keys", "-t", target, "Enter"]]
    return [
        ["set-buffer", "-b", "jupyter-claude-send", "--", text],
        ["paste-buffer", "-d", "-p", "-b", "jupyter-claude-send", "-t", target],
        ["send-keys", "-t", target, "Enter"],
    ]


def wanted_states(until: str | Sequence[str]) -> frozenset[str]:
    """The states named by ``until`` ("any", one state, a comma-separated list, or a list)."""
    names = [part.strip() for part in until.split(",")] if isinstance(until, str) else list(until)
    if "any" in names:
        return frozenset(WAIT_STATES)
    unknown = [name for name in names if name not in WAIT_STATES]
    if unknown or not names:
        raise InvalidSetting(f"until must be any or one of {', '.join(WAIT_STATES)}, not {unknown or names}")
    return frozenset(names)


def wait(
    listing: Callable[[], list[Session]],
    names: Mapping[str, str],
    wanted: frozenset[str],
    timeout: float | None,
    interval: float = WAIT_INTERVAL,
) -> dict[str, Session]:
    """Poll ``listing`` until every session named reaches a wanted state; by task id."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        found = {session.name: session for session in listing()}
        current = {
            task_id: found.get(name) or Session(id=task_id, name=name) for name, task_id in names.items()
        }
        if all(session.state in wanted for session in current.values()):
            return current
        if deadline is not None and time.monotonic() >= deadline:
            waiting = ", ".join(f"{s.id} is {s.state}" for s in current.values() if s.state not in wanted)
            raise WaitTimeout(f"timed out after {timeout:g} s: {waiting}", current)
        time.sleep(interval)
