"""An agent pane's state from what its hooks reported and what its screen shows.

Claude Code reports its state through hooks (``@jc_agent_state``, written by the workflow's hook
commands). Agents without hooks, and a Claude Code whose "working" stuck because Esc fires no Stop
hook, are read from the screen instead, without any polling of our own: the listing's single tmux
call asks tmux to search each agent pane's visible screen for the profile's busy and question
patterns (``#{C/r:...}``) and for the window's last output time, and :func:`derive_state` turns that
into a state, debounced by a quiet period.
"""

from __future__ import annotations

from . import options

#: The states an agent reports about itself.
AGENT_STATES = ("working", "waiting", "idle", "limited")

#: Default quiet period (seconds without output) before the screen fallback calls an agent idle.
QUIET_SECONDS = 3


def derive_state(
    reported: str,
    busy_line: int | None,
    waiting_line: int | None,
    quiet_for: float | None,
    quiet_seconds: float = QUIET_SECONDS,
    limited_line: int | None = None,
) -> str:
    """The state of a live agent pane from what hooks reported and what the screen shows.

    ``reported`` is ``@jc_agent_state`` ("" when no hook ever ran); ``busy_line`` and
    ``waiting_line`` are tmux's screen search results (line number, 0 for no match);
    ``quiet_for`` is how long the pane has printed nothing; ``limited_line`` is where the screen
    shows a refusal for a rate or usage limit (read only for agents without hooks).
    """
    busy = bool(busy_line)
    asking = bool(waiting_line)
    quiet = quiet_for is not None and quiet_for >= quiet_seconds
    if reported in AGENT_STATES:
        # Hooks are exact, but Esc fires no Stop hook and approving a prompt fires nothing until
        # the tool finishes: the screen corrects those two cases.
        if reported == "working" and quiet and not busy:
            return "waiting" if asking else "idle"
        if reported == "waiting" and busy and not asking:
            return "working"
        return reported
    if asking and quiet:
        return "waiting"
    if limited_line and quiet and not busy:
        return "limited"
    if busy or not quiet:
        return "working"
    return "idle"


def screen_fields() -> dict[str, str]:
    """tmux formats that :func:`derive_state` needs, for the core's one listing call."""

    def search(option: str) -> str:
        # Search only when the session has a pattern: an empty regex would match every screen.
        return f"#{{?#{{{option}}},#{{C/r:#{{{option}}}}},0}}"

    return {
        "screen_busy": search(options.BUSY_PATTERN),
        "screen_waiting": search(options.WAITING_PATTERN),
        "window_activity": "#{window_activity}",
        "screen_limited": search(options.LIMITED_PATTERN),
    }
