"""Desktop notifications (opt-in, issue #14) in a real JupyterLab driven by Chromium.

Turned on in JupyterLab's Settings Editor, the browser is asked for its permission once (and a
refusal is said in a notification); with the permission, while the JupyterLab tab is in the
background, a task that changes state also shows the browser's own notification, and clicking it
opens the task's log. While the tab is in front, JupyterLab's own notification is enough.

Chromium never puts a tab in the background here: `document.visibilityState` stays "visible"
after another tab is brought to the front, headless and headed under Xvfb alike. So the page's
`document.hidden` is made switchable by an init script (with the `visibilitychange` event), and
`window.Notification` is watched: the real constructor runs, and each notification is kept so
that the test can click it as the desktop would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from ..support.browser import (
    LabServer,
    _require_browser,
    browser_page,
    close_toasts,
    copy_demo,
    open_sidebar,
    run_lab_command,
    sidebar_row,
)
from ..support.data import wait_for

__all__ = ["browser_page"]  # the harness's fixture, used below (it runs on this module's lab_server)

EXITS = ["sh", "-c", "sleep 0.5; exit 3"]
EXITED = "Task add-csv-export 🔴 exited (3)"

WATCH = """(() => {
    window.jcHidden = false;
    const hidden = { configurable: true, get: () => window.jcHidden };
    Object.defineProperty(Document.prototype, 'hidden', hidden);
    Object.defineProperty(Document.prototype, 'visibilityState', {
        configurable: true, get: () => (window.jcHidden ? 'hidden' : 'visible')
    });
    window.jcBackground = on => {
        window.jcHidden = on;
        document.dispatchEvent(new Event('visibilitychange'));
    };
    const Real = window.Notification;
    window.jcDesktop = [];
    window.jcAsked = 0;
    class Desktop extends Real {
        constructor(title, options) {
            super(title, options);
            window.jcDesktop.push(this);
        }
        static get permission() { return Real.permission; }
        static requestPermission(...args) {
            window.jcAsked += 1;
            return Real.requestPermission(...args);
        }
    }
    window.Notification = Desktop;
})();"""


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The harness's JupyterLab on the demo tasks, with ``window.jupyterapp`` (to run commands);
    sessions run a command that exits with 3 half a second after it starts."""
    _require_browser()
    root = copy_demo(tmp_path_factory.mktemp("lab-root"))
    config = f"c.ClaudeSessions.command = {EXITS!r}"
    server = LabServer(
        root=root, home=tmp_path_factory.mktemp("lab-home"), extra_config=config, expose_app=True
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def desktop(page: Any) -> list[dict[str, str]]:
    """The browser notifications shown so far: title, body, tag."""
    return page.evaluate(  # type: ignore[no-any-return]
        "() => window.jcDesktop.map(n => ({title: n.title, body: n.body, tag: n.tag}))"
    )


def test_desktop_notifications_in_the_background(lab_server: LabServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    page.add_init_script(WATCH)
    open_sidebar(page, lab_server.lab_url())
    assert page.evaluate("() => Notification.permission") == "default"

    # Opted in through the Settings Editor: the browser is asked once; it refuses (nobody granted).
    run_lab_command(page, "settingeditor:open", {"query": "Claude Sessions"})
    checkbox = page.locator("input[type='checkbox'][id$='desktopNotifications']")
    checkbox.check()
    wait_for(lambda: page.evaluate("() => window.jcAsked") == 1, timeout=10)
    expect(page.locator(".Toastify__toast", has_text="blocks notifications")).to_be_visible()
    close_toasts(page)

    # Granted in the browser's site settings; the tab in front: JupyterLab's notification only.
    url = urlsplit(lab_server.base_url)
    page.context.grant_permissions(["notifications"], origin=f"{url.scheme}://{url.netloc}")
    assert page.evaluate("() => Notification.permission") == "granted"
    sidebar_row(page, "add-csv-export").locator("button[data-action='run']").click()
    expect(page.locator(".Toastify__toast", has_text=EXITED)).to_be_visible()
    assert desktop(page) == []
    close_toasts(page)

    # The tab in the background: the browser's own notification too, one per change.
    page.evaluate("() => window.jcBackground(true)")
    sidebar_row(page, "add-csv-export").locator("button[data-action='run']").click()
    wait_for(lambda: desktop(page), timeout=10)
    [shown] = desktop(page)
    assert shown["title"] == "Claude Sessions" and shown["tag"] == "jupyter-claude-add-csv-export"
    assert shown["body"] == EXITED
    page.wait_for_timeout(1500)
    assert len(desktop(page)) == 1
    # Clicking it opens the task's log.
    page.evaluate("() => window.jcBackground(false)")
    page.evaluate("() => window.jcDesktop[0].onclick()")
    expect(page.locator("#jp-claude-log-add-csv-export")).to_be_visible()
