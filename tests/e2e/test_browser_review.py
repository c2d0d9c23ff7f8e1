"""Review in a real ``jupyter lab`` and Chromium: the ⚠ badge of conflicting tasks in the sidebar,
the Changes tab (commits, files with +/- counts, CodeMirror's merge view with syntax colours, the
unified patch, the uncommitted work), and the Land dialog, landing for real or refused.

The server's root is a real git repository with task worktrees beside it:

- ``a`` and ``b`` change the same line of ``f.txt`` differently (a conflict);
- ``42`` changes ``app.py`` (a Python file, for syntax colours), adds a binary ``logo.png`` and
  leaves an untracked ``notes.txt`` in its worktree.

With ``JUPYTER_CLAUDE_SCREENSHOTS=1`` the Changes tab and the Land dialog are written to
``docs/screenshots/`` in the light and the dark theme (``apputils:change-theme``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    LabServer,
    browser_page,
    close_toasts,
    docs_screenshot,
    lab_server,
    open_sidebar,
    palette_command,
    screenshot,
)
from ..support.repos import BINARY, NUMBERS, Repo, line
from .test_browser_lab import badge, row

__all__ = ["browser_page", "lab_server"]  # the harness's fixtures, used below

APP_BEFORE = 'def greet(name):\n    return "hello " + name\n\n\nprint(greet("world"))\n'
APP_AFTER = (
    'def greet(name: str) -> str:\n    """Say hello."""\n'
    '    return f"hello {name}"\n\n\nprint(greet("world"))\n'
)


def task_file(task_id: str, title: str) -> str:
    """A task file in TOML front matter."""
    return f'+++\nid = "{task_id}"\ntitle = "{title}"\nstatus = "🟢 In Progress"\n+++\n\n# {title}\n'


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The repository the server serves, with three task worktrees."""
    files: dict[str, str | bytes | None] = {
        "f.txt": NUMBERS,
        "app.py": APP_BEFORE,
        "tasks/a.md": task_file("a", "Rename the second step"),
        "tasks/b.md": task_file("b", "Reword the second step"),
        "tasks/42.md": task_file("42", "Type the greeting"),
    }
    repo = Repo(tmp_path_factory.mktemp("review"), files)
    repo.task("a", {"f.txt": line(2, "two, renamed by a")})
    repo.task("b", {"f.txt": line(2, "two, reworded by b")})
    worktree = repo.task("42", {"app.py": APP_AFTER}, {"logo.png": BINARY})
    (worktree / "notes.txt").write_text("left uncommitted\n")
    return repo


@pytest.fixture(scope="module")
def lab_root(repo: Repo) -> Path:
    """The main checkout."""
    return repo.root


@pytest.fixture(scope="module")
def lab_config() -> str:
    """The app is reachable from the page (to switch themes with JupyterLab's own command)."""
    return "c.LabApp.expose_app_in_browser = True"


def set_theme(page: Any, theme: str) -> None:
    """Switch JupyterLab's theme with its command and wait until the page has it."""
    page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
    light = "true" if theme == "JupyterLab Light" else "false"
    page.locator(f"body[data-jp-theme-light='{light}']").wait_for(state="attached", timeout=15_000)
    page.wait_for_timeout(300)  # the theme's CSS is applied after the attribute


def open_changes(page: Any, task_id: str) -> Any:
    """Click the row's Changes button; the tab once it shows the task's branch."""
    row(page, task_id).locator("button[data-action='changes']").click()
    tab = page.locator(f"#jp-claude-changes-{task_id}")
    tab.locator(".jp-ClaudeChanges-summary").wait_for(timeout=15_000)
    return tab


def test_conflicting_tasks_show_a_warning_badge(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_sidebar(page, lab_server.lab_url())
    warning_a = row(page, "a").locator(".jp-ClaudeSessions-conflict")
    expect(warning_a).to_have_text("⚠ b")
    expect(warning_a).to_have_attribute("title", "Conflicts with task b in f.txt")
    expect(row(page, "b").locator(".jp-ClaudeSessions-conflict")).to_have_attribute(
        "title", "Conflicts with task a in f.txt"
    )
    expect(row(page, "42").locator(".jp-ClaudeSessions-conflict")).to_have_count(0)
    expect(badge(page, "a")).to_have_text("⚫ stopped")
    screenshot(page, "review-conflict-badges")


def test_the_changes_tab(lab_server: LabServer, browser_page: Any, repo: Repo) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_sidebar(page, lab_server.lab_url())
    tab = open_changes(page, "42")
    expect(tab.locator(".jp-ClaudeChanges-summary")).to_contain_text("task/42 → main")
    expect(tab.locator(".jp-ClaudeChanges-summary")).to_contain_text("2 commits ahead, 0 behind")
    expect(tab.locator(".jp-ClaudeChanges-commits li")).to_have_count(2)
    expect(tab.locator(".jp-ClaudeChanges-commits li").first).to_contain_text("42: step 2")
    expect(tab.locator(".jp-ClaudeChanges-uncommitted")).to_contain_text("notes.txt")

    files = tab.locator(".jp-ClaudeChanges-file")
    expect(files).to_have_count(2)
    app = tab.locator(".jp-ClaudeChanges-file[data-path='app.py']")
    expect(app.locator(".jp-ClaudeChanges-added")).to_have_text("+3")
    expect(app.locator(".jp-ClaudeChanges-deleted")).to_have_text("−2")
    # The side-by-side merge view: both versions, the changes marked, Python in colour.
    merge = app.locator(".cm-mergeView")
    expect(merge).to_be_visible(timeout=15_000)
    expect(merge.locator(".cm-editor")).to_have_count(2)
    expect(merge.locator(".cm-editor").nth(0)).to_contain_text('return "hello " + name')
    expect(merge.locator(".cm-editor").nth(1)).to_contain_text('return f"hello {name}"')
    expect(merge.locator(".cm-changedLine").first).to_be_visible()
    keyword = merge.locator(".cm-editor").nth(1).locator(".cm-line span", has_text=re.compile(r"^def$")).first
    expect(keyword).to_be_visible()
    plain = merge.locator(".cm-editor").nth(1).locator(".cm-line").first
    assert keyword.evaluate("n => getComputedStyle(n).color") != plain.evaluate(
        "n => getComputedStyle(n).color"
    ), "the keyword is not coloured"
    # The binary file: named as git names it, never dumped.
    logo = tab.locator(".jp-ClaudeChanges-file[data-path='logo.png']")
    expect(logo.locator(".jp-ClaudeChanges-binary")).to_have_text("binary")
    expect(logo.locator(".jp-ClaudeChanges-patch")).to_contain_text(
        "Binary files /dev/null and b/logo.png differ"
    )
    expect(tab).not_to_contain_text("SECRET-BYTES")
    close_toasts(page)
    screenshot(page, "review-changes-tab")
    docs_screenshot(page, "changes-tab")

    # Unified: each file's patch, added lines green.
    page.locator(".jp-ClaudeChanges-modeButton").click()
    added = app.locator(".jp-ClaudeChanges-patch .jp-mod-added", has_text='return f"hello {name}"')
    expect(added).to_be_visible()
    r, g, b = (int(v) for v in re.findall(r"\d+", added.evaluate("n => getComputedStyle(n).color"))[:3])
    assert g > r and g > b, "added lines are green"
    screenshot(page, "review-changes-unified")
    page.locator(".jp-ClaudeChanges-modeButton").click()
    expect(app.locator(".cm-mergeView")).to_be_visible(timeout=15_000)

    set_theme(page, "JupyterLab Dark")
    close_toasts(page)
    docs_screenshot(page, "changes-tab-dark")
    screenshot(page, "review-changes-tab-dark")
    set_theme(page, "JupyterLab Light")

    # The tab follows the branch: the session's "ahead" count changes (as the built-in workflow's
    # Stop hook records it after a commit) and the tab reads the diff again by itself.
    row(page, "42").locator("button[data-action='run']").click()
    expect(badge(page, "42")).to_have_attribute("data-state", "running", timeout=5_000)
    target = "=claude-42:"
    worktree = json.dumps(str(repo.worktree("42")))
    for option, value in (("@jc_agent", "shell"), ("@jc_branch", "task/42"), ("@jc_worktree", worktree)):
        lab_server.tmux("set-option", "-t", target, option, value)
    lab_server.tmux("set-option", "-t", target, "@jc_ahead", "2")
    repo.commit(repo.worktree("42"), {"notes.txt": "committed now\n"}, "42: notes")
    lab_server.tmux("set-option", "-t", target, "@jc_ahead", "3")
    expect(tab.locator(".jp-ClaudeChanges-commits li")).to_have_count(3, timeout=10_000)
    expect(tab.locator(".jp-ClaudeChanges-uncommitted")).to_have_count(0)
    lab_server.tmux("kill-session", "-t", "=claude-42")


def test_land_from_the_dialog_and_a_refusal(lab_server: LabServer, browser_page: Any, repo: Repo) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_sidebar(page, lab_server.lab_url())
    tab = open_changes(page, "a")
    expect(tab.locator(".jp-ClaudeChanges-conflicts")).to_have_text("⚠ Conflicts with task b in f.txt")
    page.locator("#jp-claude-changes-a .jp-ClaudeChanges-landButton").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Land task a?")
    expect(dialog.locator(".jp-ClaudeLand")).to_contain_text("Land task/a in main: 1 commit(s), 1 file(s).")
    expect(dialog.locator(".jp-ClaudeLand-commits li")).to_have_text([re.compile(r"^[0-9a-f]{8} a: step 1$")])
    expect(dialog.locator(".jp-ClaudeLand-files li")).to_have_text(["M f.txt +1 −1"])
    expect(dialog.locator(".jp-ClaudeLand-conflicts")).to_have_text(
        "⚠ Conflicts with task b in f.txt. Whichever of them lands second will have to resolve that."
    )
    close_toasts(page)
    screenshot(page, "review-land-dialog")
    docs_screenshot(page, "land-dialog")
    set_theme(page, "JupyterLab Dark")
    docs_screenshot(page, "land-dialog-dark")
    set_theme(page, "JupyterLab Light")

    main_before = repo.head("main")
    dialog.locator(".jp-ClaudeLand-cleanup").check()
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(
        page.locator(".Toastify__toast", has_text="Landed task/a in main (merge): 1 commit(s).")
    ).to_be_visible()
    assert repo.git("log", "-1", "--format=%P", "main").split()[0] == main_before
    assert (repo.root / "f.txt").read_text() == line(2, "two, renamed by a")
    assert repo.git("status", "--porcelain") == ""
    assert not repo.worktree("a").exists()
    # Pushed on claude/events: b no longer conflicts with a (gone) but with the base now.
    expect(row(page, "b").locator(".jp-ClaudeSessions-conflict")).to_have_attribute(
        "title", "Conflicts with the base (main) in f.txt", timeout=10_000
    )
    expect(row(page, "a").locator(".jp-ClaudeSessions-conflict")).to_have_count(0)

    # b cannot land now: refused with the reason, nothing changed.
    before = repo.state()
    close_toasts(page)
    tab = open_changes(page, "b")
    page.locator("#jp-claude-changes-b .jp-ClaudeChanges-landButton").click()
    expect(page.locator(".jp-Dialog .jp-ClaudeLand-conflicts")).to_contain_text(
        "Landing is refused while it conflicts with main."
    )
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    refusal = page.locator(".Toastify__toast", has_text="Cannot land b: task/b conflicts with main in f.txt")
    expect(refusal).to_be_visible()
    assert repo.state() == before
    screenshot(page, "review-land-refused")


def test_changes_open_from_the_log_tab_and_the_palette(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    open_sidebar(page, lab_server.lab_url())
    row(page, "b").locator("button[data-action='log']").click()
    log = page.locator("#jp-claude-log-b")
    expect(log).to_be_visible()
    log.locator(".jp-Toolbar .jp-ToolbarButtonComponent", has_text="Changes of b").click()
    expect(page.locator("#jp-claude-changes-b .jp-ClaudeChanges-summary")).to_contain_text("task/b → main")

    palette_command(page, "Claude: Show changes")
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("42")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(page.locator("#jp-claude-changes-42 .jp-ClaudeChanges-summary")).to_contain_text("task/42 → main")
    expect(page.locator("#jp-claude-changes-42")).to_be_visible()
