"""Rate and usage limits: what stopped an agent, until when, and the opt-in "continue" at the reset.

A limit is known from the agent's own record of the refusal (Claude Code writes an assistant entry
with ``"error": "rate_limit"`` into its transcript, read by :mod:`.usage`), from its StopFailure hook
(the state ``limited``), or from the screen for agents without either (:mod:`.agentstate`). The
reset time is taken only from what the agent says: Claude Code logged in with a subscription says
"You've hit your session limit · resets 11:44pm (UTC)" (or "resets Dec 3, 5pm (Europe/Berlin)"),
which :func:`reset_time` reads in that time zone; with an API key it names no time, and
``resets_at`` stays None — never a guess.

With the ``resume_after_limit`` setting, the first manager that lists the session after the reset
(plus :data:`RESUME_MARGIN`) types :data:`RESUME_TEXT` into the agent's pane, once per limit: the
limit's key is claimed in the session (``@jc_resumed``) by one tmux call that compares and sets, so
a server, a kernel and the CLI listing at the same moment send it once between them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import options
from .spawn import Argv, iso
from .tmux import TmuxServer, exact_pane

#: Seconds after the reset time before "continue" is sent: Claude Code shows the reset to the
#: minute (the reset itself falls within that minute).
RESUME_MARGIN = 60.0

#: What is typed into the agent's pane to resume it.
RESUME_TEXT = "continue"

#: Pause between closing a dialog (Escape) and typing: Claude Code drops keys typed sooner.
DIALOG_PAUSE = 0.5

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RESETS = re.compile(
    r"resets (?:(?P<month>" + "|".join(_MONTHS) + r") (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?:,| at) )?"
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s?(?P<half>[ap]m) \((?P<zone>[A-Za-z0-9_+\-/]+)\)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Limit:
    """The limit an agent is stopped by."""

    #: What the agent said (e.g. "You've hit your session limit · resets 11:44pm (UTC)").
    reason: str
    #: When the limit resets (epoch seconds), only when the agent said so.
    resets_at: float | None = None
    #: Identifies this limit (the transcript record's id) so "continue" is sent once per limit.
    key: str | None = field(default=None, compare=False)
    #: When the agent recorded it (epoch seconds; 0 when unknown).
    recorded_at: float = field(default=0.0, compare=False)

    def to_json(self) -> dict[str, Any]:
        """``{"reason", "resets_at"}`` as every front end shows it (an ISO time, or null)."""
        return {
            "reason": self.reason,
            "resets_at": iso(self.resets_at) if self.resets_at is not None else None,
        }


def reset_time(text: str, said_at: float) -> float | None:
    """The reset time named in ``text`` (e.g. "resets 11:44pm (UTC)"), said at ``said_at``; None
    when it names none or a time zone this machine does not know."""
    match = _RESETS.search(text)
    if match is None:
        return None
    try:
        zone: Any = ZoneInfo(match["zone"])
    except (ZoneInfoNotFoundError, ValueError):
        if match["zone"].upper() != "UTC":
            return None
        zone = timezone.utc
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    hour = hour % 12 + (12 if match["half"].lower() == "pm" else 0)
    said = datetime.fromtimestamp(said_at, zone).replace(second=0, microsecond=0)
    try:
        if match["month"] is None:
            candidate = said.replace(hour=hour, minute=minute)
            if candidate < said:
                candidate += timedelta(days=1)
        else:
            month = next(i for i, name in enumerate(_MONTHS, 1) if name.lower() == match["month"].lower())
            year = int(match["year"]) if match["year"] else said.year
            candidate = said.replace(year=year, month=month, day=int(match["day"]), hour=hour, minute=minute)
            if match["year"] is None and candidate < said - timedelta(days=1):
                candidate = candidate.replace(year=year + 1)
    except ValueError:  # a day the month does not have
        return None
    return candidate.timestamp()


def send_text_commands(target: str, text: str) -> list[Argv]:
    """tmux commands that type ``text`` into a pane and press Enter: literal keys for one line,
    one paste (bracketed when the program asked for it) for several."""
    if "\n" not in text:
        return [["send-keys", "-t", target, "-l", text], ["send-keys", "-t", target, "Enter"]]
    buffer = "jupyter-claude-send"
    return [
        ["set-buffer", "-b", buffer, text],
        ["paste-buffer", "-p", "-d", "-b", buffer, "-t", target],
        ["send-keys", "-t", target, "Enter"],
    ]


def claim_resume_commands(target: str, key: str) -> list[Argv]:
    """One tmux call that records ``key`` as resumed unless it already is, printing "won" when it
    did (the compare and the set run in the tmux server, one client at a time)."""
    claim = f"set-option -t {target} {options.RESUMED} {key} ; display-message -p won"
    return [["if-shell", "-F", "-t", target, f"#{{!=:#{{{options.RESUMED}}},{key}}}", claim]]


class Resumer:
    """Sends "continue" to limited agents once their limit has reset (``resume_after_limit``)."""

    def __init__(self, log: Any, clock: Callable[[], float] = time.time) -> None:
        self.log = log
        self.clock = clock
        self._tried: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def due(self, name: str, limit: Limit | None) -> bool:
        """True when ``limit`` has reset (plus the margin) and this manager has not tried it yet."""
        if limit is None or limit.resets_at is None or not limit.key:
            return False
        if self.clock() < limit.resets_at + RESUME_MARGIN:
            return False
        with self._lock:
            return (name, limit.key) not in self._tried

    def next_due(self, limits: list[Limit]) -> float | None:
        """The earliest time one of ``limits`` is due (epoch seconds), or None."""
        times = [limit.resets_at + RESUME_MARGIN for limit in limits if limit.resets_at is not None]
        return min(times) if times else None

    def resume(self, tmux: TmuxServer, name: str, limit: Limit, wait: bool = False) -> threading.Thread:
        """Claim the limit and, when this call won it, type "continue" (in a thread: it pauses
        between closing Claude Code's limit dialog and typing)."""
        assert limit.key
        with self._lock:
            self._tried.add((name, limit.key))
        thread = threading.Thread(
            target=self._send, args=(tmux, name, limit), name="jupyter-claude-resume", daemon=False
        )
        thread.start()
        if wait:
            thread.join()
        return thread

    def _send(self, tmux: TmuxServer, name: str, limit: Limit) -> None:
        target = exact_pane(name)
        try:
            won = tmux.run(*claim_resume_commands(target, str(limit.key))).strip() == "won"
            if not won:
                return
            # Claude Code opens its limit dialog; Escape closes it (nothing happens without one).
            tmux.run(["send-keys", "-t", target, "Escape"])
            time.sleep(DIALOG_PAUSE)
            tmux.run(*send_text_commands(target, RESUME_TEXT))
        except Exception as error:  # a session stopped meanwhile, tmux gone: say so, never raise
            self.log.warning("jupyter-claude: could not resume %s after its limit: %s", name, error)
            return
        self.log.warning(
            "jupyter-claude: %s: the limit (%s) reset at %s: sent %r to the agent (resume_after_limit)",
            name,
            limit.reason,
            iso(limit.resets_at) if limit.resets_at is not None else "?",
            RESUME_TEXT,
        )
