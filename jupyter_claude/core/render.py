"""A task log as the screen showed it: the pane's bytes played through a terminal, read back as text.

The log holds what the pane's program wrote, escape sequences included: Claude Code lays out its
screen with cursor moves (``ESC[9G`` between words), redraws in place, draws boxes; stripping the
escapes glues words together. Here the bytes are played into a private, throwaway tmux pane of the
pane's size (tmux is the terminal the person saw them through, so the text comes out exactly as
``tmux capture-pane`` shows it, wide characters and all, at native speed: pyte, the pure-Python
emulator, renders about 0.25 MB/s here, tmux over 20 MB/s) and read back with
``capture-pane -p``: scrollback lines in order, then the screen, trailing blanks dropped.

:class:`Player` keeps such a pane open to follow a growing log (``log -f``): each chunk is written
through a FIFO, followed by a title marker, so the text is read only once tmux has drawn the chunk.
Without tmux, :func:`plain_text` is the fallback: escapes removed, ``\\r`` redraws resolved.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

#: Size a log is played at when its pane's size is unknown (tmux's own default).
DEFAULT_SIZE = (80, 24)

#: Scrollback the playing pane keeps (lines).
HISTORY_LINES = 500_000

#: How long playing a log may take before it is given up.
PLAY_TIMEOUT = 60.0

# CSI and OSC sequences, other two-byte escapes.
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


def plain_text(data: bytes) -> str:
    """The fallback rendering: escapes removed, a bare ``\\r`` redraws its line."""
    text = strip_ansi(data.decode("utf-8", errors="replace"))
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1].rstrip() for line in text.split("\n"))


def _trim(lines: list[str]) -> list[str]:
    """Lines without trailing blanks, and without blank lines at the end."""
    trimmed = [line.rstrip() for line in lines]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


class _Pane:
    """A private tmux server with one pane of a given size that plays what it is given."""

    def __init__(self, cols: int, rows: int, command: list[str]) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            raise FileNotFoundError("tmux")
        self.socket = f"jc-render-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._tmux = tmux
        # The pane's tty passes bytes as they are (no \n -> \r\n): the log already has what the
        # program's tty made of them.
        script = 'stty -opost -echo 2>/dev/null; exec "$@"'
        size = ["-x", str(cols), "-y", str(rows)]
        self.run(
            ["-f", "/dev/null", "start-server"],
            ["set-option", "-g", "history-limit", str(HISTORY_LINES)],
            ["set-option", "-g", "status", "off"],
            ["new-session", "-d", "-s", "play", *size, "--", "sh", "-c", script, "sh", *command],
        )

    def run(self, *commands: list[str], timeout: float = PLAY_TIMEOUT) -> str:
        argv = [self._tmux, "-L", self.socket]
        for index, command in enumerate(commands):
            argv += ([";"] if index else []) + command
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        done = subprocess.run(argv, capture_output=True, env=env, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode(errors="replace").strip() or "tmux failed")
        return done.stdout.decode("utf-8", errors="replace")

    def text(self, first: int | None = None) -> tuple[list[str], int]:
        """(lines from history line ``first`` (all when None) to the screen's end, history size)."""
        start = "-" if first is None else str(first)
        out = self.run(
            ["display-message", "-p", "-t", "=play:", "#{history_size}"],
            ["capture-pane", "-p", "-t", "=play:", "-S", start],
        )
        size, _, capture = out.partition("\n")
        return capture.split("\n")[:-1] if capture.endswith("\n") else capture.split("\n"), int(size or 0)

    def close(self) -> None:
        try:
            self.run(["kill-server"], timeout=10)
        except (RuntimeError, subprocess.SubprocessError, OSError):
            pass


def render(data: bytes, cols: int, rows: int) -> list[str]:
    """``data`` as the lines a terminal of that size shows: scrollback, then the screen."""
    if not data:
        return []
    try:
        with tempfile.TemporaryDirectory(prefix="jc-render-") as folder:
            source = Path(folder) / "bytes"
            source.write_bytes(data)
            # After the bytes, a title marker: once tmux shows it, it has drawn everything before.
            done = f"jc-done-{uuid.uuid4().hex}"
            marker = f"printf '\\033]2;{done}\\007'; exec sleep 600"
            pane = _Pane(max(cols, 2), max(rows, 2), ["sh", "-c", f'cat "$0"; {marker}', str(source)])
            try:
                _wait_for_title(pane, done)
                lines, _ = pane.text()
            finally:
                pane.close()
    except (FileNotFoundError, RuntimeError, subprocess.SubprocessError, OSError):
        return _trim(plain_text(data).split("\n"))
    return _trim(lines)


def _wait_for_title(pane: _Pane, title: str) -> None:
    """Until the pane's title is ``title``: tmux has drawn every byte written before the marker."""
    deadline = time.monotonic() + PLAY_TIMEOUT
    delay = 0.002
    while pane.run(["display-message", "-p", "-t", "=play:", "#{pane_title}"]).strip() != title:
        if time.monotonic() > deadline:
            raise RuntimeError("playing the log took too long")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


class Player:
    """A pane that keeps playing a growing log; :meth:`feed` returns the lines that settled."""

    def __init__(self, cols: int, rows: int) -> None:
        self._folder = tempfile.mkdtemp(prefix="jc-follow-")
        self._fifo = Path(self._folder) / "bytes"
        os.mkfifo(self._fifo, 0o600)
        self._pane = _Pane(max(cols, 2), max(rows, 2), ["cat", str(self._fifo)])
        # Opening blocks until the pane's cat opens its end: do it beside us.
        opened: list[int] = []
        opener = threading.Thread(target=lambda: opened.append(os.open(self._fifo, os.O_WRONLY)), daemon=True)
        opener.start()
        opener.join(10)
        if not opened:
            self.close()
            raise RuntimeError("the playing pane did not start")
        self._writer = opened[0]
        self._marks = 0
        self._token = uuid.uuid4().hex[:12]
        #: Document lines already given out (history lines are final; screen lines may change).
        self._given: list[str] = []

    def feed(self, data: bytes) -> None:
        """Play ``data`` and wait until tmux has drawn it."""
        self._marks += 1
        mark = f"jc-mark-{self._token}-{self._marks}"
        payload = data + f"\x1b]2;{mark}\x07".encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(self._writer, view) :]
        _wait_for_title(self._pane, mark)

    def document(self) -> list[str]:
        """Every line so far: scrollback, then the screen (trailing blanks dropped)."""
        return _trim(self._pane.text()[0])

    def settled(self, quiet: bool) -> list[str]:
        """Lines to print now: those that scrolled off the screen since last time, and, when the
        output has been ``quiet``, the screen lines that are new or were redrawn (from the first
        that changed)."""
        lines, history = self._pane.text()
        lines = [line.rstrip() for line in lines]
        given = self._given
        out: list[str] = []
        # Scrollback never changes: give out what is new in it.
        if len(given) < history:
            out += lines[len(given) : history]
            given[len(given) :] = lines[len(given) : history]
        if quiet:
            screen = _trim(lines[history:])
            current = lines[:history] + screen
            first = next(
                (i for i in range(history, len(current)) if i >= len(given) or given[i] != current[i]),
                len(current),
            )
            out += current[first:]
            self._given = current
        return out

    def close(self) -> None:
        """End the pane and remove the FIFO."""
        try:
            os.close(self._writer)
        except (AttributeError, OSError):
            pass
        self._pane.close()
        shutil.rmtree(self._folder, ignore_errors=True)
