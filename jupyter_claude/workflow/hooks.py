"""Claude Code hook events as agent states.

Claude Code, started by the claude profile with ``--settings`` naming our hooks, runs a hook command
on each event with the event's JSON on stdin, and waits for it before every tool call: a hook must
cost the agent nothing. :func:`claude_settings` registers, per event, one small shell command that
drains stdin and writes the state the event means (working, waiting, idle) into the tmux session's
``@jc_agent_state`` option with one tmux call, by absolute paths (about 4 ms, where a Python
interpreter alone takes 12 ms). After a turn (Stop, SessionEnd) the same call records how many
commits the task branch is ahead of its base (one ``git rev-list``); on SessionStart the event's
JSON itself is kept as the task's conversation record (its id and transcript: what the next start
resumes). The listing returns the state with everything else (:mod:`jupyter_claude.core.agentstate`
corrects it from the screen). A hook never blocks or fails Claude: it prints nothing and exits 0.

:func:`run_hook` is the same in Python: the ``hook`` CLI command, which the settings files of
earlier releases (and running sessions started by them) still call.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..core import options
from ..core.tmux import TmuxServer, exact_pane
from . import permission_hook as permission_hook_module
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

#: The Claude Code hook registrations: (event, matcher, state it records).
CLAUDE_HOOK_EVENTS: tuple[tuple[str, str | None, str], ...] = (
    ("SessionStart", None, "idle"),
    ("UserPromptSubmit", None, "working"),
    ("PreToolUse", "*", "working"),
    ("PostToolUse", "*", "working"),
    ("PermissionRequest", "*", "waiting"),
    ("Notification", "permission_prompt|elicitation_dialog", "waiting"),
    ("Notification", "idle_prompt", "idle"),
    ("Stop", None, "idle"),
    ("SessionEnd", None, "idle"),
    # A turn that ended on a refusal for a rate or usage limit (the matcher is the error's kind).
    ("StopFailure", "rate_limit", "limited"),
)

#: Seconds Claude Code lets one of our hooks run (they take milliseconds).
HOOK_TIMEOUT = 10


@dataclass(frozen=True)
class HookTarget:
    """Where a task's hooks record what they learn."""

    #: Absolute path of tmux, the socket path of its server, and the task's session name.
    tmux: str
    socket: str
    session: str
    #: The file that keeps the conversation record (the SessionStart event's JSON).
    conversation: str | None = None
    #: The task's worktree and the commit its branch is measured against ("ahead").
    worktree: str | None = None
    base_commit: str | None = None
    #: Absolute path of git.
    git: str = "git"
    #: The permission-request hook: the task id, the folder of its requests, its audit file,
    #: and how long it waits for an answer (None: permission requests only set "waiting").
    task_id: str = ""
    permissions: str | None = None
    audit: str = ""
    permission_timeout: float = 86400.0
    #: The task's transcript list (core.conversations): each SessionStart's JSON is appended to it.
    transcripts: str | None = None


def permission_hook(target: HookTarget) -> str:
    """The PermissionRequest command: the waiting hook (:mod:`.permission_hook`), by absolute paths."""
    words = [
        sys.executable, "-I", "-S", permission_hook_module.__file__,
        "--tmux", target.tmux, "--socket", target.socket, "--session", target.session,
        "--folder", target.permissions or "", "--audit", target.audit, "--task", target.task_id,
        "--timeout", str(target.permission_timeout),
    ]  # fmt: skip
    return "exec " + shlex.join(words)


def shell_hook(event: str, state: str, target: HookTarget) -> str:
    """The shell command one hook registration runs (``sh -c``; every value quoted)."""
    quote = shlex.quote
    where = quote(exact_pane(target.session))
    steps = []
    if event == "SessionStart" and target.conversation:
        record = quote(target.conversation)
        folder = quote(os.path.dirname(target.conversation))
        keep = f"mkdir -p {folder} && cat > {record}.$$ && mv -f {record}.$$ {record}"
        if target.transcripts:
            keep += f" && {{ cat {record}; echo; }} >> {quote(target.transcripts)}"
        steps.append(f"{{ {keep}; }} 2>/dev/null || cat >/dev/null")
    else:
        steps.append("cat >/dev/null")
    tmux = (
        f"{quote(target.tmux)} -S {quote(target.socket)} set-option -t {where} {options.AGENT_STATE} {state}"
    )
    if event == "UserPromptSubmit":  # past its start: the launch queue lets the next agent go
        tmux += f" \\; set-option -t {where} {options.PROMPTED} 1"
    if event in _COUNT_COMMITS_AFTER and target.worktree and target.base_commit:
        span = quote(f"{target.base_commit}..HEAD")
        steps.append(
            f"n=$({quote(target.git)} -C {quote(target.worktree)} rev-list --count {span} 2>/dev/null)"
        )
        tmux += f' \\; set-option -t {where} {options.AHEAD} "$n"'
    steps.append(f"{tmux} >/dev/null 2>&1")
    steps.append("exit 0")
    return "; ".join(steps)


def claude_settings(target: HookTarget) -> dict[str, Any]:
    """Claude Code settings (for ``--settings``) whose hooks record the agent's state in tmux."""
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event, matcher, state in CLAUDE_HOOK_EVENTS:
        handler: dict[str, Any] = {"type": "command", "command": shell_hook(event, state, target)}
        handler["timeout"] = HOOK_TIMEOUT
        if event == "PermissionRequest" and target.permissions:
            handler["command"] = permission_hook(target)
            handler["timeout"] = int(target.permission_timeout) + 30
        entry: dict[str, Any] = {"hooks": [handler]}
        if matcher is not None:
            entry["matcher"] = matcher
        hooks.setdefault(event, []).append(entry)
    return {"hooks": hooks}


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
