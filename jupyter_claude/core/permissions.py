"""Permission requests of agents, as objects anyone can answer: where they live and how they end.

An agent's ``PermissionRequest`` hook (:mod:`jupyter_claude.workflow.permission_hook`) keeps the
full request in ``{state_dir}/permissions/{task}/{request}.json`` and its summary in the session's
``@jc_pending`` option (so every listing shows it). Answering from outside writes
``{request}.answer`` beside it, created exclusively: the first answer wins, a second one is refused
(409 on the API), and the waiting hook hands the decision to the agent. Every decision is appended
to the task's audit file beside its log, ``{log_dir}/{id}.audit.jsonl``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import state_dir
from .errors import ClaudeSessionsError, InvalidSetting

#: Decisions a person can make from outside the terminal.
DECISIONS = ("allow", "deny")

#: Longest message a denial may carry to the agent.
MAX_MESSAGE = 2000


class NotPending(ClaudeSessionsError):
    """The request is no longer pending (answered elsewhere, or the session ended)."""

    code = "conflict"


@dataclass(frozen=True)
class PendingRequest:
    """A tool call the agent asks permission for."""

    request: str
    tool: str
    summary: str
    asked_at: str
    input: dict[str, Any] = field(default_factory=dict)
    suggestions: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The request as ``GET claude/{id}/permission`` shows it."""
        return {
            "request": self.request,
            "tool": self.tool,
            "summary": self.summary,
            "input": self.input,
            "suggestions": self.suggestions,
            "asked_at": self.asked_at,
        }


def folder(task_id: str) -> Path:
    """Where the task's pending requests and their answers live."""
    return state_dir() / "permissions" / task_id


def summary_of(text: str) -> dict[str, str] | None:
    """The ``@jc_pending`` option's summary, or None when it is not one of ours."""
    try:
        value = json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(key), str) for key in ("request", "tool", "summary", "asked_at")
    ):
        return None
    return {key: value[key][:300] for key in ("request", "tool", "summary", "asked_at")}


def read(task_id: str, request: str) -> PendingRequest | None:
    """The full record of a pending request, or None when it is gone or unreadable."""
    if not request.isalnum():
        return None
    try:
        data = json.loads((folder(task_id) / f"{request}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return PendingRequest(
        request=request,
        tool=str(data.get("tool", "")),
        summary=str(data.get("summary", "")),
        asked_at=str(data.get("asked_at", "")),
        input=data["input"] if isinstance(data.get("input"), dict) else {},
        suggestions=data["suggestions"] if isinstance(data.get("suggestions"), list) else [],
    )


def check_answer(decision: object, message: object) -> tuple[str, str]:
    """A valid (decision, message), or :class:`InvalidSetting`."""
    if decision not in DECISIONS:
        raise InvalidSetting("decision must be 'allow' or 'deny'")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise InvalidSetting("message must be a string")
    if len(message) > MAX_MESSAGE:
        raise InvalidSetting(f"message is longer than {MAX_MESSAGE} characters")
    return str(decision), message


def write_answer(task_id: str, request: str, decision: str, message: str, by: str) -> None:
    """Hand the waiting hook its answer; :class:`NotPending` when it was answered already."""
    if not request.isalnum() or not (folder(task_id) / f"{request}.json").exists():
        raise NotPending(f"request {request!r} of task {task_id} is not pending (answered elsewhere?)")
    path = folder(task_id) / f"{request}.answer"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise NotPending(f"request {request!r} of task {task_id} was answered already") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"decision": decision, "message": message, "by": by, "time": _now()}, handle)


def forget(task_id: str) -> None:
    """Drop every pending request of a task (its session was stopped)."""
    shutil.rmtree(folder(task_id), ignore_errors=True)


def audit(path: Path, task_id: str, request: PendingRequest | None, decision: str, by: str) -> None:
    """Append one decision to the task's audit file."""
    line = {
        "time": _now(),
        "task": task_id,
        "request": request.request if request else None,
        "tool": request.tool if request else None,
        "summary": request.summary if request else None,
        "decision": decision,
        "by": by,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    except OSError:
        pass


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def answer(
    task_id: str,
    request: str,
    current: str | None,
    decision: object,
    message: object,
    by: str,
    audit_path: Path,
    log: Any,
) -> PendingRequest:
    """Answer request ``request`` of a task whose session shows ``current`` as pending: the
    waiting hook gets it, the decision is logged and audited; :class:`NotPending` otherwise."""
    decision, message = check_answer(decision, message)
    record = read(task_id, request) if current == request else None
    if record is None:
        raise NotPending(f"request {request!r} of task {task_id} is not pending")
    write_answer(task_id, request, decision, message, by)
    log.info(
        "jupyter-claude: task %s: %s %s (%s: %s) by %s",
        task_id,
        decision,
        request,
        record.tool,
        record.summary,
        by,
    )
    audit(audit_path, task_id, record, decision, by)
    return record
