"""What each task's agent has used: tokens, model turns, models, working time and cost, read from
the transcripts Claude Code writes, incrementally.

A task's transcripts are the ones its agents reported at SessionStart (:mod:`.conversations`), with
the subagent transcripts Claude Code keeps beside each (``<session>/subagents/agent-*.jsonl``).
Each transcript is one JSON object a line; what counts:

- an assistant entry carries ``message.model``, ``message.id`` and ``message.usage``. Claude Code
  writes one line per content block of an answer, all with the answer's id: an answer is counted
  once (its last line's figures win), and the ``<synthetic>`` entries it writes for errors count
  for nothing;
- an assistant entry with ``"error": "rate_limit"`` is a refusal for a rate or usage limit: the
  limit stands until a later answer or a prompt the person typed (:mod:`.limits`);
- a ``system`` entry of subtype ``turn_duration`` says how long a turn took (``durationMs``):
  ``working_seconds`` is their sum.

Only the bytes appended since the last read are parsed (a :class:`Transcript` keeps its offset,
its file's identity and its sums); a last line still being written is read next time, a file that
was replaced or truncated is read again from its start. Lines that cannot matter are skipped
without parsing (a tool result is most of a transcript's bytes). A line that is not JSON, or one
longer than :data:`MAX_LINE`, is skipped and reported; nothing in a transcript breaks a listing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import usagecache
from .conversations import TranscriptList, conversations_dir, transcripts_file
from .entries import epoch_of, text_of, token_count, typed_prompt
from .limits import Limit, reset_time
from .prices import PriceTable

#: Bytes read from one file at a time.
CHUNK = 8 * 1024 * 1024
#: A line longer than this is skipped (and reported) rather than kept in memory.
MAX_LINE = 32 * 1024 * 1024
#: Most bytes one refresh reads across all transcripts; the rest is read by the next refresh.
READ_BUDGET = 2 * 1024 * 1024 * 1024
#: How many answer ids a transcript remembers to count each answer once (an answer's lines are
#: written together, at most interleaved with the results of its own tool calls).
RECENT_ANSWERS = 1024
#: How many of them the on-disk record keeps (:mod:`.usagecache`).
SAVED_ANSWERS = 64
#: The record is written after this many new bytes were read, or this many seconds after the last.
SAVE_BYTES = 1024 * 1024
SAVE_SECONDS = 10.0

_SYNTHETIC = "<synthetic>"


@dataclass(frozen=True)
class Usage:
    """What a task's agent conversations have used so far."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    #: Model answers (API responses), each counted once.
    turns: int = 0
    models: tuple[str, ...] = ()
    #: The agent's turns, summed (Claude Code records each turn's duration).
    working_seconds: float = 0.0
    #: Dollars, from the price table; None when a model used has no price.
    cost: float | None = None

    @property
    def tokens(self) -> int:
        """Every token, all four kinds."""
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens

    def to_json(self) -> dict[str, Any]:
        """The shape every front end shows."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "turns": self.turns,
            "models": list(self.models),
            "working_seconds": round(self.working_seconds, 3),
            "cost": None if self.cost is None else round(self.cost, 10),
        }


@dataclass(frozen=True)
class LimitRecord:
    """A refusal for a limit, as the agent recorded it."""

    text: str
    at: float
    key: str


class Transcript:
    """One transcript file's sums, read incrementally."""

    def __init__(self, path: str, main: bool = True) -> None:
        self.path = path
        self.main = main
        self._reset()
        self._unsaved = 0
        self._saved_at = 0.0
        self._restored = False

    def _reset(self) -> None:
        self.offset = 0
        self.identity: tuple[int, int] | None = None
        self.seen: tuple[int, int] | None = None
        #: Tokens by model: [input, output, cache read, cache write].
        self.models: dict[str, list[int]] = {}
        self.turns = 0
        self.working_ms = 0.0
        self.recent: OrderedDict[str, tuple[str, tuple[int, int, int, int]]] = OrderedDict()
        self.limit: LimitRecord | None = None
        self.lines = 0
        self.bad_lines = 0
        self.first_bad = 0
        self.long_lines = 0
        self.skipping = False
        #: What could not be read, by kind ("read", "bad", "long"), a sentence each.
        self.problems: dict[str, str] = {}

    def refresh(self, budget: int) -> int:
        """Read what was appended since the last call (at most ``budget`` bytes); returns how many."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return 0  # gone: what it had used was used all the same
        except OSError as error:
            self.problems["read"] = f"cannot read {self.path}: {error.strerror or error}"
            return 0
        identity = (stat.st_dev, stat.st_ino)
        if not self._restored:  # where an earlier process stopped reading it (usagecache)
            self._restored = True
            self._restore(usagecache.load(self.path, identity, stat.st_size))
        if self.identity is not None and (identity != self.identity or stat.st_size < self.offset):
            self._reset()  # replaced or truncated: read it again from its start
        self.identity = identity
        if (stat.st_size, stat.st_mtime_ns) == self.seen:
            return 0
        read = 0
        try:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                carry = b""
                while read < budget:
                    chunk = file.read(min(CHUNK, budget - read))
                    if not chunk:
                        break
                    read += len(chunk)
                    carry = self._consume(carry + chunk)
        except OSError as error:
            self.problems["read"] = f"cannot read {self.path}: {error.strerror or error}"
            return read
        self.problems.pop("read", None)
        self.seen = (stat.st_size, stat.st_mtime_ns) if self.offset + len(carry) >= stat.st_size else None
        self._unsaved += read
        if self._unsaved >= SAVE_BYTES or (
            self._unsaved and time.monotonic() - self._saved_at >= SAVE_SECONDS
        ):
            usagecache.save(self.path, self._record())
            self._unsaved, self._saved_at = 0, time.monotonic()
        return read

    def _record(self) -> dict[str, Any]:
        """What was read so far, for :mod:`.usagecache`."""
        limit = self.limit
        return {
            "identity": list(self.identity or ()),
            "offset": self.offset,
            "models": self.models,
            "turns": self.turns,
            "working_ms": self.working_ms,
            "recent": [
                [key, model, list(counts)]
                for key, (model, counts) in list(self.recent.items())[-SAVED_ANSWERS:]
            ],
            "limit": [limit.text, limit.at, limit.key] if limit else None,
            "lines": self.lines,
            "bad": [self.bad_lines, self.first_bad, self.long_lines],
            "skipping": self.skipping,
            "problems": self.problems,
        }

    def _restore(self, record: dict[str, Any] | None) -> None:
        """Go on from a record (:mod:`.usagecache`); one that is not what we write is ignored."""
        state = usagecache.fields(record) if record is not None else None
        if state is not None:
            limit = state["limit"]
            state["limit"] = LimitRecord(*limit) if limit else None
            self.__dict__.update(state)

    def _consume(self, data: bytes) -> bytes:
        """Parse the complete lines of ``data`` (which starts at ``offset``); returns the rest."""
        start = 0
        if self.skipping:
            end = data.find(b"\n")
            if end < 0:
                self.offset += len(data)
                return b""
            self.skipping = False
            self.lines += 1
            start = end + 1
        end = data.rfind(b"\n")
        if end >= start:
            for line in data[start:end].split(b"\n"):
                self.lines += 1
                self._line(line)
            rest = data[end + 1 :]
            self.offset += end + 1
        else:
            rest = data[start:]
            self.offset += start
        if len(rest) > MAX_LINE:
            self.offset += len(rest)
            self.skipping = True
            self.long_lines += 1
            self.problems["long"] = (
                f"{self.path}: {self.long_lines} line(s) longer than {MAX_LINE // 1024 // 1024} MiB skipped "
                f"(first after line {self.lines})"
            )
            return b""
        return rest

    def _line(self, line: bytes) -> None:
        # Only entries that can matter are parsed; their type words are cheap to look for.
        if (
            b'"assistant"' in line
            or b'"turn_duration"' in line
            or (self.limit is not None and b'"user"' in line)
        ):
            entry = self._parse(line)
            if entry is None:
                return
            kind = entry.get("type")
            if kind == "assistant":
                self._answer(entry)
            elif kind == "system" and entry.get("subtype") == "turn_duration":
                duration = entry.get("durationMs")
                if isinstance(duration, (int, float)) and not isinstance(duration, bool) and duration > 0:
                    self.working_ms += float(duration)
            elif kind == "user" and self.limit is not None and typed_prompt(entry):
                self.limit = None  # the person (or a resume) asked again: the refusal is behind
            return
        stripped = line.strip()
        if stripped and not (stripped[:1] == b"{" and stripped[-1:] == b"}"):
            self._bad()  # not even shaped like a JSON object: garbage, or a line cut short

    def _parse(self, line: bytes) -> dict[str, Any] | None:
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            self._bad()
            return None
        if not isinstance(entry, dict):
            self._bad()
            return None
        return entry

    def _bad(self) -> None:
        self.bad_lines += 1
        if self.bad_lines == 1:
            self.first_bad = self.lines
        self.problems["bad"] = (
            f"{self.path}: {self.bad_lines} line(s) are not JSON objects, skipped "
            f"(first: line {self.first_bad})"
        )

    def _answer(self, entry: dict[str, Any]) -> None:
        message = entry.get("message")
        if not isinstance(message, dict):
            return
        if entry.get("error") == "rate_limit" or (
            entry.get("isApiErrorMessage") and entry.get("apiErrorStatus") == 429
        ):
            key = entry.get("uuid")
            self.limit = LimitRecord(
                text=text_of(message.get("content")) or "rate_limit",
                at=epoch_of(entry.get("timestamp")),
                key=key if isinstance(key, str) and key else f"{self.path}:{self.lines}",
            )
            return
        model = message.get("model")
        usage = message.get("usage")
        if not isinstance(model, str) or model == _SYNTHETIC or not isinstance(usage, dict):
            return
        counts = (
            token_count(usage.get("input_tokens")),
            token_count(usage.get("output_tokens")),
            token_count(usage.get("cache_read_input_tokens")),
            token_count(usage.get("cache_creation_input_tokens")),
        )
        answer = message.get("id") or entry.get("uuid")
        key = answer if isinstance(answer, str) else f"line {self.lines}"
        before = self.recent.get(key)
        if before is None:
            self.turns += 1
        elif before == (model, counts):
            return
        else:
            self._add(before[0], before[1], -1)
        self._add(model, counts, 1)
        self.recent[key] = (model, counts)
        self.recent.move_to_end(key)
        if len(self.recent) > RECENT_ANSWERS:
            self.recent.popitem(last=False)
        self.limit = None  # an answer came after the refusal: the limit is over

    def _add(self, model: str, counts: tuple[int, int, int, int], sign: int) -> None:
        sums = self.models.setdefault(model, [0, 0, 0, 0])
        for index, value in enumerate(counts):
            sums[index] += sign * value


class TaskUsage:
    """One task's transcripts, as its transcript list names them, and their subagents'."""

    def __init__(self, list_path: Path) -> None:
        self.list = TranscriptList(list_path)
        self.transcripts: dict[str, Transcript] = {}
        #: The lists folder's modification time when this task had no list (None: it has one).
        self.absent_at: int | None = None
        self._subagent_dirs: dict[str, tuple[int, int] | None] = {}

    def refresh(self, budget: int) -> int:
        """Read what is new in every transcript; returns the bytes read."""
        read = 0
        for path in self.list.refresh():
            if path not in self.transcripts:
                self.transcripts[path] = Transcript(path)
        for path, transcript in list(self.transcripts.items()):
            if not transcript.main:
                continue
            before = transcript.seen
            read += transcript.refresh(budget - read)
            self._find_subagents(path, changed=transcript.seen != before)
        for transcript in self.transcripts.values():
            if not transcript.main:
                read += transcript.refresh(budget - read)
        return read

    def _find_subagents(self, path: str, changed: bool) -> None:
        """Claude Code keeps a subagent's conversation in ``<session>/subagents/…/agent-*.jsonl``."""
        folder = os.path.join(os.path.splitext(path)[0], "subagents")
        try:
            stat = os.stat(folder)
            seen: tuple[int, int] | None = (stat.st_ino, stat.st_mtime_ns)
        except OSError:
            seen = None
        if seen is None or (not changed and self._subagent_dirs.get(path) == seen):
            return
        self._subagent_dirs[path] = seen
        for found in sorted(Path(folder).rglob("agent-*.jsonl")):
            name = str(found)
            if name not in self.transcripts:
                self.transcripts[name] = Transcript(name, main=False)

    def usage(self, prices: PriceTable) -> Usage | None:
        """The sums over every transcript; None before the first model answer."""
        tokens: dict[str, list[int]] = {}
        turns = 0
        working_ms = 0.0
        for transcript in self.transcripts.values():
            turns += transcript.turns
            working_ms += transcript.working_ms
            for model, counts in transcript.models.items():
                sums = tokens.setdefault(model, [0, 0, 0, 0])
                for index, value in enumerate(counts):
                    sums[index] += value
        if turns == 0:
            return None
        totals = [sum(counts[index] for counts in tokens.values()) for index in range(4)]
        used = {model: (c[0], c[1], c[2], c[3]) for model, c in tokens.items() if any(c)}
        return Usage(
            input_tokens=totals[0],
            output_tokens=totals[1],
            cache_read_tokens=totals[2],
            cache_write_tokens=totals[3],
            turns=turns,
            models=tuple(tokens),
            working_seconds=working_ms / 1000,
            cost=prices.cost(used),
        )

    def limit(self) -> Limit | None:
        """The refusal the agent is stopped by (the latest one still standing), or None."""
        records = [t.limit for t in self.transcripts.values() if t.main and t.limit is not None]
        if not records:
            return None
        record = max(records, key=lambda r: r.at)
        return Limit(
            reason=record.text,
            resets_at=reset_time(record.text, record.at),
            key=record.key,
            recorded_at=record.at,
        )

    def problems(self) -> list[str]:
        """What could not be read, a sentence each."""
        found = [self.list.problem] if self.list.problem else []
        for transcript in self.transcripts.values():
            found.extend(transcript.problems.values())
        return found


class UsageBook:
    """Every task's usage, kept between listings so each reads only what is new (thread-safe)."""

    def __init__(self, root_dir: str, log: Any) -> None:
        self.root_dir = root_dir
        self.log = log
        self._tasks: dict[str, TaskUsage] = {}
        self._reported: set[str] = set()
        self._lock = threading.Lock()
        self._listed: set[str] = set()
        self._listed_at: int | None = None

    def refresh(self, task_ids: Iterable[str]) -> None:
        """Read what is new for these tasks. A task without a transcript list is looked at again
        only when the folder of the lists changed (one stat for all of them)."""
        with self._lock:
            budget = READ_BUDGET
            folder = _folder_mtime()
            for task_id in task_ids:
                task = self._tasks.get(task_id)
                if task is None:
                    task = self._tasks[task_id] = TaskUsage(transcripts_file(task_id, self.root_dir))
                elif task.absent_at == folder:
                    continue  # no list then, and no file made in the folder since
                try:
                    read = task.refresh(max(budget, 0))
                except Exception as error:  # never break a listing: report it
                    self._report(f"task {task_id}: reading its transcripts failed: {error!r}")
                    continue
                budget -= read
                task.absent_at = folder if not task.transcripts and task.list.missing else None
                if read or task.list.problem:
                    for problem in task.problems():
                        self._report(problem)

    def listed(self) -> set[str]:
        """The tasks of this root that have a transcript list (the folder is read again only when
        a file was made in it or removed)."""
        with self._lock:
            folder = _folder_mtime()
            if folder != self._listed_at:
                suffix = transcripts_file("x", self.root_dir).name[1:]  # "-ROOTKEY.transcripts"
                try:
                    names = [entry.name for entry in os.scandir(conversations_dir())]
                except OSError:
                    names = []
                self._listed = {name[: -len(suffix)] for name in names if name.endswith(suffix)}
                self._listed_at = folder
            return set(self._listed)

    def read(self, task_ids: list[str], prices: PriceTable) -> dict[str, tuple[Usage | None, Limit | None]]:
        """Refresh these tasks, then their usage and standing limit, by id (tasks without any
        transcript are left out: they have neither)."""
        self.refresh(task_ids)
        with self._lock:
            found = {}
            for task_id in task_ids:
                task = self._tasks.get(task_id)
                if task is not None and task.transcripts:
                    found[task_id] = (task.usage(prices), task.limit())
            return found

    def usage(self, task_id: str, prices: PriceTable) -> Usage | None:
        """The task's usage as last read (None before its first model answer)."""
        with self._lock:
            task = self._tasks.get(task_id)
            return task.usage(prices) if task is not None else None

    def limit(self, task_id: str) -> Limit | None:
        """The limit the task's agent recorded last, while it stands."""
        with self._lock:
            task = self._tasks.get(task_id)
            return task.limit() if task is not None else None

    def problems(self, task_id: str) -> list[str]:
        """What could not be read for the task."""
        with self._lock:
            task = self._tasks.get(task_id)
            return task.problems() if task is not None else []

    def _report(self, problem: str) -> None:
        if problem in self._reported:
            return
        if len(self._reported) > 4096:
            self._reported.clear()
        self._reported.add(problem)
        self.log.warning("jupyter-claude usage: %s", problem)


def _folder_mtime() -> int:
    """When a file was last made in (or removed from) the folder of the transcript lists (-1 while
    there is no such folder)."""
    try:
        return conversations_dir().stat().st_mtime_ns
    except OSError:
        return -1
