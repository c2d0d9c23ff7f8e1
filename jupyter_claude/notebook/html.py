"""Small HTML helpers of the notebook side: every text that reaches an HTML widget or a cell's
rich output is escaped here (``ipywidgets.HTML`` sets ``innerHTML``)."""

from __future__ import annotations

import html

from ..core.errors import ClaudeSessionsError

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
