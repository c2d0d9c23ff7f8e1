"""The JupyterLab extension in a real ``jupyter lab`` and Chromium (issue #6).

The server is started with a token (the browser logs in with it; the REST calls below go through
the login cookie and ``_xsrf``), a private tmux socket, a temp copy of the demo tasks and a
harmless command that prints coloured text. Scenarios: the sidebar lists the tasks; Run turns the
badge 🟢 within 3 s; the log tab shows the red text; a session killed from outside flips its badge
within 1 s; Stop turns it ⚫; Run twice starts one session; the banner when tmux is missing; and a
Notebook 7 smoke test when the ``notebook`` package is installed.

Every scenario saves screenshots under ``test-artifacts/``. With ``JUPYTER_CLAUDE_SCREENSHOTS=1``
the sidebar and log view shots are also written to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    LabServer,
    browser_page,
    close_toasts,
    copy_demo,
    docs_screenshot,
    lab_server,
    open_sidebar,
    palette_command,
    path_without,
    screenshot,
    sidebar_row,
)

__all__ = ["browser_page", "lab_server"]  # the harness's fixtures, used below

#: Prints coloured lines like an agent's UI would, then waits; ``add-csv-export`` exits with 3.
COLOUR_SCRIPT = """\
import sys, time
E = chr(27)
task = sys.argv[1]
print(f"{E}[1;34mjupyter-claude{E}[0m demo session for task {E}[1m{task}{E}[0m")
print(f"{E}[32mworktree ready{E}[0m  {E}[33mno network: nothing leaves this machine{E}[0m")
print(f"{E}[31mRED-MARKER{E}[0m printed in red")
print(f"{E}[36mwaiting for instructions...{E}[0m", flush=True)
if task == "add-csv-export":
    sys.exit(3)
time.sleep(600)
"""
COLOUR_COMMAND = [sys.executable, "-c", COLOUR_SCRIPT, "{id}"]
TASK_IDS = ("42", "TASK-20250516T024757", "add-csv-export", "fix-login-redirect")
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo tasks (and notebook) in a temp folder."""
    return copy_demo(tmp_path_factory.mktemp("lab-root"))


@pytest.fixture(scope="module")
def lab_config() -> str:
    """Sessions run the coloured harmless command."""
    return f"c.ClaudeSessions.command = {COLOUR_COMMAND!r}"


# -- helpers -------------------------------------------------------------------------------------


def row(page: Any, task_id: str) -> Any:
    """The sidebar row of a task."""
    return sidebar_row(page, task_id)


def badge(page: Any, task_id: str) -> Any:
    """The badge of a task's row."""
    return row(page, task_id).locator(".jp-ClaudeSessions-badge")


def sessions_named(server: LabServer, task_id: str) -> list[str]:
    """Lines of ``list-sessions`` for ``claude-ID`` on the server's private socket (name and pid)."""
    listed = server.tmux("list-sessions", "-F", "#{session_name} #{pane_pid}")
    return [line for line in listed.stdout.splitlines() if line.split(" ")[0] == f"claude-{task_id}"]


def run_from_palette(page: Any, task_id: str) -> None:
    """Run "Claude: Start session…" from the command palette, answering the id dialog."""
    palette_command(page, "Claude: Start session")
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill(task_id)
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    dialog.wait_for(state="detached")


# -- scenarios -----------------------------------------------------------------------------------


def test_sidebar_lists_the_tasks(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    # Authentication is on: no token, no API and no Lab.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(lab_server.base_url + "claude/tasks", timeout=10)
    assert refused.value.code == 403
    page.goto(lab_server.base_url + "lab")
    expect(page.locator("#password_input")).to_be_visible()

    panel = open_sidebar(page, lab_server.lab_url())
    expect(panel.locator(".jp-ClaudeSessions-title")).to_have_text("Claude Sessions")
    for task_id in TASK_IDS:
        expect(badge(page, task_id)).to_have_attribute("data-state", "stopped")
        expect(badge(page, task_id)).to_have_text("⚫ stopped")
    expect(row(page, "TASK-20250516T024757")).to_contain_text("Task-Aware Claude Sessions")
    expect(row(page, "TASK-20250516T024757")).to_contain_text("🟡 To Do")
    expect(panel.locator(".jp-ClaudeSessions-banner")).to_be_hidden()
    assert lab_server.tmux("list-sessions").stdout == ""
    screenshot(page, "lab-sidebar-tasks")


def test_run_log_and_stop(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_sidebar(page, lab_server.lab_url())
    row(page, "42").locator("button[data-action='run']").click()
    expect(badge(page, "42")).to_have_attribute("data-state", "running", timeout=3_000)
    expect(badge(page, "42")).to_have_text("🟢 running")
    assert len(sessions_named(lab_server, "42")) == 1
    expect(row(page, "42").locator("button[data-action='run']")).to_be_disabled()
    expect(row(page, "42").locator("button[data-action='stop']")).to_be_enabled()

    # A task whose command exits on its own shows its exit status.
    row(page, "add-csv-export").locator("button[data-action='run']").click()
    expect(badge(page, "add-csv-export")).to_have_attribute("data-state", "exited")
    expect(badge(page, "add-csv-export")).to_have_text("🔴 exited (3)")
    close_toasts(page)
    screenshot(page, "lab-sidebar-running")
    docs_screenshot(page, "sidebar")

    # The log tab: a read-only xterm fed by claude/42/stream, with the command's colours.
    row(page, "42").locator("button[data-action='log']").click()
    log = page.locator("#jp-claude-log-42.jp-ClaudeLog")
    expect(log.locator(".jp-ClaudeLog-status")).to_have_attribute("data-status", "live")
    red = log.locator(".xterm-rows span.xterm-fg-1", has_text="RED-MARKER")
    expect(red).to_be_visible(timeout=5_000)
    colour = red.evaluate("node => getComputedStyle(node).color")
    r, g, b = (int(part) for part in re.findall(r"\d+", colour)[:3])
    assert r > 150 and g < 100 and b < 100, f"RED-MARKER is drawn in {colour}"
    expect(log.locator(".xterm-rows")).to_contain_text("demo session for task 42")
    expect(log.locator(".xterm-rows span.xterm-fg-2", has_text="worktree ready")).to_be_visible()
    close_toasts(page)
    screenshot(page, "lab-log-view")
    docs_screenshot(page, "log-view")

    # Stop asks first (confirmStop), then the badge turns ⚫ and the log tab says the session ended.
    row(page, "42").locator("button[data-action='stop']").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Stop Claude session?")
    dialog.locator(".jp-Dialog-button.jp-mod-warn").click()
    expect(badge(page, "42")).to_have_attribute("data-state", "stopped")
    expect(badge(page, "42")).to_have_text("⚫ stopped")
    assert sessions_named(lab_server, "42") == []
    expect(log.locator(".jp-ClaudeLog-status")).to_have_attribute("data-status", "ended")
    screenshot(page, "lab-stopped")


def test_log_view_follows_the_tab_and_holds_the_pane(lab_server: LabServer, browser_page: Any) -> None:
    """The log view takes as many columns and rows as its tab holds, and never fewer than the pane
    has: a full-screen agent's wraps and cursor moves land where tmux put them (the tab scrolls)."""
    from playwright.sync_api import expect

    page, task_id = browser_page, "42"
    lab_server.tmux("kill-session", "-t", f"=claude-{task_id}")  # left by an earlier scenario
    open_sidebar(page, lab_server.lab_url())
    row(page, task_id).locator("button[data-action='run']").click()
    expect(badge(page, task_id)).to_have_attribute("data-state", "running", timeout=3_000)
    row(page, task_id).locator("button[data-action='log']").click()
    terminal = page.locator(f"#jp-claude-log-{task_id} .jp-ClaudeLog-terminal")
    expect(terminal).to_have_attribute("data-pane-cols", "80")  # tmux's size for a detached session
    expect(terminal).to_have_attribute("data-pane-rows", "24")

    def size() -> tuple[int, int]:
        cols, rows = terminal.get_attribute("data-cols"), terminal.get_attribute("data-rows")
        return int(cols or 0), int(rows or 0)

    def overflows() -> bool:
        script = "n => n.scrollWidth > n.clientWidth || n.scrollHeight > n.clientHeight"
        return bool(terminal.evaluate(script))

    # A tab bigger than the pane: the view fills it, and grows with it.
    expect(terminal).to_have_attribute("data-cols", re.compile(r"^\d+$"))
    narrow = size()
    assert narrow[0] > 80 and narrow[1] > 24, narrow
    page.set_viewport_size({"width": 1600, "height": 1000})
    expect(terminal).not_to_have_attribute("data-cols", str(narrow[0]))
    wide = size()
    assert wide[0] > narrow[0] and wide[1] > narrow[1], (narrow, wide)
    expect(terminal.locator(".xterm-rows > div")).to_have_count(wide[1])
    assert not overflows()

    # A pane bigger than the tab: the view keeps the pane's size, and the tab scrolls.
    resized = lab_server.tmux("resize-window", "-t", f"=claude-{task_id}:", "-x", "250", "-y", "80")
    assert resized.returncode == 0, resized.stderr
    expect(terminal).to_have_attribute("data-cols", "250", timeout=3_000)
    expect(terminal).to_have_attribute("data-rows", "80")
    expect(terminal.locator(".xterm-rows > div")).to_have_count(80)
    assert overflows(), "a pane bigger than the tab scrolls"
    screenshot(page, "lab-log-pane-bigger-than-tab")

    # The pane shrinks again: the view is the tab's size again.
    lab_server.tmux("resize-window", "-t", f"=claude-{task_id}:", "-x", "80", "-y", "24")
    expect(terminal).to_have_attribute("data-cols", str(wide[0]), timeout=3_000)
    expect(terminal).to_have_attribute("data-rows", str(wide[1]))
    lab_server.tmux("kill-session", "-t", f"=claude-{task_id}")


def test_attach_without_a_window_attaches_in_a_jupyterlab_terminal(
    lab_server: LabServer, browser_page: Any
) -> None:
    """The server opens no window here (headless, as under JupyterHub): Attach opens a JupyterLab
    terminal tab whose shell runs the attach command, a real interactive tmux client."""
    from playwright.sync_api import expect

    page, task_id = browser_page, "42"
    lab_server.tmux("kill-session", "-t", f"=claude-{task_id}")  # left by an earlier scenario
    open_sidebar(page, lab_server.lab_url())
    row(page, task_id).locator("button[data-action='run']").click()
    expect(badge(page, task_id)).to_have_attribute("data-state", "running", timeout=3_000)
    close_toasts(page)
    assert gui_clients(lab_server, task_id) == []

    row(page, task_id).locator("button[data-action='attach']").click()
    expect(page.locator(".Toastify__toast", has_text="attached in a JupyterLab terminal tab")).to_be_visible()
    expect(page.locator(".jp-Terminal").first).to_be_visible(timeout=15_000)
    deadline = time.monotonic() + 20
    while not gui_clients(lab_server, task_id):
        assert time.monotonic() < deadline, f"no tmux client on claude-{task_id}\n{lab_server.log_tail()}"
        page.wait_for_timeout(200)
    expect(badge(page, task_id)).to_have_attribute("data-state", "running")
    close_toasts(page)
    screenshot(page, "lab-attached-in-terminal-tab")

    # Attach again from another tab: the terminal tab already attached comes to the front, and
    # no second tab or client is made.
    terminal_tab = page.locator(".jp-Terminal").first
    row(page, task_id).locator("button[data-action='log']").click()
    expect(terminal_tab).to_be_hidden()
    row(page, task_id).locator("button[data-action='attach']").click()
    expect(terminal_tab).to_be_visible()
    page.wait_for_timeout(1_000)  # what a second tab would need to appear and attach
    assert page.locator(".jp-Terminal").count() == 1
    assert len(gui_clients(lab_server, task_id)) == 1
    close_toasts(page)
    docs_screenshot(page, "attached-in-lab")
    lab_server.tmux("kill-session", "-t", f"=claude-{task_id}")


def gui_clients(server: LabServer, task_id: str) -> list[str]:
    """The non-control tmux clients attached to the task's session (their ttys)."""
    listed = server.tmux(
        "list-clients", "-t", f"=claude-{task_id}", "-F", "#{client_control_mode} #{client_tty}"
    )
    return [line.split()[1] for line in listed.stdout.splitlines() if line.startswith("0 ")]


def test_session_killed_from_outside_flips_its_badge(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_sidebar(page, lab_server.lab_url())
    row(page, "fix-login-redirect").locator("button[data-action='run']").click()
    expect(badge(page, "fix-login-redirect")).to_have_attribute("data-state", "running", timeout=3_000)

    killed = lab_server.tmux("kill-session", "-t", "=claude-fix-login-redirect")
    assert killed.returncode == 0, killed.stderr
    # Pushed by claude/events: no reload, no refresh click.
    expect(badge(page, "fix-login-redirect")).to_have_attribute(
        "data-state", re.compile(r"^(stopped|exited)$"), timeout=1_000
    )
    expect(badge(page, "fix-login-redirect")).to_have_text(re.compile(r"^(⚫ stopped|🔴 exited.*)$"))
    expect(row(page, "fix-login-redirect").locator("button[data-action='run']")).to_be_enabled()
    screenshot(page, "lab-killed-from-outside")


def test_run_twice_starts_one_session(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    task_id = "TASK-20250516T024757"
    open_sidebar(page, lab_server.lab_url())
    row(page, task_id).locator("button[data-action='run']").dblclick()
    expect(badge(page, task_id)).to_have_attribute("data-state", "running", timeout=3_000)
    first = sessions_named(lab_server, task_id)
    assert len(first) == 1

    # Run again from the command palette: the live session is re-used.
    run_from_palette(page, task_id)
    again = f"Claude session {task_id} is already running"
    expect(page.locator(".Toastify__toast", has_text=again)).to_be_visible()
    assert sessions_named(lab_server, task_id) == first

    # Two starts at the same time, through the login cookie and _xsrf like the extension's own calls.
    replies = page.evaluate(
        """async (id) => {
            const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf='));
            const post = () => fetch(`/claude/${id}/start`, {
                method: 'POST',
                credentials: 'same-origin',
                headers: {'Content-Type': 'application/json',
                          'X-XSRFToken': decodeURIComponent(xsrf.slice('_xsrf='.length))},
                body: '{}'
            }).then(async r => [r.status, await r.json()]);
            return Promise.all([post(), post()]);
        }""",
        "add-csv-export-2",
    )
    assert [status for status, _ in replies] == [200, 200], replies
    assert sorted(reply["started"] for _, reply in replies) == [False, True], replies
    assert len(sessions_named(lab_server, "add-csv-export-2")) == 1
    expect(badge(page, "add-csv-export-2")).to_have_attribute("data-state", "running")
    assert sessions_named(lab_server, task_id) == first
    screenshot(page, "lab-run-twice")


@pytest.fixture
def lab_without_tmux(lab_server: LabServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A second Lab whose PATH has no tmux (python and jupyter are still found)."""
    home = tmp_path_factory.mktemp("lab-home-no-tmux")
    path = path_without("tmux", home / "path")
    assert shutil.which("tmux", path=path) is None
    server = LabServer(root=lab_server.root, home=home, env={"PATH": path})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_banner_when_tmux_is_missing(lab_without_tmux: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    panel = open_sidebar(page, lab_without_tmux.lab_url())
    banner = panel.locator(".jp-ClaudeSessions-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-kind", "no-tmux")
    expect(banner).to_contain_text("tmux is missing")
    expect(banner).to_contain_text("tmux is not installed")
    screenshot(page, "lab-no-tmux-banner")


@pytest.fixture
def notebook7(lab_server: LabServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A Notebook 7 server (``jupyter notebook``) on the same tasks, with its own tmux socket."""
    import notebook  # noqa: F401 - the test extra installs Notebook 7; a missing one is a failure

    server = LabServer(
        root=lab_server.root,
        home=tmp_path_factory.mktemp("notebook-home"),
        extra_config=f"c.ClaudeSessions.command = {COLOUR_COMMAND!r}",
        app_module="notebook",
        app_class="JupyterNotebookApp",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_notebook7_smoke(notebook7: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{notebook7.base_url}tree?token={notebook7.token}")
    page.locator("#main-panel, .jp-FileBrowser").first.wait_for(timeout=60_000)
    palette_command(page, "Claude: Show sessions")
    panel = page.locator("#jp-claude-sessions")
    expect(panel).to_be_visible()
    expect(badge(page, "add-csv-export")).to_have_text("⚫ stopped")
    row(page, "add-csv-export").locator("button[data-action='run']").click()
    expect(badge(page, "add-csv-export")).to_have_text("🔴 exited (3)", timeout=3_000)
    row(page, "add-csv-export").locator("button[data-action='log']").click()
    log = page.locator("#jp-claude-log-add-csv-export.jp-ClaudeLog")
    expect(log.locator(".xterm-rows span.xterm-fg-1", has_text="RED-MARKER")).to_be_visible()
    expect(log.locator(".jp-ClaudeLog-status")).to_have_attribute("data-status", "ended")
    screenshot(page, "notebook7-sidebar-and-log")
