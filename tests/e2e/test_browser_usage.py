"""Usage, limits and "Run selected" in a real JupyterLab and Chromium (issue #16).

The server runs the harmless command on a private tmux socket; the tasks' transcripts are written as
Claude Code writes them, under the server's own state folder. Scenarios: the sidebar's rows show
each task's cost and tokens (a stopped task's too); a session whose agent is refused for a limit
shows ⏳ with its reset time and brings a notification; two tasks ticked and "Run selected" start
queued (🕒, their place shown) and then run; and the TaskTable's usage column and its own "Run
selected". With ``JUPYTER_CLAUDE_SCREENSHOTS=1`` the sidebar and the table are written to
docs/screenshots/ in the light and the dark theme.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude.core import options

from ..support import transcripts as t
from ..support.browser import (
    LabServer,
    _require_browser,
    browser_page,
    close_toasts,
    copy_demo,
    docs_screenshot,
    open_notebook,
    open_sidebar,
    run_cell,
    run_lab_command,
    set_theme,
    sidebar_row,
)
from ..support.data import wait_for

__all__ = ["browser_page"]  # the harness's fixture, used below (it runs on this module's lab_server)

LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"


@pytest.fixture
def lab_root(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "lab-root")


@pytest.fixture
def state_home(tmp_path: Path) -> Path:
    return tmp_path / "lab-state"


@pytest.fixture
def lab_server(
    lab_root: Path, state_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LabServer]:
    """JupyterLab on the demo tasks; task 42 and fix-login-redirect have used tokens before."""
    _require_browser()
    monkeypatch.setenv("XDG_STATE_HOME", str(state_home))  # where t.register writes the lists
    first = t.write(
        tmp_path / "claude-config" / "projects" / "p" / "a.jsonl",
        [
            *t.answer("m1", (182_000, 9_400, 1_250_000, 64_000)),
            t.turn(754_000),
            *t.answer("m2", (3_000, 800, 0, 0)),
        ],
    )
    second = t.write(
        tmp_path / "claude-config" / "projects" / "p" / "b.jsonl",
        [*t.answer("m3", (12_000, 1_500, 0, 0), model="claude-haiku-4-5"), t.turn(41_000)],
    )
    t.register("42", lab_root, first)
    t.register("fix-login-redirect", lab_root, second)
    server = LabServer(
        root=lab_root,
        home=tmp_path / "lab-home",
        extra_config="c.ClaudeSessions.start_interval = 6",
        env={"XDG_STATE_HOME": str(state_home)},
        expose_app=True,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def start(server: LabServer, task_id: str) -> None:
    """POST claude/{id}/start with the server's token."""
    request = urllib.request.Request(
        f"{server.base_url}claude/{task_id}/start",
        data=json.dumps({"attach": False}).encode(),
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def limit_task(server: LabServer, lab_root: Path, tmp_path: Path, task_id: str) -> datetime:
    """Run ``task_id`` and make its agent refused for a subscription limit; returns the reset."""
    start(server, task_id)
    time.sleep(1.1)  # the refusal comes after the run started (its start time has whole seconds)
    target = f"=claude-{task_id}:"
    reset = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    hour = reset.hour % 12 or 12
    words = f"You've hit your session limit · resets {hour}{'am' if reset.hour < 12 else 'pm'} (UTC)"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    transcript = t.write(
        tmp_path / "claude-config" / "projects" / "p" / "c.jsonl",
        [t.prompt("go", now), t.refusal(words, now)],
    )
    t.register(task_id, lab_root, transcript)
    server.tmux("set-option", "-t", target, options.AGENT, "claude")
    server.tmux("set-option", "-t", target, options.AGENT_STATE, "limited")  # the StopFailure hook
    return reset


def test_sidebar_usage_limit_and_run_selected(
    lab_server: LabServer, browser_page: Any, lab_root: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    panel = open_sidebar(page, lab_server.lab_url(), width=430)
    row = sidebar_row(page, "42")
    expect(row.locator(".jp-ClaudeSessions-usage")).to_have_text("$1.32 · 1.5M tokens · 2 turns")
    assert "working 12m 34s" in (row.locator(".jp-ClaudeSessions-usage").get_attribute("title") or "")
    haiku = sidebar_row(page, "fix-login-redirect").locator(".jp-ClaudeSessions-usage")
    expect(haiku).to_have_text("$0.02 · 13.5k tokens · 1 turn")
    expect(sidebar_row(page, "add-csv-export").locator(".jp-ClaudeSessions-usage")).to_have_count(0)

    # An agent refused for a limit: ⏳ on its row, its reset time, and a notification.
    reset = limit_task(lab_server, lab_root, tmp_path, "TASK-20250516T024757")
    limited = sidebar_row(page, "TASK-20250516T024757")
    expect(limited.locator(".jp-ClaudeSessions-badge")).to_have_text("⏳ rate-limited", timeout=10_000)
    expect(limited.locator(".jp-ClaudeSessions-limit")).to_contain_text("resets")
    assert "You've hit your session limit" in (
        limited.locator(".jp-ClaudeSessions-limit").get_attribute("title") or ""
    )
    toast = page.locator(".Toastify__toast").filter(has_text="is ⏳ rate-limited")
    expect(toast).to_contain_text("TASK-20250516T024757", timeout=10_000)
    assert reset.tzinfo is not None

    # Tick two tasks: the Run selected bar appears.
    selection = panel.locator(".jp-ClaudeSessions-selection")
    expect(selection).to_be_hidden()
    sidebar_row(page, "42").locator(".jp-ClaudeSessions-select").check()
    sidebar_row(page, "add-csv-export").locator(".jp-ClaudeSessions-select").check()
    expect(selection).to_contain_text("2 selected")
    close_toasts(page)
    for theme, suffix in ((LIGHT, ""), (DARK, "-dark")):
        set_theme(page, theme)
        docs_screenshot(page, f"usage-sidebar{suffix}", panel)
    set_theme(page, LIGHT)

    # Run selected: both start queued (one after the other), then run.
    selection.get_by_role("button", name="Run selected").click()
    expect(selection).to_be_hidden()
    second = sidebar_row(page, "add-csv-export")
    expect(second.locator(".jp-ClaudeSessions-badge")).to_have_text("🕒 queued", timeout=5_000)
    expect(second.locator(".jp-ClaudeSessions-queue")).to_have_text("#1 in queue", timeout=5_000)
    close_toasts(page)
    for theme, suffix in ((LIGHT, ""), (DARK, "-dark")):
        set_theme(page, theme)
        if second.locator(".jp-ClaudeSessions-queue").count():
            docs_screenshot(page, f"run-selected{suffix}", panel)
    set_theme(page, LIGHT)
    for task_id in ("42", "add-csv-export"):
        expect(sidebar_row(page, task_id).locator(".jp-ClaudeSessions-badge")).to_have_text(
            "🟢 running", timeout=15_000
        )
    assert lab_server.tmux("has-session", "-t", "=claude-add-csv-export").returncode == 0
    assert page.jc_console_errors == []


def test_task_table_usage_column_and_run_selected(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, lab_server, "demo.ipynb")
    run_cell(page, "table = TaskTable()")
    row = page.locator(".jc-task-row", has=page.locator(".jc-row[data-task-id='42']"))
    expect(row).to_contain_text("$1.32 · 1.5M tokens · 2 turns", timeout=30_000)
    other = page.locator(".jc-task-row", has=page.locator(".jc-row[data-task-id='add-csv-export']"))
    run_selected = page.get_by_role("button", name="Run selected")
    expect(run_selected).to_be_disabled()
    row.locator("input[type='checkbox']").check()
    other.locator("input[type='checkbox']").check()
    expect(page.get_by_role("button", name="Run selected (2)")).to_be_enabled()
    table = page.locator(".jupyter-claude-task-table")
    run_lab_command(page, "application:toggle-left-area")  # room for every column in the picture
    page.set_viewport_size({"width": 1800, "height": 800})
    for theme, suffix in ((LIGHT, ""), (DARK, "-dark")):
        set_theme(page, theme)
        docs_screenshot(page, f"usage-table{suffix}", table)
    set_theme(page, LIGHT)
    page.get_by_role("button", name="Run selected (2)").click()
    expect(other).to_contain_text("queued", timeout=10_000)
    expect(other).to_contain_text("🟢 running", timeout=20_000)
    expect(row).to_contain_text("🟢 running", timeout=20_000)
    wait_for(lambda: lab_server.tmux("has-session", "-t", "=claude-42").returncode == 0)
