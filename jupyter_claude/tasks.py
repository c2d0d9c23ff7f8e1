"""Task files: markdown files with TOML (``+++``) or YAML (``---``) front matter, one task each.

The id comes from the front matter's ``id``, else the file stem; the title from the front matter,
else the first ``#`` heading. A file that cannot be read or parsed is reported with its path and the
reason and skipped; it never breaks the listing. A task whose id fails the gate is listed as invalid
(it cannot be started), and a second file with an id already seen is reported as a duplicate.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .ids import TASK_ID_RULE, is_valid_task_id

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


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

    @property
    def status(self) -> str | None:
        """The task's own status from its front matter (e.g. "🟡 To Do")."""
        value = self.metadata.get("status")
        return None if value is None else str(value)

    @property
    def priority(self) -> str | None:
        """The task's priority from its front matter."""
        value = self.metadata.get("priority")
        return None if value is None else str(value)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (dates in the metadata become ISO strings)."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "path": self.path,
            "metadata": _json_safe(self.metadata),
            "valid": self.valid,
            "invalid_reason": self.invalid_reason,
        }


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
        return next((task for task in self.tasks if task.id == task_id), None)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


class FrontMatterError(ValueError):
    """The front matter of a task file cannot be parsed."""


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``text`` into (metadata, body); metadata is empty when there is no front matter."""
    text = text.removeprefix("\ufeff")
    for fence, parse in (("+++", _parse_toml), ("---", _parse_yaml)):
        first_line, _, rest = text.partition("\n")
        if first_line.strip() != fence:
            continue
        match = re.search(rf"^{re.escape(fence)}[ \t]*$", rest, re.MULTILINE)
        if match is None:
            raise FrontMatterError(f"front matter opened with {fence} is never closed")
        metadata = parse(rest[: match.start()])
        return metadata, rest[match.end() :].lstrip("\n")
    return {}, text


def read_task(path: Path, root: Path) -> Task:
    """Read one task file (raises OSError, UnicodeDecodeError or FrontMatterError)."""
    text = path.read_text(encoding="utf-8")
    metadata, body = split_front_matter(text)
    task_id = str(metadata.get("id", path.stem))
    heading = _HEADING.search(body)
    title = str(metadata.get("title") or (heading.group(1) if heading else task_id))
    valid = is_valid_task_id(task_id)
    return Task(
        id=task_id,
        title=title,
        path=_display_path(path, root),
        metadata=metadata,
        body=body,
        valid=valid,
        invalid_reason=None if valid else f"invalid task id {task_id!r}: {TASK_ID_RULE}",
    )


def load_tasks(root: Path, folders: Iterable[str]) -> TaskIndex:
    """Every ``*.md`` file under each folder (relative to ``root``), in a stable order."""
    tasks: list[Task] = []
    problems: list[TaskProblem] = []
    seen: dict[str, str] = {}
    for folder in folders:
        directory = (root / folder).expanduser()
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*.md")):
            if any(part.startswith(".") for part in path.relative_to(directory).parts):
                continue
            try:
                task = read_task(path, root)
            except (OSError, UnicodeDecodeError, FrontMatterError) as error:
                problems.append(TaskProblem(_display_path(path, root), _reason(error)))
                continue
            if task.id in seen:
                problems.append(
                    TaskProblem(task.path, f"duplicate task id {task.id!r} (also in {seen[task.id]})")
                )
                continue
            seen[task.id] = task.path
            tasks.append(task)
    return TaskIndex(tasks, problems)


def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise FrontMatterError(f"invalid TOML front matter: {error}") from error


def _parse_yaml(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FrontMatterError(f"invalid YAML front matter: {' '.join(str(error).split())}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("YAML front matter is not a mapping of keys to values")
    return data


def _display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, OSError):
        return f"cannot read: {error.strerror or error}"
    return str(error)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
