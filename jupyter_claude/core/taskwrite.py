"""Writing task files: a new task that never overwrites anything, and a status moved atomically,
only while the file is still the version the caller read.

A new task is ``{first tasks folder}/{id}.md``, created with ``O_CREAT | O_EXCL | O_NOFOLLOW``
(an existing file or link of that name is never opened); its id is the one given, or the title
made into a slug (``fix-the-login-page``) with ``-2``, ``-3``… added until it is free, and it
passes the id gate. The folder must resolve inside the root.

A move reads the file (with the listing's checks: a regular file inside the root, size-capped),
compares its version with ``if_match``, rewrites the status (:func:`.taskedit.with_status`),
writes the result to a hidden temporary file in the same folder (same permissions) and renames it
over the file, after checking once more that the file has not changed meanwhile. The rename is
atomic: a reader sees the old file or the new one, never a part. Moves in one process take turns;
a change made by another program between the last check and the rename (a window of microseconds)
is the one race left, as with any editor.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import InvalidSetting, InvalidTaskId, TaskConflict, TaskNotEditable, TaskNotFound
from .ids import TASK_ID_RULE, validate_task_id
from .taskedit import check_body, check_line, check_title, new_task_text, with_status
from .tasks import (
    FrontMatterError,
    Task,
    TaskFileError,
    TaskIndex,
    display_path,
    file_version,
    parse_task,
    read_task_bytes,
)

#: Ids never given to a new task: ``claude/tasks/{id}`` would shadow ``claude/tasks/{verb}``.
RESERVED_IDS = frozenset({"tasks"})
#: Longest slug made from a title, leaving room for a "-N" suffix within the 64 of an id.
MAX_SLUG = 56

#: Moves in this process take turns (read, check, rename).
_MOVES = threading.Lock()


def slug(title: str) -> str:
    """A title as an id: ASCII letters and digits in lower case, ``-`` between words ("" if none)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return words[:MAX_SLUG].rstrip("-")


def candidate_ids(title: str, given: str | None) -> Iterator[str]:
    """The id given (checked), or the title's slug, then the slug with -2, -3, …"""
    if given is not None:
        yield validate_task_id(given)
        return
    base = slug(title)
    if not base:
        raise InvalidTaskId(
            f"the title {title!r} makes no task id (it has no ASCII letters or digits): "
            f"give an id; {TASK_ID_RULE}"
        )
    yield base
    number = 2
    while True:
        yield f"{base}-{number}"
        number += 1


def task_folder(root: Path, folder: str) -> Path:
    """The folder new tasks go in (created when missing), resolved; it must lie inside the root."""
    real_root = Path(os.path.realpath(root))
    directory = Path(root).expanduser() / folder
    for _ in range(2):  # before making it, and after (a link may have appeared meanwhile)
        if not Path(os.path.realpath(directory)).is_relative_to(real_root):
            raise InvalidSetting(
                f"the task folder {folder!r} is outside the root directory {str(real_root)!r}"
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TaskNotEditable(
                f"cannot make the task folder {folder!r}: {error.strerror or error}"
            ) from None
    return Path(os.path.realpath(directory))


def create_task(
    root: Path,
    folder: str,
    index: TaskIndex,
    title: object,
    body: object = "",
    status: object = None,
    priority: object = None,
    task_id: object = None,
    default_status: str = "To Do",
    created: str | None = None,
) -> Task:
    """Write a new task file; returns the task as the listing will show it.

    Raises InvalidSetting / InvalidTaskId for bad input and TaskConflict when a given id is taken.
    """
    title_text = check_title(title)
    status_text = check_line(default_status if status is None or status == "" else status, "the status")
    priority_text = None if priority is None or priority == "" else check_line(priority, "the priority")
    body_text = check_body(body)
    if task_id is not None and not isinstance(task_id, str):
        raise InvalidTaskId(f"invalid task id {task_id!r}: {TASK_ID_RULE}")
    given = task_id or None
    taken = {task.id.lower() for task in index.tasks} | RESERVED_IDS
    directory = task_folder(root, folder)
    for candidate in candidate_ids(title_text, given):
        validate_task_id(candidate)  # a slug passes it by construction; the gate is checked all the same
        if candidate.lower() in taken:
            if given is not None:
                raise TaskConflict(f"a task with id {candidate!r} exists already: choose another id")
            continue
        data = new_task_text(candidate, title_text, status_text, priority_text, body_text, created).encode()
        path = directory / f"{candidate}.md"
        task = parse_task(data, display_path(path, Path(os.path.realpath(root)), Path(root)), candidate)
        try:
            _create_exclusive(path, data)
        except FileExistsError:
            if given is not None:
                raise TaskConflict(f"the file {task.path} exists already: choose another id") from None
            continue
        return task
    raise AssertionError("unreachable")  # pragma: no cover - candidate_ids never ends


def _create_exclusive(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; FileExistsError when anything (a file, a link) is there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except FileExistsError:
        raise
    except OSError as error:
        raise TaskNotEditable(f"cannot create {path.name}: {error.strerror or error}") from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    except OSError as error:
        os.close(descriptor)
        path.unlink(missing_ok=True)
        raise TaskNotEditable(f"cannot write {path.name}: {error.strerror or error}") from None
    os.close(descriptor)


def set_status(root: Path, task: Task, status: object, if_match: object = None) -> Task:
    """Rewrite the task file's status; returns the task as it reads now.

    Raises InvalidSetting for a bad status, TaskConflict when the file is not the version
    ``if_match`` names (or changes during the move), TaskNotEditable when the front matter cannot
    be rewritten exactly, TaskNotFound when the file is gone.
    """
    status_text = check_line(status, "the status")
    if if_match is not None and not isinstance(if_match, str):
        raise InvalidSetting("if_match must be a task's version (a string) or null")
    path = Path(root).expanduser() / task.path
    real_root = Path(os.path.realpath(root))
    with _MOVES:
        data, info = _read(path, real_root, task)
        version = file_version(data)
        if if_match and if_match != version:
            raise TaskConflict(
                f"{task.path} changed since it was read (version {version}, the move names {if_match}): "
                "reload it and move it again"
            )
        new = with_status(data, status_text)
        moved = parse_task(new, task.path, path.stem)
        if new != data:
            _replace(path, real_root, task, new, data, info)
    return moved


def _read(path: Path, real_root: Path, task: Task) -> tuple[bytes, os.stat_result]:
    try:
        return read_task_bytes(path, real_root)
    except FileNotFoundError:
        raise TaskNotFound(f"the file of task {task.id} ({task.path}) is gone") from None
    except (OSError, TaskFileError, FrontMatterError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise TaskNotEditable(f"cannot read {task.path}: {reason or error}") from None


def _replace(path: Path, real_root: Path, task: Task, new: bytes, old: bytes, info: os.stat_result) -> None:
    """Put ``new`` in place of the file atomically, if it still holds ``old``."""
    real = os.path.realpath(path)
    descriptor, temporary = tempfile.mkstemp(prefix=".", suffix=".jc-move", dir=os.path.dirname(real))
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fchmod(stream.fileno(), stat.S_IMODE(info.st_mode))
            os.fsync(stream.fileno())
        current, _ = _read(path, real_root, task)
        if current != old:
            raise TaskConflict(f"{task.path} changed while it was being moved: reload it and move it again")
        os.replace(temporary, real)
    except OSError as error:
        raise TaskNotEditable(f"cannot write {task.path}: {error.strerror or error}") from None
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
