"""The task board in a real ``jupyter lab`` and Chromium (issue #17).

The server serves a temp copy of the demo tasks plus a few more (YAML with CRLF line ends, a
status that matches no column, 60 numbered tasks for the sidebar's order and virtualization).
Scenarios: the columns and Other; drag a card; the keyboard "Move to…" menu; a move refused
because the file changed on disk (the card reloads, the file keeps the edit); New task; filter
(id, state, body text from the server); open a task (rendered body, front matter, Run, live log);
the sidebar sorts naturally, groups by state, and draws only the rows in view, a row with a pending
request holding its approval card (measured, so the rows below it move with it). Task files are
checked byte for byte after every move.

With ``JUPYTER_CLAUDE_SCREENSHOTS=1`` the board (light and dark) and the task view are also
written to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import json
import re
import urllib.request
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
    screenshot,
    sidebar_row,
)

__all__ = ["browser_page", "lab_server"]  # the harness's fixtures, used below

VIEWPORT = {"width": 1400, "height": 860}
YAML_TASK = (
    "---\r\nid: yaml-crlf\r\ntitle: Keep CRLF and comments\r\n# a comment\r\n"
    "status: Review   # moved by the board\r\npriority: Low\r\n---\r\n"
    "The body keeps its *CRLF* line ends.\r\n"
)
BLOCKED_TASK = '+++\nid = "blocked-one"\ntitle = "Waiting on the vendor"\nstatus = "🧱 Blocked"\n+++\nbody\n'
NUMBERED = 60


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo tasks, two hand-written ones and t1 … t60."""
    root = copy_demo(tmp_path_factory.mktemp("board-root"))
    tasks = root / "tasks"
    (tasks / "yaml-crlf.md").write_bytes(YAML_TASK.encode())
    (tasks / "blocked-one.md").write_text(BLOCKED_TASK)
    numbered = root / "more"
    numbered.mkdir()
    for number in range(1, NUMBERED + 1):
        body = "the secret word is zanzibar\n" if number == 37 else "nothing special\n"
        (numbered / f"t{number}.md").write_text(
            f'+++\ntitle = "Numbered task {number}"\nstatus = "Done"\n+++\n{body}'
        )
    return root


@pytest.fixture(scope="module")
def lab_config() -> str:
    """Two task folders: new tasks go to the first."""
    return 'c.ClaudeSessions.tasks_dirs = ["tasks", "more"]'


# -- helpers -------------------------------------------------------------------------------------


def open_board(page: Any, server: LabServer) -> Any:
    """Lab with the sidebar, then the board from the sidebar's header button; returns the board."""
    page.set_viewport_size(VIEWPORT)
    open_sidebar(page, server.lab_url())
    page.locator("#jp-claude-sessions button[data-action='board']").click()
    board = page.locator("#jp-claude-board")
    board.locator(".jp-ClaudeBoard-card").first.wait_for(timeout=15_000)
    return board


def column(page: Any, name: str) -> Any:
    return page.locator(f"#jp-claude-board .jp-ClaudeBoard-column[data-column='{name}']")


def card(page: Any, task_id: str) -> Any:
    return page.locator(f"#jp-claude-board .jp-ClaudeBoard-card[data-task-id='{task_id}']")


def task_file(server: LabServer, name: str) -> Path:
    return server.root / "tasks" / name


def start(server: LabServer, task_id: str) -> Any:
    """Start a task's session through the REST API (no terminal)."""
    request = urllib.request.Request(
        server.base_url + f"claude/{task_id}/start",
        data=b'{"attach": false}',
        method="POST",
        headers={"Authorization": f"token {server.token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def send(server: LabServer, method: str, path: str, payload: dict[str, Any]) -> Any:
    """A change through the REST API with the server's token: another client than the page."""
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(payload).encode(),
        method=method,
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def api(server: LabServer, path: str) -> Any:
    request = urllib.request.Request(
        server.base_url + path, headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


# -- scenarios -----------------------------------------------------------------------------------


def test_columns_other_and_cards(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    board = open_board(page, lab_server)
    names = board.locator(".jp-ClaudeBoard-column").evaluate_all("ns => ns.map(n => n.dataset.column)")
    assert names == ["Other", "To Do", "In Progress", "Review", "Done"]
    # "🟡 To Do" is To Do; the status that matches no column is in Other, shown first.
    expect(column(page, "To Do").locator(".jp-ClaudeBoard-columnCount")).to_have_text("3")
    expect(column(page, "Other").locator(".jp-ClaudeBoard-card")).to_have_count(1)
    expect(card(page, "blocked-one")).to_contain_text("🧱 Blocked")
    expect(column(page, "Review").locator(".jp-ClaudeBoard-card[data-task-id='yaml-crlf']")).to_be_visible()
    expect(column(page, "Done").locator(".jp-ClaudeBoard-columnCount")).to_have_text(str(NUMBERED))
    # Cards: id, title, priority, badge; by priority, then id in natural order.
    first = card(page, "fix-login-redirect")
    expect(first.locator(".jp-ClaudeBoard-cardTitle")).to_have_text(
        "Login redirects to /404 after password reset"
    )
    expect(first.locator(".jp-ClaudeBoard-priority")).to_have_text("🔼 High")
    expect(first.locator(".jp-ClaudeBoard-badge")).to_have_attribute("data-state", "stopped")
    ids = (
        column(page, "To Do")
        .locator(".jp-ClaudeBoard-card")
        .evaluate_all("ns => ns.map(n => n.dataset.taskId)")
    )
    assert ids == ["fix-login-redirect", "TASK-20250516T024757", "42"]
    # Virtualized: 60 cards in Done, a screenful of them in the DOM.
    drawn = column(page, "Done").locator(".jp-ClaudeBoard-card").count()
    assert 0 < drawn < NUMBERED, drawn
    order = (
        column(page, "Done")
        .locator(".jp-ClaudeBoard-card")
        .evaluate_all("ns => ns.map(n => n.dataset.taskId)")
    )
    assert order[:4] == ["t1", "t2", "t3", "t4"]
    # A live session's badge flips on its card, pushed by claude/events.
    start(lab_server, "42")
    expect(card(page, "42").locator(".jp-ClaudeBoard-badge")).to_have_attribute("data-state", "running")
    close_toasts(page)
    screenshot(page, "board-columns")
    page.locator(".lm-TabBar-tab[data-id='jp-claude-sessions']").click()  # the whole width for the board
    page.set_viewport_size({"width": 1400, "height": 800})
    expect(page.locator("#jp-claude-sessions")).to_be_hidden()
    docs_screenshot(page, "board")
    lab_server.tmux("kill-session", "-t", "=claude-42")


def test_drag_a_card_rewrites_only_its_status(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    path = task_file(lab_server, "fix-login-redirect.md")
    before = path.read_bytes()
    open_board(page, lab_server)
    card(page, "fix-login-redirect").drag_to(column(page, "In Progress").locator(".jp-ClaudeBoard-cards"))
    expect(
        column(page, "In Progress").locator(".jp-ClaudeBoard-card[data-task-id='fix-login-redirect']")
    ).to_be_visible()
    after = path.read_bytes()
    assert after == before.replace('status = "🟡 To Do"'.encode(), b'status = "In Progress"')
    assert after != before


def test_move_menu_with_the_keyboard(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    path = task_file(lab_server, "yaml-crlf.md")
    open_board(page, lab_server)
    target = card(page, "yaml-crlf")
    target.focus()
    page.keyboard.press("Tab")  # to its "Move to…" button
    expect(target.locator("button[data-action='move']")).to_be_focused()
    page.keyboard.press("Enter")
    menu = page.locator(".lm-Menu.jp-ClaudeBoard-moveMenu")
    expect(menu).to_be_visible()
    items = menu.locator(".lm-Menu-item").all_inner_texts()
    assert [item.strip() for item in items] == ["To Do", "In Progress", "Done"]
    screenshot(page, "board-move-menu")
    page.keyboard.press("ArrowDown")  # In Progress
    page.keyboard.press("ArrowDown")  # Done
    page.keyboard.press("Enter")
    expect(column(page, "Done").locator(".jp-ClaudeBoard-card[data-task-id='yaml-crlf']")).to_have_count(1)
    assert path.read_bytes() == YAML_TASK.replace("status: Review ", "status: Done ").encode()
    # The focus is back on the moved card, so the keyboard can go on.
    expect(card(page, "yaml-crlf")).to_be_focused()


def test_a_move_over_a_file_changed_on_disk_is_refused_and_the_card_reloads(
    lab_server: LabServer, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    path = task_file(lab_server, "add-csv-export.md")
    open_board(page, lab_server)
    expect(
        column(page, "In Progress").locator(".jp-ClaudeBoard-card[data-task-id='add-csv-export']")
    ).to_be_visible()
    # Someone edits the file (and its status) after the board read it.
    edited = path.read_text(encoding="utf-8").replace("status:", "owner: someone\nstatus:", 1)
    edited = re.sub(r"status: .*", "status: Review", edited, count=1)
    path.write_text(edited, encoding="utf-8")
    card(page, "add-csv-export").locator("button[data-action='move']").click()
    page.locator(".lm-Menu.jp-ClaudeBoard-moveMenu .lm-Menu-item", has_text="Done").click()
    expect(page.locator(".Toastify__toast", has_text="changed on disk")).to_be_visible()
    assert path.read_text(encoding="utf-8") == edited
    # The card shows the file as it is now.
    expect(
        column(page, "Review").locator(".jp-ClaudeBoard-card[data-task-id='add-csv-export']")
    ).to_be_visible()
    screenshot(page, "board-move-refused")


def test_tasks_made_moved_or_removed_elsewhere_show_without_a_reload(
    lab_server: LabServer, browser_page: Any
) -> None:
    """The server pushes ``tasks`` when a task folder changes; the board and the sidebar read the
    list again (their own refresh is once a minute, so only the push can show these in time)."""
    from playwright.sync_api import expect

    page = browser_page
    open_board(page, lab_server)
    made = send(lab_server, "POST", "claude/tasks", {"title": "Made elsewhere", "status": "Review"})
    where = ".jp-ClaudeBoard-card[data-task-id='made-elsewhere']"
    expect(column(page, "Review").locator(where)).to_be_visible(timeout=5_000)
    expect(sidebar_row(page, "made-elsewhere")).to_have_count(1)
    send(lab_server, "PATCH", "claude/tasks/made-elsewhere", {"status": "Done", "if_match": made["version"]})
    expect(column(page, "Done").locator(where)).to_be_visible(timeout=5_000)
    task_file(lab_server, "made-elsewhere.md").unlink()
    expect(card(page, "made-elsewhere")).to_have_count(0, timeout=5_000)
    expect(sidebar_row(page, "made-elsewhere")).to_have_count(0)


def test_new_task(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_board(page, lab_server)
    page.locator("#jp-claude-board button[data-action='new-task']").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input[name='title']").fill("Write the release notes")
    dialog.locator("select[name='status']").select_option("Review")
    dialog.locator("input[name='priority']").fill("High")
    dialog.locator("textarea[name='body']").fill("# Release notes\n\n- the board\n- the task view\n")
    screenshot(page, "board-new-task-form")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(
        column(page, "Review").locator(".jp-ClaudeBoard-card[data-task-id='write-the-release-notes']")
    ).to_be_visible()
    text = task_file(lab_server, "write-the-release-notes.md").read_text(encoding="utf-8")
    assert text.startswith(
        '+++\nid = "write-the-release-notes"\ntitle = "Write the release notes"\nstatus = "Review"\n'
        'priority = "High"\n'
    )
    assert text.endswith("+++\n\n# Release notes\n\n- the board\n- the task view\n")
    # A second one with the same title gets its own id and file.
    page.locator("#jp-claude-board button[data-action='new-task']").click()
    dialog.locator("input[name='title']").fill("Write the release notes")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(card(page, "write-the-release-notes-2")).to_be_visible()
    assert 'status = "To Do"' in task_file(lab_server, "write-the-release-notes-2.md").read_text()


def test_filter_by_id_state_and_body(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    board = open_board(page, lab_server)
    search = board.locator(".jp-ClaudeBoard-filter")
    search.fill("no such words")
    expect(board.locator(".jp-ClaudeBoard-card")).to_have_count(0)
    search.fill("nightly")
    expect(board.locator(".jp-ClaudeBoard-card")).to_have_count(1)
    expect(card(page, "42")).to_be_visible()
    # Body text lives on the server: only t37's body has this word.
    search.fill("zanzibar")
    expect(board.locator(".jp-ClaudeBoard-card")).to_have_count(1, timeout=5_000)
    expect(card(page, "t37")).to_be_visible()
    # Session state: only the running task.
    start(lab_server, "t5")
    search.fill("running")
    expect(board.locator(".jp-ClaudeBoard-card")).to_have_count(1, timeout=5_000)
    expect(card(page, "t5").locator(".jp-ClaudeBoard-badge")).to_have_attribute("data-state", "running")
    search.fill("")
    lab_server.tmux("kill-session", "-t", "=claude-t5")


def test_open_a_task(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    lab_server.tmux("kill-session", "-t", "=claude-TASK-20250516T024757")
    open_board(page, lab_server)
    card(page, "TASK-20250516T024757").locator(".jp-ClaudeBoard-cardTitle").click()
    view = page.locator("#jp-claude-task-TASK-20250516T024757")
    expect(view.locator(".jp-ClaudeTask-title")).to_have_text(
        "TASK-20250516T024757: Task-Aware Claude Sessions"
    )
    # The body is rendered markdown; the front matter is a table.
    expect(view.locator(".jp-ClaudeTask-body h1").first).to_contain_text("Feature Document")
    expect(view.locator(".jp-ClaudeTask-body table").first).to_be_visible()
    expect(view.locator(".jp-ClaudeTask-meta tr[data-key='phase'] td")).to_have_text("backlog")
    badge = view.locator(".jp-ClaudeTask-badge")
    expect(badge).to_have_attribute("data-state", "stopped")
    expect(view.locator("button[data-action='stop']")).to_be_disabled()
    view.locator("button[data-action='run']").click()
    expect(badge).to_have_attribute("data-state", "running", timeout=5_000)
    # Its live log, in the log tab's own view.
    log = view.locator(".jp-ClaudeTask-log")
    expect(log.locator(".jp-ClaudeLog-status")).to_have_attribute("data-status", "live")
    expect(log.locator(".xterm-rows")).to_contain_text("working on task TASK-20250516T024757", timeout=10_000)
    expect(view.locator("button[data-action='attach']")).to_be_enabled()
    close_toasts(page)
    screenshot(page, "task-view")
    docs_screenshot(page, "task-view")
    # Moving it from the view rewrites the file, and the view follows the new version.
    view.locator("button[data-action='move']").click()
    page.locator(".lm-Menu.jp-ClaudeBoard-moveMenu .lm-Menu-item", has_text="Review").click()
    expect(view.locator(".jp-ClaudeTask-meta tr[data-key='status'] td")).to_have_text("Review")
    lab_server.tmux("kill-session", "-t", "=claude-TASK-20250516T024757")


def test_sidebar_natural_order_grouping_and_virtual_rows(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(VIEWPORT)
    panel = open_sidebar(page, lab_server.lab_url())
    rows = panel.locator(".jp-ClaudeSessions-row")
    expect(rows.first).to_be_visible()
    ids = rows.evaluate_all("ns => ns.map(n => n.dataset.taskId)")
    total = len(api(lab_server, "claude/tasks?fields=id")["tasks"])
    assert len(ids) < total, (len(ids), total)  # only the rows in view (and a few more) are drawn
    numbered = [task_id for task_id in ids if re.fullmatch(r"t\d+", task_id)]
    assert numbered[:12] == [f"t{n}" for n in range(1, 13)]  # t1, t2, … t10, not t1, t10, t11
    # Scrolling to the end draws the last rows.
    panel.locator(".jp-ClaudeSessions-list").evaluate("n => { n.scrollTop = n.scrollHeight; }")
    expect(panel.locator(".jp-ClaudeSessions-row[data-task-id='yaml-crlf']")).to_be_visible()
    panel.locator(".jp-ClaudeSessions-list").evaluate("n => { n.scrollTop = 0; }")

    # Group by state: a session waiting for its person comes first.
    for task_id in ("t3", "t9"):
        start(lab_server, task_id)
    lab_server.tmux("set-option", "-t", "=claude-t9:", "@jc_agent", "claude")
    lab_server.tmux("set-option", "-t", "=claude-t9:", "@jc_agent_state", "waiting")
    panel.locator("button[data-action='group']").click()
    expect(panel.locator("button[data-action='group']")).to_have_attribute("aria-pressed", "true")
    groups = panel.locator(".jp-ClaudeSessions-group")
    expect(groups.first).to_have_attribute("data-state", "waiting", timeout=5_000)
    expect(groups.nth(1)).to_have_attribute("data-state", "running")
    expect(groups.nth(2)).to_have_attribute("data-state", "stopped")
    listed = panel.locator(".jp-ClaudeSessions-rows > li").evaluate_all(
        "ns => ns.slice(0, 5).map(n => n.dataset.taskId || 'group:' + n.dataset.state)"
    )
    assert listed == ["group:waiting", "t9", "group:running", "t3", "group:stopped"]
    screenshot(page, "sidebar-grouped")
    panel.locator("button[data-action='group']").click()
    for task_id in ("t3", "t9"):
        lab_server.tmux("kill-session", "-t", f"=claude-{task_id}")


def row_gap(page: Any, upper: str, lower: str) -> float:
    """Pixels between the bottom of one sidebar row and the top of the next (0: they touch)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """([upper, lower]) => {
            const box = id => document
                .querySelector(`#jp-claude-sessions .jp-ClaudeSessions-row[data-task-id="${id}"]`)
                .getBoundingClientRect();
            return box(lower).top - box(upper).bottom;
        }""",
        [upper, lower],
    )


def wait_rows_touch(page: Any, upper: str, lower: str) -> None:
    """Wait until the row ``lower`` starts right where ``upper`` ends (no gap, no overlap)."""
    page.wait_for_function(
        """([upper, lower]) => {
            const node = id => document.querySelector(
                `#jp-claude-sessions .jp-ClaudeSessions-row[data-task-id="${id}"]`);
            const a = node(upper), b = node(lower);
            return a && b && Math.abs(b.getBoundingClientRect().top - a.getBoundingClientRect().bottom) < 1;
        }""",
        arg=[upper, lower],
        timeout=5_000,
    )


def test_sidebar_approval_card_in_the_virtual_list(lab_server: LabServer, browser_page: Any) -> None:
    """A row with a pending request holds its approval card: as tall as it is drawn, the next rows
    below it, the typed reason kept through a re-render and while the row is scrolled away."""
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(VIEWPORT)
    panel = open_sidebar(page, lab_server.lab_url())
    start(lab_server, "t3")
    target = "=claude-t3:"
    summary = {"request": "r1", "tool": "Bash", "summary": "touch made.txt", "asked_at": "2025-01-01T00:00Z"}
    lab_server.tmux("set-option", "-t", target, "@jc_agent", "claude")
    lab_server.tmux("set-option", "-t", target, "@jc_agent_state", "waiting")
    lab_server.tmux("set-option", "-t", target, "@jc_pending", json.dumps(summary))
    row = panel.locator(".jp-ClaudeSessions-row[data-task-id='t3']")
    card = row.locator(".jp-ClaudeApproval")
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator(".jp-ClaudeApproval-summary")).to_have_text("touch made.txt")
    expect(row).to_have_attribute("data-state", "waiting")
    expect(page.locator(".lm-TabBar-tab[data-id='jp-claude-sessions']")).to_have_attribute(
        "data-claude-pending", "1"
    )
    # The row is as tall as its card needs, and the next row starts where it ends.
    wait_rows_touch(page, "t3", "t4")
    row_box, card_box = row.bounding_box(), card.bounding_box()
    assert row_box["height"] > 52 + card_box["height"] - 1, (row_box, card_box)
    assert card_box["y"] + card_box["height"] <= row_box["y"] + row_box["height"] + 0.5
    close_toasts(page)
    screenshot(page, "sidebar-approval-card")

    # A reason being typed stays, focused, when the row is drawn again (its session changed).
    reason = card.locator(".jp-ClaudeApproval-reason")
    reason.fill("not that file")
    row.evaluate("node => { node.jcOld = true; }")
    lab_server.tmux("set-option", "-t", target, "@jc_ahead", "1")
    page.wait_for_function(
        """() => {
            const node = document.querySelector(
                '#jp-claude-sessions .jp-ClaudeSessions-row[data-task-id="t3"]');
            return node && !node.jcOld;
        }""",
        timeout=10_000,
    )
    expect(reason).to_have_value("not that file")
    expect(reason).to_be_focused()

    # Scrolled away, the row leaves the DOM; back, its card still holds the reason.
    scroller = panel.locator(".jp-ClaudeSessions-list")
    scroller.evaluate("n => { n.scrollTop = n.scrollHeight; }")
    expect(panel.locator(".jp-ClaudeSessions-row[data-task-id='yaml-crlf']")).to_be_visible()
    expect(row).to_have_count(0)
    scroller.evaluate("n => { n.scrollTop = 0; }")
    expect(reason).to_have_value("not that file")

    # The card grows (its full input opened): the rows below move down with it.
    before = row.bounding_box()["height"]
    card.locator(".jp-ClaudeApproval-details > summary").click()
    expect(card.locator(".jp-ClaudeApproval-input")).not_to_be_empty()
    page.wait_for_function(
        """(before) => document.querySelector(
            '#jp-claude-sessions .jp-ClaudeSessions-row[data-task-id="t3"]').offsetHeight > before""",
        arg=before,
        timeout=5_000,
    )
    wait_rows_touch(page, "t3", "t4")

    # Answered (the option cleared): the card goes and the row is a plain row again.
    lab_server.tmux("set-option", "-u", "-t", target, "@jc_pending")
    expect(row.locator(".jp-ClaudeApproval")).to_have_count(0, timeout=10_000)
    expect(page.locator(".lm-TabBar-tab[data-id='jp-claude-sessions']")).not_to_have_attribute(
        "data-claude-pending", "1"
    )
    wait_rows_touch(page, "t3", "t4")
    assert row.bounding_box()["height"] == 52
    assert abs(row_gap(page, "t4", "t5")) < 1
    lab_server.tmux("kill-session", "-t", "=claude-t3")


def test_dark_theme_and_the_launcher(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(VIEWPORT)
    page.goto(lab_server.lab_url())
    launcher_card = page.locator(".jp-LauncherCard", has_text="Claude: Open task board")
    expect(launcher_card).to_be_visible(timeout=60_000)
    expect(launcher_card.locator(".jp-LauncherCard-icon svg")).to_have_count(1)  # the board's icon
    launcher_card.click()
    board = page.locator("#jp-claude-board")
    expect(board.locator(".jp-ClaudeBoard-card").first).to_be_visible()
    start(lab_server, "42")
    expect(card(page, "42").locator(".jp-ClaudeBoard-badge")).to_have_attribute("data-state", "running")
    # JupyterLab's own theme switch (Settings > Theme, the apputils:change-theme command).
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item:visible").filter(has_text=re.compile(r"^Theme$")).hover()
    page.get_by_role("menuitem", name="JupyterLab Dark", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=15_000)
    page.wait_for_timeout(500)
    background = board.locator(".jp-ClaudeBoard-card").first.evaluate(
        "n => getComputedStyle(n).backgroundColor"
    )
    red, green, blue = (int(part) for part in re.findall(r"\d+", background)[:3])
    assert red + green + blue < 3 * 100, f"a dark card is {background}"
    page.locator(".lm-TabBar-tab[data-id='filebrowser']").click()  # the whole width for the board
    expect(page.locator("#filebrowser")).to_be_hidden()
    close_toasts(page)
    screenshot(page, "board-dark")
    docs_screenshot(page, "board-dark")
    # A task's view follows the theme too.
    card(page, "42").locator(".jp-ClaudeBoard-cardTitle").click()
    view = page.locator("#jp-claude-task-42")
    expect(view.locator(".jp-ClaudeTask-badge")).to_have_attribute("data-state", "running")
    expect(view.locator(".jp-ClaudeTask-log .jp-ClaudeLog-status")).to_have_attribute("data-status", "live")
    close_toasts(page)
    docs_screenshot(page, "task-view-dark")
    # Back to the light theme for whoever comes next (the setting is saved on the server).
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item:visible").filter(has_text=re.compile(r"^Theme$")).hover()
    page.get_by_role("menuitem", name="JupyterLab Light", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "true", timeout=15_000)
    lab_server.tmux("kill-session", "-t", "=claude-42")
