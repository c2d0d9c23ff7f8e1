"""Claude Code hook events as agent states: the ``hook`` command run inside a task's pane.

Claude Code, started by the claude profile with ``--settings`` naming our hooks, runs
``python -I -m jupyter_claude hook --socket S --session NAME ...`` on each hook event with the
event's JSON on stdin. The handler maps the event to a state (working, waiting, idle) and writes it
into the tmux session's ``@jc_agent_state`` option with one tmux call, so the listing returns it
with everything else (:mod:`jupyter_claude.core.agentstate` corrects it from the screen). It never
blocks or fails Claude: it prints nothing on stdout, always exits 0, and reports a problem as one
line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from ..core import options
from ..core.tmux import TmuxServer, exact_pane
from .agents import Conversation, save_conversation
from .worktrees import ahead_of

#: Claude Code hook events and the state each one means (None: no change).
EVENT_STATES: dict[str, str | None] = {
    "SessionStart": "idle",
    "UserPromptSubmit": "working",
    "PreToolUse": "working",
    "PostToolUse": "working",
    "PermissionRequest": "waiting",
    "Stop": "idle",
    "SubagentStop": None,
    "PreCompact": None,
    "SessionEnd": "idle",
}

#: Notification types (the hook's matcher values) and the state each one means.
NOTIFICATION_STATES = {"permission_prompt": "waiting", "elicitation_dialog": "waiting", "idle_prompt": "idle"}

#: Events after which the branch may have new commits: "ahead of base" is measured again.
_COUNT_COMMITS_AFTER = ("SessionStart", "Stop", "SessionEnd")


def state_for_event(payload: Mapping[str, Any], registered_state: str | None = None) -> str | None:
    """The agent state a hook event means, or None when it changes nothing.

    ``registered_state`` is the state the hook was registered with (``--state``, used for
    Notification matchers); the payload's own ``notification_type`` wins when it has one.
    """
    event = payload.get("hook_event_name")
    if event == "Notification":
        kind = payload.get("notification_type")
        if isinstance(kind, str) and kind:
            return NOTIFICATION_STATES.get(kind)
        if registered_state:
            return registered_state
        message = str(payload.get("message", "")).lower()
        if "permission" in message:
            return "waiting"
        if "waiting for your input" in message:
            return "idle"
        return None
    if isinstance(event, str) and event in EVENT_STATES:
        return EVENT_STATES[event]
    return registered_state


# -- the hook command ------------------------------------------------------------------------------


def tmux_from_environment(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(socket path, pane id) of the tmux pane we run in, from ``$TMUX`` and ``$TMUX_PANE``."""
    socket = environ.get("TMUX", "").split(",")[0] or None
    pane = environ.get("TMUX_PANE") or None
    return socket, pane


def hook_target(session: str | None, environ: Mapping[str, str]) -> str | None:
    """The exact tmux target of our session: ``=NAME:`` when named, else the pane we run in."""
    if session:
        return exact_pane(session)
    return tmux_from_environment(environ)[1]


def run_hook(
    socket: str | None,
    session: str | None,
    registered_state: str | None = None,
    conversation: str | None = None,
    worktree: str | None = None,
    base_commit: str | None = None,
    stdin: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Record the state a Claude Code hook event means in the tmux session; always returns 0."""
    environ = os.environ if environ is None else environ
    try:
        text = (stdin or sys.stdin).read()
        payload = json.loads(text) if text.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("the hook input is not a JSON object")
        event = str(payload.get("hook_event_name", ""))
        if event == "SessionStart" and conversation and payload.get("session_id"):
            _remember(conversation, payload)
        commands: list[list[str]] = []
        target = hook_target(session, environ)
        socket = socket or tmux_from_environment(environ)[0]
        if target is None or socket is None:
            raise RuntimeError("not inside tmux and no --socket/--session given")
        state = state_for_event(payload, registered_state)
        if state is not None:
            commands.append(["set-option", "-t", target, options.AGENT_STATE, state])
        if worktree and base_commit and event in _COUNT_COMMITS_AFTER:
            ahead = ahead_of(worktree, base_commit)
            if ahead is not None:
                commands.append(["set-option", "-t", target, options.AHEAD, str(ahead)])
        if commands:
            TmuxServer(socket).run(*commands, retries=0)
    except Exception as error:  # never break the agent: one line on stderr, exit 0
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"jupyter-claude hook: {message}", file=sys.stderr)
    return 0


def _remember(path: str, payload: Mapping[str, Any]) -> None:
    """Keep the conversation id Claude Code reports (it changes on /clear) for the next resume."""

    transcript = payload.get("transcript_path")
    save_conversation(
        Conversation(Path(path), str(payload["session_id"]), str(transcript) if transcript else None)
    )
