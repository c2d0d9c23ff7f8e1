"""What the fields of a Claude Code transcript entry mean, read defensively: whether a user entry
is a prompt the person typed, an entry's text, a token count, a timestamp."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def typed_prompt(entry: dict[str, Any]) -> bool:
    """True for a prompt the person typed (not a tool result, a command's output or a note)."""
    if entry.get("type") != "user" or entry.get("isMeta"):
        return False
    origin = entry.get("origin")
    if isinstance(origin, dict):
        return origin.get("kind") == "human"
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return False
        content = text_of(content)
    return isinstance(content, str) and bool(content.strip()) and not content.lstrip().startswith("<")


def text_of(content: Any) -> str:
    """The text of a message's content (a string, or text blocks)."""
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        return " ".join(
            str(block.get("text", "")).strip()
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        ).strip()
    return ""


def token_count(value: Any) -> int:
    """A usage figure: a whole number of 0 or more, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def epoch_of(text: Any) -> float:
    """An ISO timestamp as epoch seconds (0 when it is not one)."""
    if not isinstance(text, str):
        return 0.0
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
