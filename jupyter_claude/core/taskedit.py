"""Rewriting a task file's front matter ``status``, byte for byte, and writing a new task's text.

:func:`with_status` changes the value of the top-level ``status`` key and nothing else: other keys,
their order, comments, blank lines, quoting elsewhere, CRLF line ends, a byte order mark and the
body stay as they were. TOML (``+++``) gets ``status = "…"`` (a literal string stays literal
when it can), YAML (``---``) gets ``status: …`` (plain when that reads back as the same text,
else quoted as it was, else double-quoted). A front matter without the key gets it added (TOML:
before the first ``[table]``; YAML: at the end), a file without front matter gets a TOML block.
Every result is parsed again before it is used: its metadata must be the old one with only the
new status, its body the old body; anything else is refused (:class:`TaskNotEditable`), never
written.

Status, title and priority values are one line of text (:func:`check_line`); a body is text
without terminal control characters (it reaches agents' prompts and terminals).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from .errors import InvalidSetting, TaskNotEditable
from .tasks import MAX_FIELD, MAX_TITLE, FrontMatterError, closing_fence, shorten, split_front_matter

#: Longest status or priority written (the listing's field limit).
MAX_STATUS = MAX_FIELD
#: Longest body a new task may have, in characters.
MAX_BODY = 256 * 1024

#: Bidirectional overrides and isolates: they make text read differently from what it holds.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_character(character: str, allow: str = "") -> bool:
    if character in allow:
        return False
    return unicodedata.category(character) in ("Cc", "Cs", "Zl", "Zp") or character in _BIDI


def check_line(value: object, what: str, limit: int = MAX_STATUS) -> str:
    """``value`` without surrounding blanks, when it is one line of text of at most ``limit``
    characters without control characters; else :class:`InvalidSetting` saying why."""
    if value is None:
        raise InvalidSetting(f"{what} is required")
    if not isinstance(value, str):
        raise InvalidSetting(f"{what} must be text, not {type(value).__name__}")
    text = value.strip()
    shown = shorten(text, 40)
    if not text:
        raise InvalidSetting(f"{what} is empty")
    bad = next((c for c in text if _bad_character(c)), None)
    if bad is not None:
        kind = "a line break" if bad in "\n\r\x0b\x0c\x85\u2028\u2029" else "a control character"
        raise InvalidSetting(f"{what} {shown!r} holds {kind} (U+{ord(bad):04X}): it must be one line of text")
    if len(text) > limit:
        raise InvalidSetting(f"{what} {shown!r} is longer than {limit} characters")
    return text


def check_body(value: object) -> str:
    """A task body: text of at most :data:`MAX_BODY` characters, no control characters but tab and
    line ends."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidSetting(f"the body must be text, not {type(value).__name__}")
    if len(value) > MAX_BODY:
        raise InvalidSetting(f"the body is longer than {MAX_BODY // 1024} Ki characters")
    bad = next((c for c in value if _bad_character(c, allow="\t\n\r")), None)
    if bad is not None:
        raise InvalidSetting(f"the body holds a control character (U+{ord(bad):04X})")
    return value


# -- new task files --------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    """A TOML basic string holding ``value`` (one line, checked by :func:`check_line`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_task_text(
    task_id: str,
    title: str,
    status: str,
    priority: str | None = None,
    body: str = "",
    created: str | None = None,
) -> str:
    """The text of a new task file: TOML front matter, then the body."""
    lines = [
        f"id = {toml_string(task_id)}",
        f"title = {toml_string(title)}",
        f"status = {toml_string(status)}",
    ]
    if priority:
        lines.append(f"priority = {toml_string(priority)}")
    if created:
        lines.append(f"created_date = {toml_string(created)}")
    text = "+++\n" + "\n".join(lines) + "\n+++\n"
    if body.strip():
        newline = "\r\n" if "\r\n" in body else "\n"
        text += newline + body + ("" if body.endswith("\n") else newline)
    return text


def check_title(value: object) -> str:
    """A new task's title (one line, at most the listing's title length)."""
    return check_line(value, "the title", MAX_TITLE)


# -- the status rewrite ------------------------------------------------------------------------------


def with_status(data: bytes, status: str) -> bytes:
    """The file ``data`` with its front matter ``status`` set to ``status`` (already checked), and
    nothing else changed. Raises :class:`TaskNotEditable` when that cannot be done exactly."""
    try:
        text = data.decode("utf-8")
        old_metadata, old_body = split_front_matter(text)
    except (UnicodeDecodeError, FrontMatterError) as error:
        raise TaskNotEditable(f"the file cannot be read as a task: {error}") from None
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    content = text[len(bom) :]
    first_line, _, rest = content.partition("\n")
    newline = "\r\n" if first_line.endswith("\r") else "\n"
    fence = first_line.strip()
    if fence in ("+++", "---") and "\n" in content:
        end = closing_fence(rest, fence)
        if end is None:  # pragma: no cover - split_front_matter refused it above
            raise TaskNotEditable("the front matter is never closed")
        matter, closing = rest[: end[0]], rest[end[0] :]
        setter = _toml_with_status if fence == "+++" else _yaml_with_status
        result = bom + first_line + "\n" + setter(matter, status, newline) + closing
    else:
        if "\n" in content:
            newline = "\r\n" if content.partition("\n")[0].endswith("\r") else "\n"
        block = f"+++{newline}status = {toml_string(status)}{newline}+++{newline}"
        result = bom + block + content
    _check_rewrite(result, old_metadata, old_body, status)
    return result.encode("utf-8")


def _check_rewrite(result: str, old_metadata: dict[str, Any], old_body: str, status: str) -> None:
    """The rewrite must read back as the old task with only the new status."""
    try:
        metadata, body = split_front_matter(result)
    except FrontMatterError as error:
        raise TaskNotEditable(
            f"the status cannot be set in this front matter without breaking it ({error})"
        ) from None
    if body != old_body or metadata != {**old_metadata, "status": status}:
        raise TaskNotEditable(
            "the status of this front matter is written in a form that cannot be changed exactly "
            "(a table, a list or a multi-line value): change it by hand"
        )


# TOML ------------------------------------------------------------------------------------------------

_TOML_KEY = re.compile(r"""^[ \t]*(?:status|"status"|'status')[ \t]*=[ \t]*""", re.MULTILINE)
_TOML_TABLE = re.compile(r"^[ \t]*\[\[?[^\]\n]*\]\]?[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE)


def _toml_with_status(matter: str, status: str, newline: str) -> str:
    table = _TOML_TABLE.search(matter)
    top = matter[: table.start()] if table else matter
    key = _TOML_KEY.search(top)
    if key is None:
        return top + f"status = {toml_string(status)}{newline}" + matter[len(top) :]
    start = key.end()
    end = _toml_value_end(matter, start)
    old = matter[start:end]
    if old.startswith("'") and not old.startswith("'''") and "'" not in status:
        value = f"'{status}'"
    else:
        value = toml_string(status)
    return matter[:start] + value + matter[end:]


def _toml_value_end(text: str, start: int) -> int:
    """Where the TOML value starting at ``start`` ends (before blanks and a comment)."""
    for quote in ('"""', "'''"):
        if text.startswith(quote, start):
            close = text.find(quote, start + 3)
            while quote == '"""' and close > 0 and _escaped(text, close):
                close = text.find(quote, close + 1)
            if close < 0:
                return len(text)
            close += 3
            while text.startswith(quote[0], close):  # up to two more quotes belong to the string
                close += 1
            return close
    if text.startswith('"', start):
        position = start + 1
        while position < len(text) and text[position] not in '"\n':
            position += 2 if text[position] == "\\" else 1
        return min(position + 1, len(text))
    if text.startswith("'", start):
        close = text.find("'", start + 1)
        return len(text) if close < 0 else close + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    comment = text.find("#", start, line_end)
    end = line_end if comment < 0 else comment
    return len(text[start:end].rstrip(" \t\r")) + start


def _escaped(text: str, position: int) -> bool:
    backslashes = 0
    while position - backslashes - 1 >= 0 and text[position - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


# YAML ------------------------------------------------------------------------------------------------

_YAML_KEY = re.compile(r"""^(?:status|"status"|'status')[ \t]*:(?=[ \t\r\n]|$)[ \t]*""", re.MULTILINE)


def _yaml_with_status(matter: str, status: str, newline: str) -> str:
    key = _YAML_KEY.search(matter)
    if key is None:
        return matter + f"status: {_yaml_scalar(status, '')}{newline}"
    start = key.end()
    line_end = matter.find("\n", start)
    line_end = len(matter) if line_end < 0 else line_end
    first = matter[start:line_end].rstrip("\r")
    value_end = start + _yaml_value_length(first)
    # Lines that continue the value (a block scalar, a multi-line plain scalar, a nested value).
    end = line_end
    while end < len(matter):
        next_end = matter.find("\n", end + 1)
        next_end = len(matter) if next_end < 0 else next_end
        line = matter[end + 1 : next_end]
        if line[:1] not in (" ", "\t") or not line.strip():
            break
        end = next_end
    value = _yaml_scalar(status, first[:1])
    if matter[start - 1] == ":":
        value = " " + value
    if matter.startswith("#", value_end):
        value += " "
    # Continuation lines go; the rest of the key's line (blanks, a comment) stays.
    return matter[:start] + value + matter[value_end:line_end] + matter[end:]


def _yaml_value_length(line: str) -> int:
    """How much of ``line`` (what follows ``status:``) is the value, before blanks and a comment."""
    if line.startswith('"'):
        position = 1
        while position < len(line) and line[position] != '"':
            position += 2 if line[position] == "\\" else 1
        return min(position + 1, len(line))
    if line.startswith("'"):
        position = 1
        while position < len(line):
            if line[position] == "'":
                if line.startswith("''", position):
                    position += 2
                    continue
                return position + 1
            position += 1
        return len(line)
    if line.startswith("#"):
        return 0
    comment = re.search(r"[ \t]#", line)
    end = comment.start() if comment else len(line)
    return len(line[:end].rstrip(" \t"))


def _yaml_scalar(value: str, old_quote: str) -> str:
    """``value`` as a YAML scalar: in the old quoting when it had one, else plain when that reads
    back as the same text, else double-quoted."""
    if old_quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if old_quote != '"' and _plain_reads_back(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _plain_reads_back(value: str) -> bool:
    """Whether ``status: value`` reads back as the text (with the task files' own YAML reader)."""
    try:
        loaded, _ = split_front_matter(f"---\nk: {value}\n---\n")
    except FrontMatterError:
        return False
    return loaded.get("k") == value
