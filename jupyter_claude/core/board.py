"""The task board's rules: which column a task's status falls in, and the order of the cards.

A status matches a column loosely: case, the emoji, punctuation and blanks around the words, and
the kind of separator between them ("in-progress", "In_Progress", "in  progress") are ignored,
so a status written as a coloured dot and words matches the column of those words. A task with
no status is in the first column; a status that matches no column is in :data:`OTHER`, shown
first. Cards sort by priority (:func:`.vocabulary.priority_rank`) then by id in natural order.

The JupyterLab extension applies the same rules (``labextension/src/board.ts``); a table of
cases shared by both test suites (``labextension/test/board-cases.json``) keeps them equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .vocabulary import natural_key, priority_rank

#: The column of statuses that match none of the board's columns.
OTHER = "Other"

#: The board's columns when the setting is not changed.
DEFAULT_COLUMNS = ("To Do", "In Progress", "Review", "Done")

#: Runs of these count as one space between words (the same class in board.ts).
_SEPARATORS = re.compile("[\t\n\x0b\x0c\r \u00a0_-]+")


def _is_word_character(character: str) -> bool:
    return unicodedata.category(character)[0] in "LN"


def column_key(text: str) -> str:
    """The part of a status or column name that matching looks at: "In progress" → "in progress"."""
    start, end = 0, len(text)
    while start < end and not _is_word_character(text[start]):
        start += 1
    while end > start and not _is_word_character(text[end - 1]):
        end -= 1
    return _SEPARATORS.sub(" ", text[start:end]).lower()


def column_of(status: str | None, columns: Sequence[str]) -> str:
    """The column a task with ``status`` is in: one of ``columns``, or :data:`OTHER`."""
    if status is None or not status.strip():
        return columns[0] if columns else OTHER
    key = column_key(status)
    for column in columns:
        if key and column_key(column) == key:
            return column
    stripped = status.strip()
    for column in columns:
        if column.strip() == stripped:
            return column
    return OTHER


def card_key(priority: str | None, task_id: str) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """Where a card sorts in its column: most urgent priority first, then ids as people count."""
    return priority_rank(priority), natural_key(task_id)
