"""Append a pane's output to its task log byte for byte, rotating the file at a size limit.

tmux's ``pipe-pane`` runs this file by path with the pane's output on stdin:
``python -I -S logpipe.py LOG MAX_BYTES [TMUX SOCKET PANE] [--gap]`` (isolated and without site, so it
starts in a few milliseconds; it needs only the standard library). When the next chunk would take
the log past ``MAX_BYTES`` it is renamed to ``LOG.1`` (one old file kept) and a fresh log is started.

Nothing is lost silently. When the log cannot be written (a full disk, a folder that went away)
the writer keeps reading the pane, so the agent never blocks, counts the bytes it could not keep,
tells tmux (the pane's ``@jc_log`` option becomes ``lost N``, which every listing shows), and at
the first successful write afterwards marks the gap in the log itself. ``--gap`` means this
writer replaces one that died: it starts with a marker saying since when output is missing.
"""

from __future__ import annotations

import os
import sys
import time

_CHUNK = 65536

#: tmux session option that carries the log's health ("" when all is well).
OPTION_LOG = "@jc_log"

#: Seconds between two reports of growing losses to tmux.
REPORT_INTERVAL = 1.0


def marker(text: str) -> bytes:
    """A line in the log that says what happened to it, set apart from the agent's output."""
    return f"\r\n\x1b[0m\x1b[7m[jupyter-claude: {text}]\x1b[0m\r\n".encode()


def _clock(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


class LogWriter:
    """Writes chunks to the log; counts and reports what it could not write."""

    def __init__(self, path: str, max_bytes: int, tmux: str = "", socket: str = "", pane: str = "") -> None:
        self.path = path
        self.tmux = tmux
        self.max_bytes = max_bytes
        self.socket = socket
        self.pane = pane
        self.lost = 0
        self.lost_reason = ""
        self._unmarked = 0
        self._reported = 0
        self._reported_at = 0.0
        self._fd: int | None = None
        self._size = 0

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._size = os.fstat(self._fd).st_size
        return self._fd

    def close(self) -> None:
        """Close the file and report a final count that tmux has not seen yet."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.lost != self._reported:
            self._report(force=True)

    def write(self, chunk: bytes) -> None:
        """Append ``chunk`` (after the gap marker, if bytes were lost before it)."""
        if self._unmarked:
            note = marker(f"{self._unmarked} bytes of output were lost here: {self.lost_reason}")
            if not self._write_all(note, count=False):
                self._lose(len(chunk))
                return
            self._unmarked = 0
        if not self._write_all(chunk, count=True):
            return

    def _write_all(self, data: bytes, count: bool) -> bool:
        """Write all of ``data``; on failure count the unwritten rest as lost (when ``count``)."""
        try:
            fd = self._open()
            if self.max_bytes > 0 and self._size > 0 and self._size + len(data) > self.max_bytes:
                os.close(fd)
                self._fd = None
                os.replace(self.path, self.path + ".1")
                fd = self._open()
        except OSError as error:
            self.lost_reason = error.strerror or str(error)
            if count:
                self._lose(len(data))
            return False
        view = memoryview(data)
        while view:
            try:
                written = os.write(fd, view)
            except OSError as error:
                self.lost_reason = error.strerror or str(error)
                if count:
                    self._lose(len(view))
                # Reopen next time: the folder may have been replaced meanwhile.
                os.close(fd)
                self._fd = None
                return False
            self._size += written
            view = view[written:]
        return True

    def _lose(self, count: int) -> None:
        self.lost += count
        self._unmarked += count
        self._report()

    def _report(self, force: bool = False) -> None:
        """Tell tmux how many bytes are lost (at most once a second while it grows)."""
        now = time.monotonic()
        if (
            not self.tmux
            or not self.socket
            or not self.pane
            or (not force and now - self._reported_at < REPORT_INTERVAL)
        ):
            return
        self._reported_at = now
        self._reported = self.lost
        import subprocess

        try:
            subprocess.run(
                [
                    self.tmux,
                    "-S",
                    self.socket,
                    "set-option",
                    "-t",
                    self.pane,
                    OPTION_LOG,
                    f"lost {self.lost}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=5,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            pass


def copy_with_rotation(
    source: int, path: str, max_bytes: int, tmux: tuple[str, ...] = ("", "", ""), gap: bool = False
) -> LogWriter:
    """Copy everything readable from ``source`` to ``path`` until end of file; ``tmux`` is the
    (binary, socket, pane) told of lost bytes."""
    writer = LogWriter(path, max_bytes, *tmux)
    try:
        writer._open()  # the log exists from the session's first moment, even before any output
    except OSError:
        pass  # counted when the first bytes cannot be written
    if gap:
        try:
            since = _clock(os.stat(path).st_mtime)
        except OSError:
            since = "an unknown time"
        writer.write(
            marker(f"the log writer had stopped: output from {since} to {_clock(time.time())} is missing")
        )
    try:
        while True:
            chunk = os.read(source, _CHUNK)
            if not chunk:
                return writer
            writer.write(chunk)
    finally:
        writer.close()


def main(argv: list[str]) -> int:
    """Entry point used by pipe-pane."""
    words = [word for word in argv[1:] if word != "--gap"]
    path, max_bytes, tmux = words[0], int(words[1]), (*words[2:5], "", "", "")[:3]
    copy_with_rotation(sys.stdin.fileno(), path, max_bytes, tmux, gap="--gap" in argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
