"""The TaskTable's log viewer: the last lines of one task's log below the table, refreshed while open.

It reads the log only when the file changed (its size and mtime), through the one log reader
(:func:`jupyter_claude.core.logs.text_lines`: the log as the screen showed it, at the pane's
size), and escapes every character it shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..core import logs
from .html import error_div, error_text, escape

#: Lines of recent output the viewer shows.
LOG_LINES = 200


class LogPanel(widgets.VBox):  # type: ignore[misc]
    """A title, a Close button and the log's last lines."""

    def __init__(self, on_close: Any) -> None:
        self.title_html = widgets.HTML()
        self.close_button = widgets.Button(description="Close log", layout=widgets.Layout(width="100px"))
        self.close_button.on_click(lambda _button: on_close())
        self.text_html = widgets.HTML()
        self._signature: tuple[Any, ...] | None = None
        super().__init__(
            [widgets.HBox([self.title_html, self.close_button]), self.text_html],
            layout=widgets.Layout(display="none"),
        )

    def show(self, task_id: str) -> None:
        """Open on ``task_id`` ("" closes it)."""
        self._signature = None
        self.layout.display = "flex" if task_id else "none"
        if not task_id:
            self.text_html.value = ""
            self.title_html.value = ""

    def refresh(
        self,
        path: Path | None,
        task_id: str,
        badge: str | None,
        force: bool = False,
        size: tuple[int, int] | None = None,
    ) -> None:
        """Read the log again if it changed (or when ``force``); ``path`` None shows ``error``."""
        try:
            if path is None:
                raise ValueError("no log")
            signature = tuple(_stat(p) for p in (path, logs.rotated(path)))
            if not force and signature == self._signature:
                return
            self._signature = signature
            text = "\n".join(logs.text_lines(path, size, tail=LOG_LINES))
        except Exception as error:
            body = error_div(error_text(error))
        else:
            body = (
                "<div style='display:flex;flex-direction:column-reverse;max-height:320px;overflow:auto;"
                "border:1px solid var(--jp-border-color2, #ccc);background:var(--jp-layout-color1, #fff)'>"
                "<pre class='jc-log' style='margin:0;padding:4px;font-size:12px;line-height:1.3'>"
                f"{escape(text) if text else '(no output yet)'}</pre></div>"
            )
        shown_badge = f" · {escape(badge)}" if badge else ""
        title = f"<b>Log of {escape(task_id)}</b>{shown_badge} · last {LOG_LINES} lines, refreshing"
        with self.text_html.hold_sync():
            self.text_html.value = body
        if self.title_html.value != title:
            self.title_html.value = title


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)
