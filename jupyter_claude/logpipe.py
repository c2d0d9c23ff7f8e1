"""Append a pane's output to its task log byte for byte, rotating the file at a size limit.

tmux's ``pipe-pane`` runs this file by path with the pane's output on stdin:
``python -I -S logpipe.py LOG MAX_BYTES`` (isolated and without site, so it starts in a few
milliseconds; it needs only the standard library). When the next chunk would take the
log past ``MAX_BYTES`` it is renamed to ``LOG.1`` (one old file kept) and a fresh log is started.
"""

from __future__ import annotations

import os
import sys

_CHUNK = 65536


def _open_log(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def copy_with_rotation(source: int, path: str, max_bytes: int) -> None:
    """Copy everything readable from ``source`` to ``path`` until end of file."""
    log = _open_log(path)
    size = os.fstat(log).st_size
    try:
        while True:
            chunk = os.read(source, _CHUNK)
            if not chunk:
                return
            if max_bytes > 0 and size > 0 and size + len(chunk) > max_bytes:
                os.close(log)
                os.replace(path, path + ".1")
                log = _open_log(path)
                size = 0
            view = memoryview(chunk)
            while view:
                written = os.write(log, view)
                view = view[written:]
            size += len(chunk)
    finally:
        os.close(log)


def main(argv: list[str]) -> int:
    """Entry point used by pipe-pane."""
    path, max_bytes = argv[1], int(argv[2])
    copy_with_rotation(sys.stdin.fileno(), path, max_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
