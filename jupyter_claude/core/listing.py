"""The one listing of all sessions: its tmux format and its parsing, in one place.

``list-panes -a`` + ``list-clients`` in one tmux invocation give one row per pane and per client.
Free text is stored JSON-encoded (ASCII, no tabs or newlines), so a tab always separates fields.
The agent's fields are asked for only of panes that run an agent of the built-in workflow (a
second ``list-panes`` filtered on ``@jc_agent``: one row per agent, joined by pane id), and the
exit status only of dead panes (each lookup is tmux time per row).

Each row is parsed on its own: a field that is not what we wrote (a hand-edited option, an older
or newer release) counts as absent for that one session and is logged once, never an error for
the others. A :class:`Listing` keeps the sessions parsed from rows that have not changed since the
last call (the events watcher lists every 0.25 s).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from . import options, permissions, vocabulary
from .agentstate import QUIET_SECONDS, derive_state, screen_fields
from .ids import is_valid_task_id
from .session import Session

_CORE_FIELDS = (
    "session_name",
    "pane_id",
    "pane_pid",
    "pane_width",
    "pane_height",
    "pane_dead",
    "pane_dead_status",
    "pane_dead_signal",
    "pane_pipe",
    options.LOG,
    options.PANE,
    options.META,
    options.QUEUED,
)
_AGENT_FIELDS = (
    options.AGENT,
    options.AGENT_STATE,
    options.BRANCH,
    options.WORKTREE,
    options.AHEAD,
    options.PENDING,
    *screen_fields(),  # the agent's screen, searched by tmux for the state fallback
)
_PANE_FIELDS = (*_CORE_FIELDS, *_AGENT_FIELDS)


def _format(name: str) -> str:
    return screen_fields().get(name, f"#{{{name}}}")


_DEAD_FIELDS = "\t".join(_format(name) for name in ("pane_dead", "pane_dead_status", "pane_dead_signal"))
PANE_FORMAT = "P\t" + "\t".join(_format(name) for name in _CORE_FIELDS).replace(
    _DEAD_FIELDS, "#{?pane_dead,1\t#{pane_dead_status}\t#{pane_dead_signal},0\t\t}"
)
#: The agent's fields, listed by a second command for the panes that run one: a conditional in
#: PANE_FORMAT cost every row about as much as four fields (tmux 3.3a), agent or not.
AGENT_FORMAT = "A\t#{pane_id}\t" + "\t".join(_format(name) for name in _AGENT_FIELDS)
_CLIENT_FIELDS = ("session_name", "client_control_mode")
CLIENT_FORMAT = "C\t" + "\t".join(f"#{{{name}}}" for name in _CLIENT_FIELDS)

#: The tmux commands of one listing.
COMMANDS = [
    ["list-panes", "-a", "-F", PANE_FORMAT],
    ["list-panes", "-a", "-f", f"#{{{options.AGENT}}}", "-F", AGENT_FORMAT],
    ["list-clients", "-F", CLIENT_FORMAT],
]

_FIELD = {name: index for index, name in enumerate(_PANE_FIELDS, start=1)}  # 0 is the row kind
# Every pane row has the core fields at these positions (see Listing.parse).
_AT_NAME, _AT_PANE_ID, _AT_PID, _AT_WIDTH, _AT_HEIGHT, _AT_DEAD, _AT_DEAD_STATUS, _AT_DEAD_SIGNAL = (
    _FIELD[name] for name in _CORE_FIELDS[:8]
)
_AT_PIPE, _AT_LOG, _AT_OURS, _AT_META, _AT_QUEUED = (_FIELD[name] for name in _CORE_FIELDS[8:])
_AT_AGENT, _AT_AGENT_STATE = _FIELD[options.AGENT], _FIELD[options.AGENT_STATE]

#: The metadata fields we write into ``@jc_meta``, and the test each value must pass when read back.
_META_TYPES: dict[str, Callable[[Any], bool]] = {
    "started_at": lambda value: isinstance(value, str) and len(value) < 64,
    "cwd": lambda value: isinstance(value, str),
    "command": lambda value: isinstance(value, list) and all(isinstance(part, str) for part in value),
    "log_offset": lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
}

#: How many parsed rows (and warned-about values) a Listing keeps at most.
_KEEP_MAX = 4096


class Listing:
    """Parses listing output into sessions; keeps unchanged rows' sessions and what it warned about."""

    def __init__(self, prefix: str, quiet_seconds: float = QUIET_SECONDS, log: Any = None) -> None:
        self.prefix = prefix
        self.quiet_seconds = quiet_seconds
        self.log = log if log is not None else logging.getLogger(__name__)
        self._parsed: dict[tuple[str, int], Session] = {}
        self._warned: set[tuple[str, str]] = set()

    def parse(self, out: str) -> tuple[list[Session], bool]:
        """Sessions from the output of :data:`COMMANDS`, and whether a task's pane is dead but not
        yet reaped by tmux.

        tmux lists panes in session, window and pane order, so a session's first row is its first
        pane: the task's pane for a session made by hand, unless ``@jc_pane`` names another.
        """
        prefix = self.prefix
        panes: dict[str, tuple[str, list[str]]] = {}
        clients: dict[str, int] = {}
        agents: dict[str, list[str]] = {}
        for line in out.splitlines():
            fields = line.split("\t")
            if fields[0] == "C":
                if len(fields) > 2 and fields[2] != "1":  # control-mode viewers are not terminals
                    clients[fields[1]] = clients.get(fields[1], 0) + 1
                continue
            if fields[0] == "A":
                agents[fields[1]] = fields[2:]
                continue
            if fields[0] != "P" or len(fields) <= len(_CORE_FIELDS):
                continue
            name = fields[_AT_NAME]
            if not name.startswith(prefix) or not is_valid_task_id(name[len(prefix) :]):
                continue
            if name not in panes or fields[_AT_PANE_ID] == fields[_AT_OURS]:
                panes[name] = (line, fields)
        now = time.time()
        sessions = []
        for name in sorted(panes):
            line, fields = panes[name]
            if fields[_AT_PANE_ID] in agents:
                fields = fields + agents[fields[_AT_PANE_ID]]
            attached = clients.get(name, 0)
            keep = len(fields) <= _AT_AGENT  # an agent's state depends on the time: never kept
            session = self._parsed.get((line, attached)) if keep else None
            if session is None:
                session = self._session(name[len(prefix) :], name, fields, attached, now)
                if keep:
                    if len(self._parsed) >= _KEEP_MAX:
                        self._parsed.clear()
                    self._parsed[(line, attached)] = session
            sessions.append(session)
        unreaped = any(
            f[_AT_DEAD] == "1" and not f[_AT_DEAD_STATUS] and not f[_AT_DEAD_SIGNAL]
            for _, f in panes.values()
        )
        return sessions, unreaped

    def _session(self, task_id: str, name: str, fields: list[str], attached: int, now: float) -> Session:
        # The core fields are in every row (parse checks); the agent's only in agent rows.
        exit_status = _exit_status(fields[_AT_DEAD_STATUS], fields[_AT_DEAD_SIGNAL])
        # tmux marks a pane dead when its output closes, a moment before it reaps the process:
        # until the exit status is known the command counts as running.
        dead = fields[_AT_DEAD] == "1" and exit_status is not None
        agent_fields = len(fields) > _AT_AGENT
        agent = fields[_AT_AGENT] or None if agent_fields else None
        agent_state = fields[_AT_AGENT_STATE] if agent_fields else ""
        if not dead and agent:
            # Started by the built-in workflow: hooks' report corrected by the screen (agentstate).
            activity = _int(_optional(fields, "window_activity"))
            agent_state = derive_state(
                agent_state,
                _int(_optional(fields, "screen_busy")),
                _int(_optional(fields, "screen_waiting")),
                None if activity is None else now - activity,
                self.quiet_seconds,
                _int(_optional(fields, "screen_limited")),
            )
        queued_at = _queue_key(fields[_AT_QUEUED])
        state = "exited" if dead else (agent_state if agent_state in vocabulary.BY_NAME else "running")
        if queued_at is not None and not dead:
            state = "queued"  # its command waits for its turn (core/queue.py): no agent yet
        meta = self._metadata(name, fields[_AT_META])
        return Session(
            id=task_id,
            name=name,
            running=not dead,
            state=state,
            exit_status=exit_status if dead else None,
            attached_clients=attached,
            started_at=meta.get("started_at"),
            command=meta.get("command"),
            cwd=meta.get("cwd"),
            pid=None if dead else _int(fields[_AT_PID]),
            log_offset=meta.get("log_offset"),
            agent=agent,
            branch=_optional(fields, options.BRANCH) or None if agent_fields else None,
            worktree=_text(_json_or_none(_optional(fields, options.WORKTREE))) if agent_fields else None,
            ahead=_int(_optional(fields, options.AHEAD)) if agent_fields else None,
            cols=_int(fields[_AT_WIDTH]),
            rows=_int(fields[_AT_HEIGHT]),
            log_health=_log_health(fields, ours=bool(fields[_AT_META])),
            pending=permissions.summary_of(_optional(fields, options.PENDING))
            if agent_fields and not dead
            else None,
            queued_at=queued_at if not dead else None,
        )

    def _metadata(self, name: str, text: str) -> dict[str, Any]:
        """The session's ``@jc_meta`` record; anything that is not what we wrote counts as absent."""
        if not text:
            return {}
        raw = _json_or_none(text)
        if not isinstance(raw, dict):
            self._warn_once(name, text, "is not a JSON object: ignored")
            return {}
        kept = {key: value for key, value in raw.items() if key in _META_TYPES and _META_TYPES[key](value)}
        odd = sorted(key for key in raw if key in _META_TYPES and key not in kept)
        if odd:
            self._warn_once(name, text, f"has fields of the wrong type ({', '.join(odd)}): ignored")
        return kept

    def _warn_once(self, name: str, text: str, problem: str) -> None:
        if (name, text) in self._warned:
            return
        if len(self._warned) >= _KEEP_MAX:
            self._warned.clear()
        self._warned.add((name, text))
        self.log.warning("jupyter-claude: tmux session %s: option %s %s", name, options.META, problem)


def _log_health(fields: list[str], ours: bool) -> str | None:
    """The log's health from the pane's pipe flag and the writer's report (see :mod:`.logpipe`)."""
    if not ours:
        return None
    report = fields[_AT_LOG]
    if report.startswith("lost "):
        count = _int(report[5:])
        return f"lost {count} bytes" if count is not None else "lost bytes"
    if fields[_AT_DEAD] != "1" and fields[_AT_PIPE] != "1":
        return "stalled"
    return "gap" if report == "gap" else "ok"


def _queue_key(text: str) -> float | None:
    """The time a session was queued (``@jc_queued``), or None when it is not queued."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _optional(fields: list[str], key: str) -> str:
    """A field that only some rows have (the agent's), "" where absent."""
    index = _FIELD[key]
    return fields[index] if index < len(fields) else ""


def _exit_status(status: str, signal: str) -> int | None:
    """The exit code, or 128 + signal number for a command killed by a signal (as shells do)."""
    code = _int(status)
    if code is not None:
        return code
    number = _int(signal)
    return None if number is None else 128 + number


def _int(text: str) -> int | None:
    """An ASCII whole number of at most 18 digits, else None (no exception on the common path)."""
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return int(text)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
