"""Answer an agent from JupyterLab (issue #14): the approval card, the notification, the message box.

The real Claude Code CLI runs through the built-in workflow (a git worktree per task, our hooks in
a ``--settings`` file) against the scripted model server, in a real ``jupyter lab`` driven by
Chromium. The Lab server inherits the ``real_claude`` environment (HOME, CLAUDE_CONFIG_DIR,
ANTHROPIC_BASE_URL, the real ``claude`` first on PATH) and runs its sessions on that fixture's
private tmux socket, so the panes get it too. Scenarios: Run task 42 from the sidebar, the card
shows the command in its row and the waiting notification comes, Allow makes the file in the
task's worktree and the task goes working, then idle; and Deny with a reason from the log tab's
card, where the reason reaches the model and the file is not made, then a message typed in the
log tab reaches the agent, whose next request is answered elsewhere first: the card says so (409)
and goes with the next push.

With ``JUPYTER_CLAUDE_SCREENSHOTS=1`` the card (sidebar and log tab) and the notification are
written to ``docs/screenshots/``, in the light and the dark theme.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    LabServer,
    _require_browser,
    browser_page,
    close_toasts,
    docs_screenshot,
    open_sidebar,
    run_lab_command,
    set_theme,
    sidebar_row,
)
from ..support.claude import RealClaude
from ..support.data import wait_for
from ..support.model_server import Slow, Text, ToolUse

__all__ = ["browser_page"]  # the harness's fixture, used below (it runs on this module's lab_server)

WAITING_TEXT = "waiting for you"
LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"


def worktree(git_root: Path) -> Path:
    """Where task 42's worktree is made by default."""
    return git_root.parent / f"{git_root.name}.worktrees" / "42"


@pytest.fixture
def lab_server(real_claude: RealClaude, git_root: Path, tmp_path: Path) -> Iterator[LabServer]:
    """JupyterLab on the test's repository, running the built-in workflow with the real Claude Code.

    Started after ``real_claude`` changed the environment; its tmux server is started by it, on the
    fixture's private socket, so the panes inherit the private HOME, the model server's URL and the
    real ``claude`` on PATH.
    """
    _require_browser()
    config = "\n".join(
        [
            "c.ClaudeSessions.command = []  # the built-in run-task workflow",
            f"c.ClaudeSessions.root_dir = {str(git_root)!r}",
            "c.ClaudeSessions.agent_quiet_seconds = 2",
        ]
    )
    server = LabServer(
        root=git_root,
        home=tmp_path / "lab-home",
        extra_config=config,
        tmux_socket=real_claude.tmux_socket,
        expose_app=True,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def record_states(page: Any, task_id: str = "42") -> None:
    """Note every state the task's row shows, in order, in ``window.jcStates`` (repeats folded)."""
    page.evaluate(
        """(id) => {
            const list = document.querySelector('#jp-claude-sessions .jp-ClaudeSessions-list');
            window.jcStates = [];
            const note = () => {
                const row = list.querySelector(`.jp-ClaudeSessions-row[data-task-id="${id}"]`);
                const state = row && row.dataset.state;
                if (state && window.jcStates[window.jcStates.length - 1] !== state) {
                    window.jcStates.push(state);
                }
            };
            note();
            new MutationObserver(note).observe(list, {
                subtree: true, childList: true, attributes: true, attributeFilter: ['data-state']
            });
        }""",
        task_id,
    )


def states(page: Any) -> list[str]:
    return page.evaluate("() => window.jcStates")  # type: ignore[no-any-return]


class HeldPushes:
    """The page's claude/events socket, through Playwright: while held, no push reaches the page.

    Routed before the page loads; ``hold()`` keeps the server's messages back, ``release()`` hands
    them over in order and lets the next ones through.
    """

    def __init__(self, page: Any) -> None:
        self.held: list[str | bytes] | None = None
        self.socket: Any = None
        page.route_web_socket(re.compile(r"/claude/events(\?|$)"), self._route)

    def _route(self, socket: Any) -> None:
        self.socket = socket
        server = socket.connect_to_server()
        server.on_message(self._from_server)

    def _from_server(self, message: str | bytes) -> None:
        if self.held is None:
            self.socket.send(message)
        else:
            self.held.append(message)

    def hold(self) -> None:
        self.held = []

    def release(self) -> None:
        held, self.held = self.held or [], None
        for message in held:
            self.socket.send(message)


def answer_by_rest(server: LabServer, decision: str) -> None:
    """Answer task 42's pending request over the REST API, with the server's token."""
    headers = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}
    url = server.base_url + "claude/42/permission"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as reply:
        pending = json.load(reply)["pending"]
    body = json.dumps({"request": pending["request"], "decision": decision}).encode()
    post = urllib.request.Request(url, body, headers, method="POST")
    with urllib.request.urlopen(post, timeout=10) as reply:
        assert json.load(reply) == {"answered": True}


def sessions_tab(page: Any) -> Any:
    """The sidebar's tab (it carries the count of pending requests)."""
    return page.locator(".lm-TabBar-tab[data-id='jp-claude-sessions']")


def test_allow_from_the_sidebar_card(
    lab_server: LabServer, browser_page: Any, real_claude: RealClaude, git_root: Path
) -> None:
    from playwright.sync_api import expect

    page, model = browser_page, real_claude.model
    model.script(
        ToolUse("Bash", {"command": "touch made.txt", "description": "Make a file"}),
        Slow(1.5, Text("Done.")),  # the model takes its time: "working" is seen after the answer
    )
    open_sidebar(page, lab_server.lab_url())
    record_states(page)
    row = sidebar_row(page, "42")
    row.locator("button[data-action='run']").click()

    # The dialog is on screen in the pane: the card shows the command in the task's row.
    card = row.locator(".jp-ClaudeApproval")
    expect(card).to_be_visible(timeout=90_000)
    expect(card).to_have_attribute("data-tool", "Bash")
    expect(card.locator(".jp-ClaudeApproval-summary")).to_have_text("touch made.txt")
    expect(row).to_have_attribute("data-state", "waiting")
    expect(sessions_tab(page)).to_have_attribute("data-claude-pending", "1")
    assert "Do you want to" in real_claude.screen()
    # The full input, on expand: the command in a code block, with its description.
    card.locator(".jp-ClaudeApproval-details > summary").click()
    expect(card.locator(".jp-ClaudeApproval-command")).to_have_text("touch made.txt")
    expect(card.locator(".jp-ClaudeApproval-note")).to_have_text("Make a file")

    # The notification for waiting, with Allow / Deny / Open log.
    toast = page.locator(".Toastify__toast", has_text=WAITING_TEXT)
    expect(toast).to_be_visible(timeout=10_000)
    expect(toast).to_contain_text("Task 42 is 🟡 waiting for you: Bash — touch made.txt")
    for label in ("Allow", "Deny", "Open log"):
        expect(toast.get_by_role("button", name=label, exact=True)).to_be_visible()
    close_toasts(page, keep=WAITING_TEXT)
    docs_screenshot(page, "approval-sidebar")
    docs_screenshot(page, "approval-notification", toast)
    set_theme(page, DARK)
    docs_screenshot(page, "approval-sidebar-dark")
    docs_screenshot(page, "approval-notification-dark", toast)
    set_theme(page, LIGHT)
    assert not (worktree(git_root) / "made.txt").exists()

    # Allow: the tool runs in the task's worktree; the task works on, then finishes its turn.
    card.get_by_role("button", name="Allow", exact=True).click()
    wait_for(lambda: (worktree(git_root) / "made.txt").exists(), 30, "made.txt in the worktree")
    assert not (git_root / "made.txt").exists()
    expect(row).to_have_attribute("data-state", "idle", timeout=60_000)
    recorded = states(page)
    assert recorded[-3:] == ["waiting", "working", "idle"], recorded
    # The request is gone everywhere: the card, the tab's count, the waiting toast.
    expect(row.locator(".jp-ClaudeApproval")).to_have_count(0)
    expect(sessions_tab(page)).not_to_have_attribute("data-claude-pending", "1")
    expect(toast).to_have_count(0)
    expect(page.locator(".Toastify__toast", has_text="Task 42 finished its turn")).to_be_visible()
    real_claude.wait_for_screen("Done.")
    assert model.pending_steps == 0

    # The notification settings are in JupyterLab's Settings Editor.
    run_lab_command(page, "settingeditor:open", {"query": "Claude Sessions"})
    editor = page.locator(".jp-SettingsPanel, .jp-SettingsEditor").first
    expect(editor.get_by_text("Desktop notifications in the background")).to_be_visible(timeout=20_000)
    expect(editor.get_by_text("Notify about tasks")).to_be_visible()
    # Opting in asks the browser; headless Chromium refuses, and the page says where to allow it.
    close_toasts(page)
    editor.get_by_label("Desktop notifications in the background").check()
    expect(page.locator(".Toastify__toast", has_text="The browser blocks notifications")).to_be_visible()
    assert not [error for error in page.jc_console_errors if "jupyter-claude" in error]


def test_deny_with_a_reason_from_the_log_tab_then_send_a_message(
    lab_server: LabServer, browser_page: Any, real_claude: RealClaude, git_root: Path
) -> None:
    from playwright.sync_api import expect

    page, model = browser_page, real_claude.model
    pushes = HeldPushes(page)
    reason = "Use the scratch folder instead"
    model.script(
        ToolUse("Bash", {"command": "touch denied.txt", "description": "Make another file"}),
        Text("Understood, I will not."),
    )
    open_sidebar(page, lab_server.lab_url())
    row = sidebar_row(page, "42")

    # The log tab's message box says why it cannot send while there is no session.
    row.locator("button[data-action='log']").click()
    log = page.locator("#jp-claude-log-42.jp-ClaudeLog")
    box = log.locator(".jp-ClaudeMessage")
    box.locator("textarea").fill("hello")
    box.get_by_role("button", name="Send").click()
    expect(box.locator(".jp-ClaudeMessage-error")).to_contain_text("start task 42 first")
    expect(box.locator("textarea")).to_have_value("hello")  # kept, to send again
    box.locator("textarea").fill("")

    row.locator("button[data-action='run']").click()
    expect(box.locator(".jp-ClaudeMessage-error")).to_be_hidden()  # it was about the run before
    card = log.locator(".jp-ClaudeLog-approval .jp-ClaudeApproval")
    expect(card).to_be_visible(timeout=90_000)
    expect(card.locator(".jp-ClaudeApproval-summary")).to_have_text("touch denied.txt")
    expect(row.locator(".jp-ClaudeApproval")).to_be_visible()  # the same request, in the sidebar too
    card.locator(".jp-ClaudeApproval-details > summary").click()
    expect(card.locator(".jp-ClaudeApproval-command")).to_have_text("touch denied.txt")
    card.locator(".jp-ClaudeApproval-reason").fill(reason)
    close_toasts(page)
    docs_screenshot(page, "approval-log")
    set_theme(page, DARK)
    docs_screenshot(page, "approval-log-dark")
    set_theme(page, LIGHT)

    # Deny: the agent is told why, the tool does not run, every card goes.
    card.get_by_role("button", name="Deny", exact=True).click()
    model.wait_for_request(2, timeout=60)
    assert reason in model.main_requests()[-1].last_user_text()
    expect(log.locator(".jp-ClaudeApproval")).to_have_count(0)
    expect(row.locator(".jp-ClaudeApproval")).to_have_count(0)
    expect(row).to_have_attribute("data-state", "idle", timeout=60_000)
    assert not (worktree(git_root) / "denied.txt").exists()

    # A message typed in the log tab reaches the agent (and so the model), which asks again.
    model.script(
        ToolUse("Bash", {"command": "touch third.txt", "description": "One more file"}),
        Text("Hello to you too."),
    )
    box.locator("textarea").fill("Say hello, please")
    box.get_by_role("button", name="Send").click()
    expect(box.locator("textarea")).to_have_value("")
    expect(box.locator(".jp-ClaudeMessage-error")).to_be_hidden()
    model.wait_for_request(3, timeout=60)
    assert "Say hello, please" in model.main_requests()[-1].last_user_text()

    # That request is answered elsewhere first (the REST API, while no push reaches this page):
    # the card's Allow gets 409 and says so; the card goes with the next push.
    expect(card.locator(".jp-ClaudeApproval-summary")).to_have_text("touch third.txt", timeout=60_000)
    pushes.hold()
    answer_by_rest(lab_server, "allow")
    wait_for(lambda: (worktree(git_root) / "third.txt").exists(), 30, "third.txt in the worktree")
    card.get_by_role("button", name="Allow", exact=True).click()
    expect(card).to_have_attribute("data-phase", "elsewhere")
    expect(card.locator(".jp-ClaudeApproval-result")).to_have_text("answered elsewhere")
    expect(card.get_by_role("button", name="Allow", exact=True)).to_be_disabled()
    pushes.release()
    expect(log.locator(".jp-ClaudeApproval")).to_have_count(0)
    expect(row).to_have_attribute("data-state", "idle", timeout=60_000)
    real_claude.wait_for_screen("Hello to you too.")
    assert not [error for error in page.jc_console_errors if "jupyter-claude" in error]
