"""Transcript lines shaped as Claude Code 2.1.197 writes them (checked against real transcripts of
the real CLI and the scripted model server), and a task's transcript list as our SessionStart hook
writes it. For the usage, limit and queue tests that need transcripts without running the agent."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from jupyter_claude.core.conversations import transcripts_file

SONNET = "claude-sonnet-4-5-20250929"

#: Claude Code writes JSON as JavaScript's JSON.stringify does: no spaces.
_COMPACT = (",", ":")


def _base(kind: str, at: str) -> dict[str, Any]:
    return {
        "parentUuid": None,
        "isSidechain": False,
        "type": kind,
        "uuid": str(uuid.uuid4()),
        "timestamp": at,
        "userType": "external",
        "entrypoint": "cli",
        "cwd": "/work",
        "sessionId": "11111111-2222-3333-4444-555555555555",
        "version": "2.1.197",
    }


def prompt(text: str, at: str = "2026-11-29T23:42:28.898Z") -> str:
    """A prompt the person typed."""
    entry = _base("user", at)
    entry.update(message={"role": "user", "content": text}, origin={"kind": "human"}, promptSource="typed")
    return json.dumps(entry, separators=_COMPACT)


def tool_result(text: str, at: str = "2026-11-29T23:42:29.000Z") -> str:
    """A tool's result, as the user entry Claude Code writes for it."""
    entry = _base("user", at)
    content = [{"tool_use_id": "toolu_1", "type": "tool_result", "content": text}]
    entry.update(message={"role": "user", "content": content})
    return json.dumps(entry, separators=_COMPACT)


def answer(
    message_id: str,
    usage: tuple[int, int, int, int] = (100, 20, 5, 7),
    model: str = SONNET,
    blocks: int = 1,
    at: str = "2026-11-29T23:42:29.076Z",
) -> list[str]:
    """An answer: one line per content block, all with the answer's id and usage
    (input, output, cache read, cache write)."""
    lines = []
    for index in range(blocks):
        entry = _base("assistant", at)
        entry["message"] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": f"block {index}"}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": usage[0],
                "output_tokens": usage[1],
                "cache_read_input_tokens": usage[2],
                "cache_creation_input_tokens": usage[3],
                "service_tier": "standard",
                "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
            },
        }
        lines.append(json.dumps(entry, separators=_COMPACT))
    return lines


def refusal(
    text: str = "API Error: Request rejected (429) · Too many", at: str = "2026-11-29T23:42:29.686Z"
) -> str:
    """The entry Claude Code writes for a request refused for a rate or usage limit."""
    entry = _base("assistant", at)
    entry.update(
        message={
            "id": str(uuid.uuid4()),
            "model": "<synthetic>",
            "role": "assistant",
            "type": "message",
            "usage": {"input_tokens": 0, "output_tokens": 0},
            "content": [{"type": "text", "text": text}],
        },
        error="rate_limit",
        isApiErrorMessage=True,
        apiErrorStatus=429,
    )
    return json.dumps(entry, separators=_COMPACT)


def turn(duration_ms: int, at: str = "2026-11-29T23:42:29.107Z") -> str:
    """The system entry that says how long a turn took."""
    entry = _base("system", at)
    entry.update(subtype="turn_duration", durationMs=duration_ms, isMeta=False)
    return json.dumps(entry, separators=_COMPACT)


def write(path: Path, lines: list[str], mode: str = "w") -> Path:
    """Write (or append) transcript lines, each ending with a newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode, encoding="utf-8") as file:
        file.write("".join(line + "\n" for line in lines))
    return path


def register(task_id: str, root: Path, transcript: Path) -> Path:
    """Append a SessionStart record naming ``transcript`` to the task's transcript list, as the
    hook does (the state folder is the test's XDG_STATE_HOME)."""
    listing = transcripts_file(task_id, str(root.resolve()))
    listing.parent.mkdir(parents=True, exist_ok=True)
    record = {"session_id": transcript.stem, "transcript_path": str(transcript), "source": "startup"}
    with listing.open("a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")
    return listing
