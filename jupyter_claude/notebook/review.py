"""Review in the TaskTable: the diff panel below the table (its Diff buttons), and the conflicts that
put a ⚠ on the rows of the tasks involved.

:class:`ConflictWatch` checks conflicts on the refresher's ticks only when something they depend on
may have changed (:class:`~jupyter_claude.core.conflicts.ReviewTrigger`: an ``ahead`` count, an
agent's turn ending, the repository's refs or worktrees on disk), so a quiet table runs no git.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..core.conflicts import ConflictReport, ReviewTrigger, git_dir_of
from ..core.manager import ClaudeSessions
from ..core.review import conflict_note, diff_lines
from ..core.session import Session
from .diffview import diff_html
from .html import error_div, error_text, escape

logger = logging.getLogger(__name__)


class ConflictWatch:
    """The last conflicts report of a table's repository, checked again only when due."""

    def __init__(self) -> None:
        self.trigger = ReviewTrigger()
        self.report: ConflictReport | None = None
        self._git_dir: tuple[str, Path | None] | None = None

    def update(self, sessions: ClaudeSessions, listing: Sequence[Session]) -> bool:
        """Check again if due; True when the report changed."""
        root = str(sessions.root_dir)
        try:
            if self._git_dir is None or self._git_dir[0] != root:
                self._git_dir = (root, git_dir_of(root))
                self.trigger = ReviewTrigger()
            if not self.trigger.due(self._git_dir[1], listing):
                return False
            report = sessions.conflicts() if self._git_dir[1] is not None else None
        except Exception:  # the badges matter more: never let a repository problem stop them
            logger.debug("checking conflicts failed", exc_info=True)
            return False
        changed = (report.conflicts if report else ()) != (self.report.conflicts if self.report else ())
        self.report = report
        return changed

    def notes(self) -> dict[str, str]:
        """The ⚠ line of every task in a conflict, by id."""
        if self.report is None:
            return {}
        involved = {task for conflict in self.report.conflicts for task in conflict.tasks}
        return {task: conflict_note(self.report, task) for task in involved}


class DiffPanel(widgets.VBox):  # type: ignore[misc]
    """A title, a Close button and one task's diff."""

    def __init__(self, on_close: Callable[[], None]) -> None:
        self.title_html = widgets.HTML()
        self.close_button = widgets.Button(description="Close diff", layout=widgets.Layout(width="100px"))
        self.close_button.on_click(lambda _button: on_close())
        self.body_html = widgets.HTML()
        self.task_id = ""
        super().__init__(
            [widgets.HBox([self.title_html, self.close_button]), self.body_html],
            layout=widgets.Layout(display="none"),
        )
        self.add_class("jc-diff-panel")

    def show(self, sessions: ClaudeSessions | None, task_id: str) -> None:
        """Show ``task_id``'s diff (read now), or close the panel ("")."""
        self.task_id = task_id
        self.layout.display = "flex" if task_id else "none"
        if not task_id or sessions is None:
            self.title_html.value = self.body_html.value = ""
            return
        body: Any
        try:
            diff = sessions.diff(task_id)
            body = diff_html(diff.to_json(), diff_lines(diff))
        except Exception as error:
            body = error_div(f"diff of {task_id}: {error_text(error)}")
        self.title_html.value = f"<b>Changes of {escape(task_id)}</b>"
        self.body_html.value = body
