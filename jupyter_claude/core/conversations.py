"""Where a task's agent conversations are recorded on disk: the one contract between the workflow,
which writes the records (from Claude Code's SessionStart hook), and the core, which reads a task's
transcripts for its usage and rate limits (:mod:`.usage`).

Everything lives under :func:`.config.state_dir` (``$XDG_STATE_HOME/jupyter-claude``), never in tmux
(stopping a session drops its options) and never in ``~/.claude``:

- ``conversations/ID-AGENT-HASH.json``: the conversation the next start of the task resumes (its
  id, and the transcript Claude Code reported at SessionStart), one per agent and directory;
- ``conversations/ID-ROOT.transcripts``: every SessionStart the task's agents reported, one JSON
  object a line, appended and never rewritten. A ``/clear`` starts a new transcript that still
  belongs to the task, and a resumed conversation keeps writing to the one it had: together these
  lines name every transcript of the task. ``ROOT`` keys the repository, so two repositories with a
  task of the same id do not mix.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .config import state_dir

#: Longest transcript list file read (a line a SessionStart: far more than any task has).
MAX_LIST_BYTES = 4 * 1024 * 1024


def short_key(*parts: str) -> str:
    """A short stable key for file names (12 hex digits of a SHA-256)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def conversations_dir() -> Path:
    """The folder of the conversation records."""
    return state_dir() / "conversations"


def conversation_file(task_id: str, agent: str, cwd: str) -> Path:
    """Where the conversation id of ``agent`` for ``task_id`` in ``cwd`` is remembered."""
    return conversations_dir() / f"{task_id}-{agent}-{short_key(cwd)}.json"


def transcripts_file(task_id: str, root_dir: str) -> Path:
    """The list of every transcript the task's agents reported (``root_dir``: the resolved root)."""
    return conversations_dir() / f"{task_id}-{short_key(os.path.normpath(root_dir))}.transcripts"


@dataclass
class TranscriptList:
    """One task's transcript list file, read again only when it changed."""

    path: Path
    paths: list[str] = field(default_factory=list)
    problem: str | None = None
    #: True when the file did not exist at the last look.
    missing: bool = True
    _seen: tuple[int, int, int] | None = None

    def refresh(self) -> list[str]:
        """The transcripts named in the file, oldest first, each once."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self.paths, self.problem, self._seen, self.missing = [], None, None, True
            return self.paths
        except OSError as error:
            self.problem = f"cannot read {self.path}: {error.strerror or error}"
            return self.paths
        self.missing = False
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if seen == self._seen:
            return self.paths
        self._seen = seen
        self.paths, self.problem = _read_list(self.path)
        return self.paths


def _read_list(path: Path) -> tuple[list[str], str | None]:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_LIST_BYTES + 1)
    except OSError as error:
        return [], f"cannot read {path}: {error.strerror or error}"
    problem = (
        f"{path} is over {MAX_LIST_BYTES // 1024 // 1024} MiB: only its start is read"
        if (len(raw) > MAX_LIST_BYTES)
        else None
    )
    paths: list[str] = []
    bad = 0
    for line in raw[:MAX_LIST_BYTES].splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            transcript = record.get("transcript_path") if isinstance(record, dict) else None
        except (ValueError, RecursionError):
            transcript = None
        if isinstance(transcript, str) and os.path.isabs(transcript):
            if transcript not in paths:
                paths.append(transcript)
        else:
            bad += 1
    if bad and problem is None:
        problem = f"{path}: {bad} line(s) name no transcript (skipped)"
    return paths, problem
