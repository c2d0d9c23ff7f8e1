"""Rate and usage limits: what stopped an agent, until when, and the opt-in "continue" at the reset.

A limit is known from the agent's own record of the refusal (Claude Code writes an assistant entry
with ``"error": "rate_limit"`` into its transcript, read by :mod:`.usage`), from its StopFailure hook
(the state ``limited``), or from the screen for agents without either (:mod:`.agentstate`). The
reset time is taken only from what the agent says: Claude Code logged in with a subscription says
"You've hit your session limit · resets 11:44pm (UTC)" (or "resets Dec 3, 5pm (Europe/Berlin)"),
which :func:`reset_time` reads in that time zone; with an API key it names no time, and
``resets_at`` stays None — never a guess.

With the ``resume_after_limit`` setting, the first manager that lists the session after the reset
(plus :data:`RESUME_MARGIN`) types :data:`RESUME_TEXT` into the agent's pane, once per limit
(:class:`~.ledger.Resumer`): the limit's key is claimed in the session (``@jc_resumed``) by one tmux
call that compares and sets (:func:`claim_resume_commands`), so a server, a kernel and the CLI
listing at the same moment send it once between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import options

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


def iso(timestamp: float) -> str:
    """A UTC time as ``2026-11-29T22:40:49Z`` (as :func:`.spawn.iso`; this module comes before it)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def claim_resume_commands(target: str, key: str) -> list[list[str]]:
    """One tmux call that records ``key`` as resumed unless it already is, printing "won" when it
    did (the compare and the set run in the tmux server, one client at a time)."""
    claim = f"set-option -t {target} {options.RESUMED} {key} ; display-message -p won"
    return [["if-shell", "-F", "-t", target, f"#{{!=:#{{{options.RESUMED}}},{key}}}", claim]]
