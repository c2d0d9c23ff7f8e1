"""Agent profiles: how each coding agent is started for a task, and what is remembered between runs.

A profile is data: the argv (with ``{prompt}``, ``{prompt_file}``, ``{session_id}``, ``{settings_file}``,
``{id}``, ``{worktree}``, ``{shell}`` placeholders), the argv used to resume a conversation, extra
environment, whether the agent reports its state through Claude Code hooks, and the screen patterns
(POSIX extended regular expressions, searched by tmux itself) that the fallback uses for agents
without hooks. The ``agents`` setting adds profiles or overrides fields of the built-in ones.

Two things are kept on disk, under ``$XDG_STATE_HOME/jupyter-claude`` (else
``~/.local/state/jupyter-claude``), never in tmux (a stopped session loses its options) and never in
``~/.claude``: the Claude Code settings file carrying our hooks, and the conversation id minted for a
task, so that starting a stopped task again resumes its conversation.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.config import state_dir
from ..core.conversations import conversation_file as conversation_file  # its home is the core now
from ..core.conversations import short_key
from ..core.conversations import transcripts_file as transcripts_file
from ..core.errors import InvalidSetting

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class AgentProfile:
    """How one agent is started and watched."""

    name: str
    #: argv template; an element that is exactly "{prompt}" becomes the whole prompt.
    argv: list[str]
    #: argv template used instead when a remembered conversation can be resumed.
    resume_argv: list[str] | None = None
    #: Extra environment (values may use the placeholders).
    env: dict[str, str] = field(default_factory=dict)
    #: The agent is Claude Code: start it with ``--settings`` carrying our state hooks.
    hooks: bool = False
    #: Screen patterns (POSIX ERE) for the fallback: the agent is busy / asks the user something.
    busy: str = ""
    waiting: str = ""
    #: Screen pattern (POSIX ERE) of a refusal for a rate or usage limit (agents without hooks).
    limited: str = ""
    #: Print the prompt in the pane before starting (agents that do not take it as an argument).
    print_prompt: bool = False
    #: How to install the agent, shown when its program is missing.
    install_hint: str = ""

    @property
    def remembers_conversation(self) -> bool:
        """True when the profile mints a conversation id (``{session_id}`` in its argv)."""
        return any("{session_id}" in part for part in self.argv)

    def to_json(self) -> dict[str, Any]:
        """JSON form (as the ``agents`` setting takes it)."""
        return dataclasses.asdict(self)


BUILTIN_PROFILES: dict[str, AgentProfile] = {
    profile.name: profile
    for profile in (
        AgentProfile(
            name="claude",
            argv=["claude", "--session-id", "{session_id}", "--settings", "{settings_file}", "{prompt}"],
            resume_argv=["claude", "--resume", "{session_id}", "--settings", "{settings_file}"],
            hooks=True,
            busy="esc to interrupt",
            waiting=r"Do you want to|Would you like to|❯ 1\. Yes",
            limited=r"API Error: .*\(429\)|hit your .*limit|temporarily limiting requests",
            install_hint="npm install -g @anthropic-ai/claude-code",
        ),
        AgentProfile(
            name="codex",
            argv=["codex", "{prompt}"],
            busy="[Ee]sc to interrupt",
            waiting=r"Allow command\?|Would you like to|Yes, proceed",
            limited=r"[Uu]sage limit|[Rr]ate limit|429 Too Many Requests",
            install_hint="npm install -g @openai/codex",
        ),
        AgentProfile(
            name="aider",
            argv=["aider", "--read", "{prompt_file}"],
            waiting=r"\(Y\)es/\(N\)o",
            limited=r"RateLimitError|[Rr]ate limit",
            print_prompt=True,
            install_hint="pipx install aider-chat",
        ),
        AgentProfile(
            name="gemini",
            argv=["gemini", "--prompt-interactive", "{prompt}"],
            busy="esc to cancel",
            waiting=r"Allow execution|Apply this change\?|Yes, allow once",
            limited=r"[Qq]uota exceeded|RESOURCE_EXHAUSTED|[Rr]ate limit",
            install_hint="npm install -g @google/gemini-cli",
        ),
        AgentProfile(name="shell", argv=["{shell}"], print_prompt=True),
    )
}


def agent_profile(name: str, overrides: dict[str, Any] | None = None) -> AgentProfile:
    """The profile called ``name``: a built-in one with the ``agents`` setting's fields over it."""
    overrides = overrides or {}
    extra = overrides.get(name)
    base = BUILTIN_PROFILES.get(name)
    if base is None and extra is None:
        known = sorted({*BUILTIN_PROFILES, *overrides})
        raise InvalidSetting(f"unknown agent {name!r}: pick one of {', '.join(known)} or add it to `agents`")
    if extra is None:
        assert base is not None
        return base
    if not isinstance(extra, dict):
        raise InvalidSetting(f"agents[{name!r}] must be a mapping of profile fields")
    fields = {f.name for f in dataclasses.fields(AgentProfile)} - {"name"}
    unknown = set(extra) - fields
    if unknown:
        raise InvalidSetting(f"agents[{name!r}] has unknown fields {sorted(unknown)}: use {sorted(fields)}")
    values = {**(base.to_json() if base else {}), **extra, "name": name}
    if "argv" not in values:
        raise InvalidSetting(f"agents[{name!r}] needs an argv (a list of strings)")
    for key in ("argv", "resume_argv"):
        value = values.get(key)
        if value is None and key == "resume_argv":
            continue
        if not isinstance(value, list) or not value or not all(isinstance(part, str) for part in value):
            raise InvalidSetting(f"agents[{name!r}].{key} must be a non-empty list of strings")
    if not isinstance(values.get("env", {}), dict):
        raise InvalidSetting(f"agents[{name!r}].env must be a mapping of names to strings")
    return AgentProfile(**values)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace the ``{name}`` placeholders that ``values`` knows, in one pass (a value is never
    read as a template); any other braces stay as they are."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def agent_argv(profile: AgentProfile, values: dict[str, str], resume: bool = False) -> list[str]:
    """The argv to exec: the profile's (resume) template with the placeholders filled."""
    template = profile.resume_argv if resume and profile.resume_argv else profile.argv
    return [fill(part, values) for part in template]


# -- state on disk ---------------------------------------------------------------------------------


_key = short_key


@dataclass(frozen=True)
class Conversation:
    """The agent conversation remembered for a task in one directory."""

    path: Path
    session_id: str
    transcript_path: str | None = None

    def can_resume(self) -> bool:
        """True when the agent saved this conversation (a transcript exists), so --resume works."""
        if self.transcript_path and Path(self.transcript_path).is_file():
            return True
        config = os.environ.get("CLAUDE_CONFIG_DIR") or str(Path.home() / ".claude")
        pattern = os.path.join(glob.escape(config), "projects", "*", glob.escape(self.session_id) + ".jsonl")
        return bool(glob.glob(pattern))


def load_conversation(path: Path) -> Conversation:
    """The remembered conversation, or a freshly minted id (saved at once) when there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        session_id = str(uuid.UUID(str(data["session_id"])))
        transcript = data.get("transcript_path")
        return Conversation(path, session_id, str(transcript) if transcript else None)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    conversation = Conversation(path, str(uuid.uuid4()))
    save_conversation(conversation)
    return conversation


def save_conversation(conversation: Conversation) -> None:
    """Write the conversation file atomically."""
    conversation.path.parent.mkdir(parents=True, exist_ok=True)
    data = {"session_id": conversation.session_id, "transcript_path": conversation.transcript_path}
    temporary = conversation.path.with_name(conversation.path.name + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data) + "\n", encoding="utf-8")
    os.replace(temporary, conversation.path)


def write_claude_settings(name: str, settings: dict[str, Any]) -> Path:
    """Write a Claude Code settings file for one session (``name`` and the content key it)."""
    text = json.dumps(settings, indent=2) + "\n"
    path = state_dir() / "claude-settings" / f"{name}-{_key(text)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


def write_prompt_file(name: str, cwd: str, prompt: str) -> Path:
    """Write the task's prompt where agents that read a file (aider) find it."""
    path = state_dir() / "prompts" / f"{name}-{_key(cwd)}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(prompt, encoding="utf-8")
    return path
