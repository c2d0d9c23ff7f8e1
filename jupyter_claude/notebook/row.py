"""One TaskTable row: the task's cells in an HTML widget and five buttons, driven by its traits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle
from traitlets import Bool, Unicode, observe

from .html import ERROR_COLOUR, WARN_COLOUR, escape
from .items import COLUMNS, TaskItem

_ROW_WIDTH = sum(width for _, _, width in COLUMNS)


class _SharedLook:
    """Layouts and styles shared by every row of a table, so a row costs eight widgets, not twenty."""

    def __init__(self) -> None:
        self.cells = widgets.Layout(margin="0", width=f"{_ROW_WIDTH}px", flex="0 0 auto")
        self.button = widgets.Layout(
            width="54px", height="26px", margin="0 2px 0 0", padding="0", flex="0 0 auto"
        )
        self.row = widgets.Layout(align_items="flex-start", margin="0", padding="1px 0", overflow="visible")
        self.select = widgets.Layout(width="22px", height="26px", margin="0", flex="0 0 auto")
        self.button_style = widgets.ButtonStyle()
        self.html_style = HTMLStyle()

    def close(self) -> None:
        for widget in (self.cells, self.button, self.row, self.select, self.button_style, self.html_style):
            widget.close()


class TaskRow(widgets.HBox):  # type: ignore[misc]
    """One task: its cells in an HTML widget and its buttons (Run, Stop, Attach, Log, and Allow /
    Deny for a pending permission request), driven by the row's traits."""

    task_id = Unicode("")
    title = Unicode("")
    task_status = Unicode("")
    priority = Unicode("")
    state = Unicode("stopped")
    badge = Unicode("")
    valid = Bool(True)
    message = Unicode("")
    message_is_error = Bool(False)
    log_available = Bool(False)
    asks = Unicode("", help="the agent's pending permission request, in one line ('' for none)")
    conflict = Unicode("")
    usage_text = Unicode("")
    #: Ticked for "Run selected".
    selected = Bool(False)

    def __init__(
        self,
        look: _SharedLook,
        on_action: Callable[[str, str], None],
        item: TaskItem | None = None,
        log_available: bool = False,
    ) -> None:
        # Fill the traits first, so each child widget opens with its final state (no update after).
        self._deferred = True
        if item is not None:
            self._assign(item, log_available)
        enabled = self.enabled_actions()
        self.cells = widgets.HTML(value=self.cells_html(), layout=look.cells, style=look.html_style)
        self.run_button = self._button("Run", "Start the session (and open a terminal on it)", look, enabled)
        self.stop_button = self._button("Stop", "Kill the session (its log is kept)", look, enabled)
        self.attach_button = self._button("Attach", "Open or focus a terminal on the session", look, enabled)
        self.log_button = self._button("Log", "Show the recent output below the table", look, enabled)
        self.allow_button = self._button(
            "Allow", "Allow the tool call the agent asks permission for", look, enabled
        )
        self.deny_button = self._button(
            "Deny", "Refuse the tool call the agent asks permission for", look, enabled
        )
        self.diff_button = self._button("Diff", "Show the task's changes below the table", look, enabled)
        for action, button in self.buttons.items():
            button.on_click(lambda _button, action=action: on_action(action, self.task_id))
        self.select_box = widgets.Checkbox(
            value=self.selected,
            indent=False,
            description="",
            tooltip="Select for Run selected",
            layout=look.select,
            disabled=not self.valid,
        )
        self._on_action = on_action
        self.select_box.observe(self._ticked, "value")
        super().__init__(
            [self.select_box, self.cells, *self.buttons.values()],
            layout=look.row,
            _dom_classes=("jc-task-row",),
        )
        self._deferred = False

    def _ticked(self, change: dict[str, Any]) -> None:
        """The checkbox was clicked (a value set by the row itself is not a click)."""
        if not self._deferred:
            self._on_action("select" if change["new"] else "unselect", self.task_id)

    @staticmethod
    def _button(label: str, tooltip: str, look: _SharedLook, enabled: dict[str, bool]) -> widgets.Button:
        return widgets.Button(
            description=label,
            tooltip=tooltip,
            layout=look.button,
            style=look.button_style,
            disabled=not enabled[label.lower()],
        )

    @property
    def buttons(self) -> dict[str, widgets.Button]:
        """The row's buttons by action name."""
        return {
            "run": self.run_button,
            "stop": self.stop_button,
            "attach": self.attach_button,
            "log": self.log_button,
            "allow": self.allow_button,
            "deny": self.deny_button,
            "diff": self.diff_button,
        }

    def bind(self, item: TaskItem, log_available: bool) -> None:
        """Show ``item`` in this row; only widgets whose value changes send a message."""
        with self._batch():
            self._assign(item, log_available)

    def _assign(self, item: TaskItem, log_available: bool) -> None:
        self.task_id = item.id
        self.title = item.title
        self.task_status = item.status or ""
        self.priority = item.priority or ""
        self.state = item.state
        self.badge = item.badge
        self.valid = item.valid
        self.message = item.message
        self.message_is_error = item.message_is_error
        self.log_available = log_available
        self.asks = item.asks
        self.conflict = item.conflict
        self.usage_text = item.usage_text
        self.selected = item.selected

    @contextmanager
    def _batch(self) -> Iterator[None]:
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            self._render()

    @observe(
        "task_id",
        "title",
        "task_status",
        "priority",
        "state",
        "badge",
        "valid",
        "message",
        "message_is_error",
        "log_available",
        "asks",
        "conflict",
        "usage_text",
        "selected",
    )
    def _changed(self, _change: dict[str, Any]) -> None:
        if not self._deferred:
            self._render()

    def enabled_actions(self) -> dict[str, bool]:
        """Which buttons make sense: Run when stopped or exited, Stop/Attach while a session exists,
        Log when there is a session or an old log, Diff for any valid task."""
        exists = self.valid and self.state not in ("", "stopped")
        return {
            "run": (self.valid and bool(self.task_id) and not exists) or self.state == "exited",
            "stop": exists,
            "attach": exists,
            "log": self.valid and (exists or self.log_available),
            "allow": bool(self.asks),
            "deny": bool(self.asks),
            "diff": self.valid and bool(self.task_id),
        }

    def _render(self) -> None:
        enabled = self.enabled_actions()
        cells = self.cells_html()
        with self.cells.hold_sync():
            self.cells.value = cells
        for action, button in self.buttons.items():
            disabled = not enabled[action]
            if button.disabled != disabled:
                with button.hold_sync():
                    button.disabled = disabled
        if hasattr(self, "select_box"):
            self._deferred = True  # not a click: no action
            try:
                if self.select_box.value != self.selected:
                    self.select_box.value = self.selected
                if self.select_box.disabled == self.valid:
                    self.select_box.disabled = not self.valid
            finally:
                self._deferred = False

    def cells_html(self) -> str:
        """The row's cells as HTML, every text escaped."""
        values = {
            "id": self.task_id,
            "title": self.title,
            "status": self.task_status,
            "priority": self.priority,
            "session": self.badge + (" ⚠" if self.conflict else ""),
            "usage": self.usage_text,
        }
        spans = "".join(_cell(values[key], width, bold=key == "id") for key, _, width in COLUMNS)
        message = ""
        if self.asks:
            message += (
                f'<div class="jc-asks" style="font-size:90%;padding:0 4px 2px 4px;white-space:pre-wrap">'
                f"🟡 asks to run {escape(self.asks)}</div>"
            )
        if self.message:
            colour = ERROR_COLOUR if self.message_is_error else "var(--jp-ui-font-color2, #666)"
            message += (
                f'<div class="jc-message" style="color:{colour};font-size:90%;white-space:pre-wrap;'
                f'line-height:1.35;padding:0 4px 4px 4px">{escape(self.message)}</div>'
            )
        if self.conflict:
            message += (
                f'<div class="jc-conflict" style="color:{WARN_COLOUR};font-size:90%;padding:0 4px 4px 4px">'
                f"{escape(self.conflict)}</div>"
            )
        return (
            f'<div class="jc-row" data-task-id="{escape(self.task_id)}" data-state="{escape(self.state)}">'
            f"<div style='display:flex'>{spans}</div>{message}</div>"
        )


def _cell(text: str, width: int, bold: bool = False) -> str:
    weight = "font-weight:600;" if bold else ""
    return (
        f'<span title="{escape(text)}" style="display:inline-block;box-sizing:border-box;width:{width}px;'
        f"padding:0 4px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;line-height:26px;"
        f'{weight}">{escape(text)}</span>'
    )
