"""Task ids: the one gate every id passes before it reaches tmux, a file name or a URL.

An id is ASCII ``[A-Za-z0-9][A-Za-z0-9_-]{0,63}``, matched in full. Anything else is rejected, never
cleaned up: tmux rewrites ``.`` and ``:`` in session names, treats ``$1`` as a session-id target and
expands ``#(...)`` as a command, so the only safe ids are the ones that need no escaping anywhere.
"""

from __future__ import annotations

import re

from .errors import InvalidTaskId

TASK_ID_RULE = "a task id is 1 to 64 ASCII letters, digits, '_' or '-', starting with a letter or digit"

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", re.ASCII)


def is_valid_task_id(value: object) -> bool:
    """True when ``value`` is a string that passes the gate."""
    return isinstance(value, str) and _TASK_ID.fullmatch(value) is not None


def validate_task_id(value: object) -> str:
    """Return ``value`` unchanged when it is a valid task id, else raise :class:`InvalidTaskId`."""
    if not is_valid_task_id(value):
        raise InvalidTaskId(f"invalid task id {value!r}: {TASK_ID_RULE}")
    assert isinstance(value, str)
    return value
