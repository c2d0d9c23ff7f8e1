"""Small HTML helpers of the notebook side: every text that reaches an HTML widget or a cell's
rich output is escaped here (``ipywidgets.HTML`` sets ``innerHTML``)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..core.errors import ClaudeSessionsError
from ..core.tasks import TaskProblem

ERROR_COLOUR = "var(--jp-error-color1, #d32f2f)"
WARN_COLOUR = "var(--jp-warn-color1, #f57c00)"


def escape(text: object) -> str:
    """``text`` safe inside HTML (quotes included)."""
    return html.escape(str(text), quote=True)


def error_div(text: str) -> str:
    """A line in the error colour."""
    return f"<div style='color:{ERROR_COLOUR}'>{escape(text)}</div>"


def error_text(error: BaseException) -> str:
    """One line about an error: a core error's own sentence, else its type and message."""
    if isinstance(error, ClaudeSessionsError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def banner_html(
    tmux_error: str,
    tasks_error: str,
    problems: Sequence[TaskProblem],
    empty: tuple[Sequence[str], str] | None = None,
) -> str:
    """The TaskTable's banner: tmux and task-file errors, the first skipped files, and (``empty``:
    the task folders and the root) a word when there is nothing to show."""
    parts: list[str] = []
    if tmux_error:
        parts.append(error_div(f"tmux: {tmux_error}"))
    if tasks_error:
        parts.append(error_div(tasks_error))
    for problem in problems[:5]:
        parts.append(
            f"<div style='color:{WARN_COLOUR}'>skipped {escape(problem.path)}: {escape(problem.reason)}</div>"
        )
    if len(problems) > 5:
        parts.append(f"<div>… and {len(problems) - 5} more skipped files</div>")
    if empty is not None:
        folders, root = escape(", ".join(empty[0])), escape(empty[1])
        parts.append(f"<div>No tasks: no *.md files under {folders} in {root}, and no sessions.</div>")
    return "".join(parts)
