"""Task logs: reading ``{log_dir}/{id}.log`` (and its rotated ``.1``) back as text.

The bytes are written by :mod:`jupyter_claude.logpipe`, attached to the pane with ``pipe-pane``
from the session's first byte; the files outlive the session and any server restart.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sessions import ClaudeSessions

# CSI and OSC sequences, other two-byte escapes, and the carriage returns of \r\n line ends.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS / SOS / PM / APC ... ST
    r"|\x1b[@-Z\\-_]"  # other Fe escapes
    r"|\x1b[()][0-9A-Za-z]"  # charset selection
)


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences, with ``\\r\\n`` folded to ``\\n``."""
    return _ANSI.sub("", text).replace("\r\n", "\n")


def read_log(path: Path, tail: int | None = None) -> str:
    """The log at ``path`` (rotated part first) decoded as UTF-8; the last ``tail`` lines if given."""
    return read_log_and_offset(path, tail)[0]


def read_log_and_offset(path: Path, tail: int | None = None) -> tuple[str, int]:
    """Like :func:`read_log`, plus how many bytes of the current file were read: following the
    log from that offset misses and repeats nothing."""
    rotated = path.with_name(path.name + ".1")
    old = rotated.read_bytes() if rotated.exists() else b""
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = b""
    text = (old + current).decode("utf-8", errors="replace")
    if tail is not None:
        text = "".join(text.splitlines(keepends=True)[-tail:]) if tail > 0 else ""
    return text, len(current)


class TaskLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """``ClaudeSessions.log``: the manager's logger, which also reads a task's log when called.

    ``sessions.log.info(...)`` logs as any traitlets ``LoggingConfigurable`` does;
    ``sessions.log("42", tail=50)`` returns the last 50 lines of task 42's output.
    """

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter, manager: ClaudeSessions) -> None:  # type: ignore[type-arg]
        super().__init__(logger, {})  # type: ignore[arg-type]
        self._manager = manager

    def __call__(self, task_id: str, tail: int | None = None) -> str:
        """The task's log as text."""
        return read_log(self._manager.log_path(task_id), tail)

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        """Pass messages through unchanged."""
        return msg, kwargs
