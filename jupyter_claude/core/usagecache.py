"""What has been read of each transcript, kept on disk, so that a new process (the CLI, a kernel's
``%claude``, a restarted server) goes on from where the last one stopped instead of reading every
transcript from its start again.

One small JSON file per transcript under ``state_dir()/usage-cache/``: the transcript's identity
(device, inode), the offset read up to, and the sums at that offset. A record is used only when the
transcript is still the same file and at least that long; anything unreadable or unexpected is
ignored (the transcript is then read from its start). Records are written atomically, so processes
that read the same transcripts at once each leave a consistent record.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .config import state_dir

#: Bumped when the record's shape changes: older records are ignored.
VERSION = 1

#: Largest record read back.
MAX_RECORD_BYTES = 4 * 1024 * 1024


def cache_file(transcript: str) -> Path:
    """The record of one transcript."""
    return state_dir() / "usage-cache" / f"{hashlib.sha256(transcript.encode()).hexdigest()[:24]}.json"


def load(transcript: str, identity: tuple[int, int], size: int) -> dict[str, Any] | None:
    """The record of ``transcript`` when it is of this very file (``identity``) and no longer
    than it (``size``); else None."""
    try:
        with cache_file(transcript).open("rb") as file:
            raw = file.read(MAX_RECORD_BYTES + 1)
        record = json.loads(raw) if len(raw) <= MAX_RECORD_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    if (
        not isinstance(record, dict)
        or record.get("version") != VERSION
        or record.get("path") != transcript
        or record.get("identity") != list(identity)
        or not isinstance(record.get("offset"), int)
        or not 0 <= record["offset"] <= size
    ):
        return None
    return record


def save(transcript: str, record: dict[str, Any]) -> None:
    """Write ``record`` for ``transcript`` (atomically; a failure only costs a later re-read)."""
    path = cache_file(transcript)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({**record, "version": VERSION, "path": transcript}), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def fields(record: dict[str, Any]) -> dict[str, Any] | None:
    """A transcript reader's fields from its record (``limit`` as (text, at, key)); None when
    the record is not what :meth:`~.usage.Transcript._record` writes."""
    try:
        models = {str(model): [int(value) for value in counts] for model, counts in record["models"].items()}
        recent = OrderedDict(
            (str(key), (str(model), (int(c[0]), int(c[1]), int(c[2]), int(c[3]))))
            for key, model, c in record["recent"]
        )
        limit = record["limit"]
        bad = [int(value) for value in record["bad"]]
        found = {
            "offset": int(record["offset"]),
            "identity": (int(record["identity"][0]), int(record["identity"][1])),
            "models": models,
            "turns": int(record["turns"]),
            "working_ms": float(record["working_ms"]),
            "recent": recent,
            "limit": (str(limit[0]), float(limit[1]), str(limit[2])) if limit else None,
            "lines": int(record["lines"]),
            "bad_lines": bad[0],
            "first_bad": bad[1],
            "long_lines": bad[2],
            "skipping": bool(record["skipping"]),
            "problems": {str(kind): str(text) for kind, text in record["problems"].items()},
        }
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    return found if all(len(counts) == 4 for counts in models.values()) else None
