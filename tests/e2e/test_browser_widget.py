"""The TaskTable in a real JupyterLab and Chromium: Run turns the badge 🟢, Stop turns it ⚫."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    LabServer,
    browser_page,
    copy_demo,
    lab_config,
    lab_server,
    open_notebook,
    run_cell,
    screenshot,
)

__all__ = ["browser_page", "lab_config", "lab_server"]  # the harness's fixtures, used below

XSS_TITLE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo notebook and tasks, plus a task whose title tries to inject HTML."""
    root = copy_demo(tmp_path_factory.mktemp("lab-root"))
    (root / "tasks" / "xss.md").write_text(f'+++\nid = "xss"\ntitle = "{XSS_TITLE}"\n+++\n', encoding="utf-8")
    return root


def task_row(page: Any, task_id: str) -> Any:
    """The table row (an HBox of cells and buttons) that shows ``task_id``."""
    return page.locator(".jc-task-row", has=page.locator(f".jc-row[data-task-id='{task_id}']"))


def test_run_and_stop_from_the_table(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_notebook(page, lab_server, "demo.ipynb")
    run_cell(page, "table = TaskTable()")
    row = task_row(page, "42")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("⚫ stopped")
    expect(row.get_by_role("button", name="Stop")).to_be_disabled()
    screenshot(page, "task-table-before-run")

    row.get_by_role("button", name="Run").click()
    expect(row).to_contain_text("🟢 running", timeout=3_000)
    assert lab_server.tmux("has-session", "-t", "=claude-42").returncode == 0
    expect(row.get_by_role("button", name="Run")).to_be_disabled()
    expect(row).to_contain_text("attach by hand")
    screenshot(page, "task-table-running")

    row.get_by_role("button", name="Log").click()
    expect(page.locator(".jc-log")).to_contain_text("working on task 42", timeout=5_000)
    screenshot(page, "task-table-log")

    row.get_by_role("button", name="Stop").click()
    expect(row).to_contain_text("⚫ stopped", timeout=3_000)
    assert lab_server.tmux("has-session", "-t", "=claude-42").returncode != 0
    screenshot(page, "task-table-stopped")

    # A session started and killed outside the notebook shows up and goes away on its own.
    started = lab_server.tmux("new-session", "-d", "-s", "claude-fix-login-redirect", "sleep", "600")
    assert started.returncode == 0, started.stderr
    other = task_row(page, "fix-login-redirect")
    expect(other).to_contain_text("🟢 running", timeout=3_000)
    lab_server.tmux("kill-session", "-t", "=claude-fix-login-redirect")
    expect(other).to_contain_text("⚫ stopped", timeout=3_000)

    # The hostile title is shown as text: no <img> element, no alert.
    xss = page.locator(".jc-row[data-task-id='xss']")
    expect(xss).to_contain_text(XSS_TITLE)
    assert xss.locator("img").count() == 0 and page.jc_dialogs == []
