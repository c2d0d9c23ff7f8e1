"""Task logs: ``{log_dir}/{id}.log`` (and its rotated ``.1``), the one place that reads them.

The bytes are written by :mod:`.logpipe`, attached to the pane with ``pipe-pane`` from the session's
first byte; the files outlive the session and any server restart. Every reader goes through here:
the CLI's ``log`` (whole, tail, follow), the magic, the TaskTable's viewer, the REST API's ``log``
route and the live views' replays. Text views play the bytes through a terminal of the pane's size
(:mod:`.render`), so they read as the screen showed them; raw bytes stay available.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import render
from .errors import LogUnavailable

#: Bytes played to find a log's last lines (enough for thousands of lines of a busy screen).
TAIL_BYTES = 2 * 1024 * 1024


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


def size_file(path: Path) -> Path:
    """Where the pane size a log was last written at is kept (``{id}.log.size``)."""
    return path.with_name(path.name + ".size")


def remember_size(path: Path, cols: int, rows: int) -> None:
    """Keep the pane's size beside its log, so a stopped task's log is still drawn at its size."""
    try:
        size_file(path).write_text(f"{cols} {rows}\n", encoding="ascii")
    except OSError:
        pass


def known_size(path: Path) -> tuple[int, int]:
    """The pane size kept beside the log, else tmux's default (80x24)."""
    try:
        cols, rows = (int(word) for word in size_file(path).read_text(encoding="ascii").split()[:2])
    except (OSError, ValueError):
        return render.DEFAULT_SIZE
    return (cols, rows) if 2 <= cols <= 10_000 and 2 <= rows <= 10_000 else render.DEFAULT_SIZE


def text_lines(
    path: Path, size: tuple[int, int] | None = None, tail: int | None = None, since: int | None = None
) -> list[str]:
    """The log as the screen showed it (scrollback, then the last screen), at ``size``.

    ``tail``: the last lines only (the end of the log is played from a bounded number of bytes);
    ``since``: play only the current file's bytes from that offset (the running command's output).
    """
    cols, rows = size or known_size(path)
    if since is not None:
        try:
            with path.open("rb") as handle:
                handle.seek(since)
                data = handle.read()
        except OSError:
            data = b""
    elif tail is not None:
        data = log_tail(path, TAIL_BYTES)
    else:
        data = (read_bytes(rotated(path)) or b"") + (read_bytes(path) or b"")
    lines = render.render(data, cols, rows)
    return lines[-tail:] if tail else ([] if tail == 0 else lines)


def read_bytes(path: Path) -> bytes | None:
    """A file's bytes, or None when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def follow(
    path: Path,
    offset: int,
    interval: float = 0.2,
    stop: Callable[[], bool] = lambda: False,
    idle: bool = False,
) -> Iterator[bytes]:
    """What is appended to ``path`` after ``offset``, chunk by chunk, until ``stop()`` (after a
    rotation, the new file from its start); with ``idle``, an empty chunk each quiet interval."""
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
        if idle:
            yield b""


def follow_text(
    path: Path, size: tuple[int, int] | None = None, tail: int | None = None, quiet: float = 0.3
) -> Iterator[list[str]]:
    """The log as text, then the lines it settles into as it grows, a batch at a time, forever.

    The first batch is what :func:`text_lines` gives. Afterwards the log is played in a terminal
    that stays open: lines that scroll off its screen are printed as they go; the screen's own
    lines once the output has been quiet for ``quiet`` seconds, and again only when redrawn (a
    full-screen agent repaints in place: its settled screen, not every repaint).
    """
    cols, rows = size or known_size(path)
    first = (
        log_tail(path, TAIL_BYTES)
        if tail is not None
        else (read_bytes(rotated(path)) or b"") + (read_bytes(path) or b"")
    )
    offset = size_of(path)
    player = render.Player(cols, rows)
    try:
        player.feed(first)
        lines = player.settled(quiet=True)
        yield lines[-tail:] if tail else ([] if tail == 0 else lines)
        last_output = time.monotonic()
        pending = False
        for chunk in follow(path, offset, interval=0.05, idle=True):
            if chunk:
                player.feed(chunk)
                last_output, pending = time.monotonic(), True
            settled_now = pending and time.monotonic() - last_output >= quiet
            out = player.settled(quiet=settled_now)
            if settled_now:
                pending = False
            if out:
                yield out
    finally:
        player.close()
