"""Task files: markdown files with TOML (``+++``) or YAML (``---``) front matter, one task each.

The id comes from the front matter's ``id``, else the file stem; the title from the front matter,
else the first ``#`` heading. A file that cannot be read or parsed is reported with its path and the
reason and skipped; it never breaks the listing. A task whose id fails the gate is listed as invalid
(it cannot be started), and a second file with an id already seen is reported as a duplicate.

Task folders may hold anything, so reading them is bounded whatever they contain: only regular
files are read (a FIFO or a device is reported, never opened for a blocking read), a file must
resolve inside the root (a symlink to ``/etc/passwd`` is a problem, not a task), at most
:data:`MAX_TASK_BYTES` are read, front matter is at most :data:`MAX_FRONT_MATTER_BYTES` with no YAML
aliases and at most :data:`MAX_METADATA_VALUES` values, and titles are cut at :data:`MAX_TITLE`.

:class:`TaskFiles` keeps what it parsed by file (path, size, mtime, inode): a listing re-reads only
the files that changed, appeared or vanished.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .ids import TASK_ID_RULE, is_valid_task_id

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Largest task file read (bigger ones are reported, not read).
MAX_TASK_BYTES = 1024 * 1024
#: Largest front matter parsed.
MAX_FRONT_MATTER_BYTES = 64 * 1024
#: Most values (scalars, lists and mappings, nested ones included) the front matter may hold.
MAX_METADATA_VALUES = 2000
#: Longest title, status and priority shipped in listings (longer ones end with "…").
MAX_TITLE = 200
MAX_FIELD = 100
#: Longest string inside the metadata of a listing row.
MAX_METADATA_STRING = 1000


@dataclass(frozen=True)
class Task:
    """One task file."""

    id: str
    title: str
    path: str
    metadata: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    valid: bool = True
    invalid_reason: str | None = None
    #: Changes whenever the file's content changes (a hash of it): what a move's ``if_match`` names.
    version: str = ""

    @property
    def status(self) -> str | None:
        """The task's own status from its front matter (e.g. "🟡 To Do")."""
        value = self.metadata.get("status")
        return None if value is None else shorten(str(value), MAX_FIELD)

    @property
    def priority(self) -> str | None:
        """The task's priority from its front matter."""
        value = self.metadata.get("priority")
        return None if value is None else shorten(str(value), MAX_FIELD)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (dates in the metadata become ISO strings, long strings are cut).

        Made once per task (a task is a version of a file): the dict is a copy, its nested
        ``metadata`` is shared, so do not change that in place.
        """
        return dict(self._json)

    @functools.cached_property
    def _json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "path": self.path,
            "metadata": _json_safe(self.metadata),
            "valid": self.valid,
            "invalid_reason": self.invalid_reason,
            "version": self.version,
        }

    @functools.cached_property
    def memo(self) -> dict[Any, Any]:
        """Forms derived from this version of the task (e.g. its encoded listing rows), kept with
        it: a changed file is a new Task, so they never go stale."""
        return {}

    @functools.cached_property
    def search_text(self) -> str:
        """Id, title, status, priority and body in lower case, for a text search (made once)."""
        return "\n".join((self.id, self.title, self.status or "", self.priority or "", self.body)).lower()


@dataclass(frozen=True)
class TaskProblem:
    """A task file that was skipped, and why."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class TaskIndex:
    """The tasks found under the task folders, and the files that were skipped."""

    tasks: list[Task]
    problems: list[TaskProblem]

    def get(self, task_id: str) -> Task | None:
        """The task with this id, if any."""
        return self._by_id.get(task_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, Task]:
        return {task.id: task for task in self.tasks}

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


class FrontMatterError(ValueError):
    """The front matter of a task file cannot be parsed, or breaks a limit."""


class TaskFileError(ValueError):
    """A task file that is not read: not a regular file, outside the root, too big."""


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``text`` into (metadata, body); metadata is empty when there is no front matter."""
    text = text.removeprefix("\ufeff")
    first_line, _, rest = text.partition("\n")
    for fence, parse in (("+++", _parse_toml), ("---", _parse_yaml)):
        if first_line.strip() != fence:
            continue
        end = closing_fence(rest, fence)
        if end is None:
            raise FrontMatterError(f"front matter opened with {fence} is never closed")
        start, after = end
        if start > MAX_FRONT_MATTER_BYTES:
            raise FrontMatterError(
                f"front matter is longer than {MAX_FRONT_MATTER_BYTES // 1024} KiB (the limit for task files)"
            )
        metadata = parse(rest[:start])
        _check_size(metadata)
        return metadata, rest[after:].lstrip("\r\n")
    return {}, text


def closing_fence(text: str, fence: str) -> tuple[int, int] | None:
    """(start, end) of the first line that is ``fence`` (trailing blanks allowed), or None."""
    position = 0
    while position <= len(text):
        newline = text.find("\n", position)
        line_end = len(text) if newline < 0 else newline
        if text[position:line_end].rstrip(" \t\r") == fence:
            return position, line_end
        if newline < 0:
            return None
        position = newline + 1
    return None


def first_heading(body: str) -> str | None:
    """The text of the first ``# heading`` line (its first :data:`MAX_TITLE` characters), or None."""
    for line in body.splitlines():
        if line[:1] == "#" and line[1:2] in (" ", "\t"):
            text = line[2 : 2 + MAX_TITLE * 2].strip().rstrip("#").rstrip()
            if text:
                return text
    return None


def parse_task(data: bytes, display_path: str, stem: str) -> Task:
    """A task from a file's bytes (raises UnicodeDecodeError or FrontMatterError)."""
    text = data.decode("utf-8")
    metadata, body = split_front_matter(text)
    raw_id = metadata.get("id", stem)
    task_id = raw_id if isinstance(raw_id, str) else str(raw_id)
    title = metadata.get("title") or first_heading(body) or task_id
    valid = is_valid_task_id(task_id)
    return Task(
        id=task_id if valid else shorten(task_id, MAX_FIELD),
        title=shorten(" ".join(str(title).split()), MAX_TITLE),
        path=display_path,
        metadata=metadata,
        body=body,
        valid=valid,
        invalid_reason=None if valid else f"invalid task id {shorten(task_id, MAX_FIELD)!r}: {TASK_ID_RULE}",
        version=file_version(data),
    )


def file_version(data: bytes) -> str:
    """The version of a task file's content: what :attr:`Task.version` holds."""
    return hashlib.sha256(data).hexdigest()[:16]


def read_task_file(path: Path, root: Path) -> tuple[Task, os.stat_result]:
    """Read one task file safely (raises OSError, UnicodeDecodeError, FrontMatterError, TaskFileError).

    Only a regular file that resolves inside ``root`` is read, opened without blocking (a FIFO
    put there after the directory was listed still cannot hang the reader), at most
    :data:`MAX_TASK_BYTES`.
    """
    data, info = read_task_bytes(path, root)
    return parse_task(data, display_path(path, root), path.stem), info


def read_task_bytes(path: Path, root: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of one task file, read as :func:`read_task_file` reads them (same checks)."""
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        raise TaskFileError("it links to a file outside the root directory")
    descriptor = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise TaskFileError("not a regular file")
        if info.st_size > MAX_TASK_BYTES:
            raise TaskFileError(f"larger than {MAX_TASK_BYTES // 1024} KiB (the limit for task files)")
        chunks = []
        remaining = MAX_TASK_BYTES + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > MAX_TASK_BYTES:
        raise TaskFileError(f"larger than {MAX_TASK_BYTES // 1024} KiB (the limit for task files)")
    return data, info


def read_task(path: Path, root: Path) -> Task:
    """Read one task file (raises like :func:`read_task_file`)."""
    return read_task_file(path, Path(os.path.realpath(root)))[0]


#: The signature of a file that could not be stat'ed (it is read again on every listing).
NO_SIGNATURE = (-1, -1, -1)


def task_file_paths(root: Path, folders: Iterable[str]) -> list[tuple[str, os.stat_result | None]]:
    """Every ``*.md`` entry under each folder, sorted per folder, with its ``stat`` (None when it
    cannot be taken). Hidden files and folders are skipped; symlinked folders are not followed.
    Paths are strings: at 10,000 files a ``Path`` each costs more than the ``stat``."""
    return [pair for found in _scan(root, folders) for pair in sorted(found, key=_first)]


def _scan(root: Path, folders: Iterable[str]) -> list[list[tuple[str, os.stat_result | None]]]:
    """The ``*.md`` entries of each folder with their ``stat``, in the order the system lists them."""
    result: list[list[tuple[str, os.stat_result | None]]] = []
    for folder in folders:
        directory = (root / folder).expanduser()
        if not directory.is_dir():
            continue
        found: list[tuple[str, os.stat_result | None]] = []
        pending = [str(directory)]
        while pending:
            current = pending.pop()
            try:
                entries = list(os.scandir(current))
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                if name[:1] == ".":
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                        continue
                except OSError:
                    continue
                if name.endswith(".md"):
                    try:
                        info: os.stat_result | None = entry.stat()  # follows a symlink
                    except OSError:
                        info = None
                    found.append((entry.path, info))
        result.append(found)
    return result


def signature(info: os.stat_result | None) -> tuple[int, int, int]:
    """What tells one version of a file from the next: (size, mtime, inode)."""
    return (info.st_size, info.st_mtime_ns, info.st_ino) if info is not None else NO_SIGNATURE


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]


class TaskFiles:
    """The task files of one root, parsed once per version of each file.

    :meth:`index` lists the folders and stats every entry (one ``scandir`` per folder), then
    parses only the files whose (size, mtime, inode) changed since the last call. Safe to call from
    several threads.
    """

    def __init__(self, root: str | Path, folders: Iterable[str]) -> None:
        self.root = Path(root).expanduser()
        self.folders = list(folders)
        self._lock = threading.Lock()
        self._parsed: dict[str, tuple[tuple[int, int, int], Task | TaskProblem]] = {}
        #: The last listing (root, then each folder's signature by path) and the index made from it.
        self._last: tuple[str, list[dict[str, tuple[int, int, int]]]] | None = None
        self._index: TaskIndex | None = None
        #: How many files were read and parsed (tests and benchmarks watch it).
        self.reads = 0

    def index(self) -> TaskIndex:
        """Tasks and problems, in a stable order (folder, then path).

        When no file changed, appeared or vanished since the last call, the same
        :class:`TaskIndex` is returned again (its tasks are frozen; do not change its lists).
        """
        real_root = os.path.realpath(self.root)
        with self._lock:
            folders = _scan(self.root, self.folders)
            stamps = [
                {path: (info.st_size, info.st_mtime_ns, info.st_ino) for path, info in found if info}
                for found in folders
            ]
            whole = sum(map(len, stamps)) == sum(map(len, folders))
            listing = (real_root, stamps)
            if whole and self._index is not None and listing == self._last:
                return self._index
            entries = [pair for found in folders for pair in sorted(found, key=_first)]
            index = self._build(Path(real_root), entries)
            self._last, self._index = (listing, index) if whole else (None, None)
        return index

    def _build(self, root: Path, entries: list[tuple[str, os.stat_result | None]]) -> TaskIndex:
        tasks: list[Task] = []
        problems: list[TaskProblem] = []
        seen: dict[str, str] = {}
        fresh: dict[str, tuple[tuple[int, int, int], Task | TaskProblem]] = {}
        for key, info in entries:
            stamp = signature(info)
            cached = self._parsed.get(key)
            if cached is not None and cached[0] == stamp and info is not None:
                result = cached[1]
            else:
                result = self._read(Path(key), root, info)
            fresh[key] = (stamp, result)
            if isinstance(result, TaskProblem):
                problems.append(result)
            elif result.id in seen:
                problems.append(
                    TaskProblem(result.path, f"duplicate task id {result.id!r} (also in {seen[result.id]})")
                )
            else:
                seen[result.id] = result.path
                tasks.append(result)
        self._parsed = fresh
        return TaskIndex(tasks, problems)

    def _read(self, path: Path, root: Path, info: os.stat_result | None) -> Task | TaskProblem:
        self.reads += 1
        display = display_path(path, root, self.root)
        if info is None:
            return TaskProblem(display, "cannot read: it vanished or is a broken link")
        if not stat.S_ISREG(info.st_mode):
            return TaskProblem(display, "not a regular file")
        try:
            task = read_task_file(path, root)[0]
        except (OSError, UnicodeDecodeError, FrontMatterError, TaskFileError, RecursionError) as error:
            return TaskProblem(display, _reason(error))
        return task if task.path == display else dataclasses.replace(task, path=display)


def load_tasks(root: Path, folders: Iterable[str]) -> TaskIndex:
    """Every ``*.md`` file under each folder (relative to ``root``), read now (no cache)."""
    return TaskFiles(root, folders).index()


def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise FrontMatterError(f"invalid TOML front matter: {error}") from error


class _TaskYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: ``*name`` is how a few hundred bytes expand to
    gigabytes ("billion laughs"), and a task file never needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line = event.start_mark.line + 2 if event.start_mark else "?"
            raise FrontMatterError(
                f"YAML aliases (*{event.anchor}) are not allowed in task files (line {line})"
            )
        return super().compose_node(parent, index)


def _parse_yaml(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_TaskYamlLoader)
    except yaml.YAMLError as error:
        raise FrontMatterError(f"invalid YAML front matter: {' '.join(str(error).split())}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("YAML front matter is not a mapping of keys to values")
    return data


def _check_size(metadata: dict[str, Any]) -> None:
    """Refuse metadata with more than :data:`MAX_METADATA_VALUES` values or nested too deep."""
    count = 0
    stack: list[tuple[Any, int]] = [(metadata, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_METADATA_VALUES:
            raise FrontMatterError(f"front matter holds more than {MAX_METADATA_VALUES} values")
        if depth > 32:
            raise FrontMatterError("front matter is nested more than 32 levels deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend((item, depth + 1) for item in value)


def display_path(path: Path, root: Path, given_root: Path | None = None) -> str:
    """``path`` relative to the root as given, else to the resolved root, else as it is."""
    given = Path(os.path.abspath(given_root)) if given_root is not None else root
    for base, target in ((given, Path(os.path.abspath(path))), (root, Path(os.path.realpath(path)))):
        try:
            return str(target.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _reason(error: BaseException) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, RecursionError):
        return "front matter is nested too deeply"
    if isinstance(error, OSError):
        return f"cannot read: {error.strerror or error}"
    return str(error)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {shorten(str(k), MAX_FIELD): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, str):
        return shorten(value, MAX_METADATA_STRING)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return shorten(str(value), MAX_METADATA_STRING)
