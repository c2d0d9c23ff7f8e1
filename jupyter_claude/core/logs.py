"""Task logs: ``{log_dir}/{id}.log`` (and its rotated ``.1``), the one place that reads them.

The bytes are written by :mod:`.logpipe`, attached to the pane with ``pipe-pane`` from the session's
first byte; the files outlive the session and any server restart. Every reader goes through here:
the CLI's ``log`` (whole, tail, follow), the magic, the TaskTable's viewer, the REST API's ``log``
route and the live views' replays.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import LogUnavailable

# CSI and OSC sequences, other two-byte escapes, and the carriage returns of \r\n line ends.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS / SOS / PM / APC ... ST
    r"|\x1b[@-Z\\-_]"  # other Fe escapes
    r"|\x1b[()][0-9A-Za-z]"  # charset selection
)


def rotated(path: Path) -> Path:
    """The rotated part of a log (``{id}.log.1``)."""
    return path.with_name(path.name + ".1")


def prepare_log_dir(folder: Path, log: logging.Logger | logging.LoggerAdapter | None = None) -> None:  # type: ignore[type-arg]
    """Make the log folder, or :class:`LogUnavailable` saying why (before any session is made)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as error:
        raise LogUnavailable(
            f"cannot keep task logs in {str(folder)!r}: {error.strerror or error} "
            "(set c.ClaudeSessions.log_dir to a folder you can write)"
        ) from None
    try:
        space = os.statvfs(folder)
    except OSError:
        return
    if log is not None and space.f_bavail * space.f_frsize < 1024 * 1024:
        log.warning("jupyter-claude: the log folder %s is (nearly) full: output will be lost", folder)


def size_of(path: Path) -> int:
    """The log's size (0 when it does not exist yet)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences, with ``\\r\\n`` folded to ``\\n``."""
    return _ANSI.sub("", text).replace("\r\n", "\n")


def read_log(path: Path, tail: int | None = None) -> str:
    """The log at ``path`` (rotated part first) decoded as UTF-8; the last ``tail`` lines if given."""
    return read_log_and_offset(path, tail)[0]


def read_log_and_offset(path: Path, tail: int | None = None) -> tuple[str, int]:
    """Like :func:`read_log`, plus how many bytes of the current file were read: following the
    log from that offset misses and repeats nothing."""
    old_path = rotated(path)
    old = old_path.read_bytes() if old_path.exists() else b""
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = b""
    text = (old + current).decode("utf-8", errors="replace")
    if tail is not None:
        text = "".join(text.splitlines(keepends=True)[-tail:]) if tail > 0 else ""
    return text, len(current)


def log_tail(path: Path, limit: int) -> bytes:
    """The last ``limit`` bytes of a task log (its rotated part first when the log is short)."""
    parts: list[bytes] = []
    remaining = limit
    for part in (path, rotated(path)):
        if remaining <= 0:
            continue
        try:
            with part.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - remaining))
                data = handle.read()
        except OSError:
            continue
        parts.insert(0, data)
        remaining -= len(data)
    return b"".join(parts)


def tail_text(path: Path, lines: int = 200, max_bytes: int = 64 * 1024) -> str:
    """The last ``lines`` lines of a task log (at most ``max_bytes`` read), escape sequences removed."""
    text = strip_ansi(log_tail(path, max_bytes).decode("utf-8", errors="replace"))
    # A bare carriage return redraws the line: keep what was drawn last.
    shown = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.rstrip("\n").split("\n")]
    return "\n".join(shown[-lines:])


def follow(
    path: Path, offset: int, interval: float = 0.2, stop: Callable[[], bool] = lambda: False
) -> Iterator[bytes]:
    """What is appended to ``path`` after ``offset``, chunk by chunk, until ``stop()`` (after a
    rotation, the new file from its start)."""
    while not stop():
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < offset:
            offset = 0
        if size > offset:
            with path.open("rb") as log:
                log.seek(offset)
                data = log.read(size - offset)
            offset += len(data)
            yield data
            continue
        time.sleep(interval)
