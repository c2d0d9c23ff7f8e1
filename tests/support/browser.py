"""Browser test harness: a real ``jupyter lab`` server and headless Chromium driven by Playwright.

Use it from a test module by importing the fixtures it needs (plain pytest fixtures: every one a
test uses, directly or through another fixture, must be imported; a module that defines its own
``lab_root`` or ``lab_config`` imports the others only)::

    from tests.browser import browser_page, lab_config, lab_root, lab_server
    from tests.browser import open_notebook, run_cell, screenshot

    def test_something(lab_server, browser_page):
        open_notebook(browser_page, lab_server, "demo.ipynb")
        run_cell(browser_page, "TaskTable()")
        screenshot(browser_page, "after-run")

Fixtures
--------
``lab_root`` (module scope)
    The folder Lab serves (also the kernels' working directory). Default: a copy of
    ``notebooks/demo.ipynb`` and ``notebooks/tasks/``. Override it in a test module to serve
    other files (build on :func:`copy_demo`).
``lab_config`` (module scope)
    Extra lines for the server's ``jupyter_server_config.py`` (default none). The file already sets
    ``ClaudeSessions.command`` to :data:`HARMLESS_COMMAND`, ``headless = True`` and a private
    ``log_dir``; kernels read the same file, so notebooks and the server agree.
``lab_server`` (module scope)
    A running :class:`LabServer`: ``--allow-root``, a random token, 127.0.0.1 and a free port, the
    news popup disabled through an ``overrides.json``, Jupyter config/data/runtime/settings/workspace
    folders of its own, ``JUPYTER_CLAUDE_TMUX_SOCKET`` set to a private tmux socket (``.tmux(...)``
    runs tmux on it), no ``DISPLAY`` (no GUI terminal ever opens). The server log is saved next to
    the screenshots. At teardown the server, the kernels it started and the private tmux server are
    ended by PID; nothing else is touched.
``browser_page`` (function scope)
    A Playwright ``Page`` in Debian's Chromium (``/usr/bin/chromium``, or ``$JUPYTER_CLAUDE_CHROMIUM``)
    with a fresh profile. Its console errors and dialogs are collected in ``page.jc_console_errors``
    and ``page.jc_dialogs``; a screenshot named after the test is saved at teardown.

Helpers
-------
``open_notebook(page, server, path)`` opens a notebook and waits for its kernel; it also answers
Lab's "Select Kernel" dialog, which a busy machine sometimes shows even with kernelspec metadata
(:func:`accept_kernel_dialog`). ``run_cell(page, text)`` runs the first code cell containing
``text`` (re-running it when the first Shift+Enter is lost right after the notebook opens).
``screenshot(page, name)`` saves a PNG; ``docs_screenshot(page, name)`` also writes one to
``docs/screenshots/`` for the README when ``JUPYTER_CLAUDE_SCREENSHOTS=1``. ``open_sidebar(page, url)``
shows the Claude Sessions panel once its events socket is open, ``sidebar_row(page, id)`` is a task's
row, ``close_toasts(page, keep=...)`` closes notification toasts, ``run_lab_command(page, id, args)``
runs a JupyterLab command (the server must expose the app: ``LabServer(expose_app=True)``) and
``set_theme(page, name)`` switches JupyterLab's theme. ``LabServer`` can also be used without pytest:
``LabServer(root=..., home=...).start()`` ... ``.stop()``; ``env={"PATH": path_without("tmux",
folder)}`` gives it a PATH without tmux, ``app_module="notebook", app_class="JupyterNotebookApp"``
starts Notebook 7 instead of Lab, ``tmux_socket=...`` puts its sessions on a given private socket (e.g.
the ``real_claude`` fixture's) and ``expose_app=True`` makes ``window.jupyterapp`` available.

Artifacts (screenshots, server logs) go to ``test-artifacts/`` at the repository root (gitignored),
or ``$JUPYTER_CLAUDE_TEST_ARTIFACTS``. Tests fail (never skip) when Playwright or Chromium is missing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .data import REPO
from .processes import Processes, descendants, end

REPO = REPO
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = Path(os.environ.get("JUPYTER_CLAUDE_TEST_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM = os.environ.get("JUPYTER_CLAUDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: What sessions run under the harness: prints, then waits like an agent would.
HARMLESS_COMMAND = [
    sys.executable,
    "-c",
    "import time; print('working on task {id}', flush=True); time.sleep(600)",
]
#: Variables the server must not inherit: an outer tmux, a nested-Claude marker, a display to open
#: terminals on, a terminal choice.
SCRUBBED = ("TMUX", "TMUX_PANE", "CLAUDECODE", "DISPLAY", "WAYLAND_DISPLAY", "JUPYTER_CLAUDE_TERMINAL")
#: Disables the "Jupyter news" popup and the update check, which cover the page otherwise.
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
#: Where README screenshots go (``docs_screenshot``, with JUPYTER_CLAUDE_SCREENSHOTS=1).
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
#: The viewport of README screenshots.
VIEWPORT = {"width": 1280, "height": 800}


def artifact_path(name: str) -> Path:
    """A file under the artifacts folder (created, and kept out of git by its own .gitignore)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def path_without(program: str, shim: Path) -> str:
    """This process's ``PATH`` with ``program`` taken out (for a server that must not find it).

    Every folder that holds ``program`` is replaced by a folder under ``shim`` with links to all of
    its other entries, so the rest (python, git, sh, ...) is still found.
    """
    folders = []
    for index, folder in enumerate(os.environ.get("PATH", os.defpath).split(os.pathsep)):
        if folder and (Path(folder) / program).exists():
            copy = shim / f"{index}"
            copy.mkdir(parents=True, exist_ok=True)
            for entry in Path(folder).iterdir():
                if entry.name != program and not (copy / entry.name).exists():
                    (copy / entry.name).symlink_to(entry)
            folder = str(copy)
        folders.append(folder)
    return os.pathsep.join(folders)


def copy_demo(root: Path) -> Path:
    """Copy the demo notebook and its task folder into ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(NOTEBOOKS / "demo.ipynb", root / "demo.ipynb")
    shutil.copytree(NOTEBOOKS / "tasks", root / "tasks", dirs_exist_ok=True)
    for path in (root / "tasks").iterdir():
        path.chmod(0o644)
    return root


@dataclass
class LabServer:
    """A ``jupyter lab`` subprocess with its own folders, token, port and tmux socket.

    ``env`` overrides variables of the server's environment (e.g. a ``PATH`` without tmux);
    ``app_module``/``app_class`` start another Jupyter front end, e.g. ``"notebook"`` /
    ``"JupyterNotebookApp"`` for Notebook 7.
    """

    root: Path
    home: Path
    extra_config: str = ""
    env: dict[str, str] = field(default_factory=dict)
    app_module: str = "jupyterlab"
    app_class: str = "LabApp"
    #: Expose the application as ``window.jupyterapp`` (to run commands from a test).
    expose_app: bool = False
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    tmux_socket: str = field(default_factory=lambda: f"jc-lab-{uuid.uuid4().hex[:10]}")
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None
    _descendants: Processes = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://127.0.0.1:{self.port}/"

    def lab_url(self, path: str = "") -> str:
        """A Lab page with the token and a reset workspace, e.g. ``lab_url("tree/demo.ipynb")``."""
        return f"{self.base_url}lab/{path}?token={self.token}&reset"

    def environment(self) -> dict[str, str]:
        """The server's environment (kernels inherit it)."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTER_CLAUDE_TMUX_SOCKET=self.tmux_socket,
            XDG_CACHE_HOME=str(self.home / "cache"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        return env

    def write_config(self) -> None:
        """Config the server and its kernels read, and the settings overrides."""
        for name in ("config", "data", "runtime", "settings", "user-settings", "workspaces", "cache"):
            (self.home / name).mkdir(parents=True, exist_ok=True)
        lines = [
            f"c.ClaudeSessions.command = {HARMLESS_COMMAND!r}",
            "c.ClaudeSessions.headless = True",
            f"c.ClaudeSessions.log_dir = {str(self.home / 'logs')!r}",
            self.extra_config,
        ]
        (self.home / "config" / "jupyter_server_config.py").write_text("\n".join(lines) + "\n")
        (self.home / "settings" / "overrides.json").write_text(json.dumps(OVERRIDES))

    def start(self, timeout: float = 90) -> LabServer:
        """Start the server and wait until its API answers."""
        self.write_config()
        self.log_file = artifact_path(f"lab-server-{self.port}.log")
        argv = [
            sys.executable,
            "-m",
            self.app_module,
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--{self.app_class}.app_settings_dir={self.home / 'settings'}",
            f"--{self.app_class}.user_settings_dir={self.home / 'user-settings'}",
            f"--{self.app_class}.workspaces_dir={self.home / 'workspaces'}",
        ]
        if self.expose_app:
            argv.append(f"--{self.app_class}.expose_app_in_browser=True")
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=self.root,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                request = urllib.request.Request(
                    self.base_url + "api/status", headers={"Authorization": f"token {self.token}"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log."""
        if self.log_file is None or not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run tmux on the server's private socket."""
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        return subprocess.run(
            ["tmux", "-L", self.tmux_socket, *args], capture_output=True, text=True, env=env, check=False
        )

    def remember_descendants(self) -> None:
        """Note the PIDs of the processes the server started (kernels), to end them at teardown."""
        if self.process is not None:
            self._descendants.update(descendants(self.process.pid))

    def stop(self) -> None:
        """End the server, then any process it started that outlived it, then the private tmux server."""
        if self.process is not None:
            self.remember_descendants()
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            end(self._descendants)
            self.process = None
        if shutil.which("tmux"):
            self.tmux("kill-server")
        socket_dir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (socket_dir / self.tmux_socket).unlink(missing_ok=True)


# -- fixtures ------------------------------------------------------------------------------------


def _require_browser() -> Any:
    # Never skipped: scripts/test.sh installs all of these, and a missing one is a failure.
    import playwright.sync_api

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    assert shutil.which("tmux"), "tmux is not installed: apt-get install tmux"
    return playwright.sync_api


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder Lab serves: the demo notebook and demo tasks (override to serve other files)."""
    return copy_demo(tmp_path_factory.mktemp("lab-root"))


@pytest.fixture(scope="module")
def lab_config() -> str:
    """Extra lines for the server's jupyter_server_config.py."""
    return ""


@pytest.fixture(scope="module")
def lab_server(
    lab_root: Path, lab_config: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """A running JupyterLab on 127.0.0.1 with a private tmux socket; ended by PID at teardown."""
    _require_browser()
    server = LabServer(root=lab_root, home=tmp_path_factory.mktemp("lab-home"), extra_config=lab_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser_page(request: pytest.FixtureRequest, lab_server: LabServer, tmp_path: Path) -> Iterator[Any]:
    """A Chromium page with a fresh profile; a screenshot named after the test is saved at the end."""
    playwright_api = _require_browser()
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(30_000)
        page.jc_console_errors = []
        page.jc_dialogs = []
        page.on("console", lambda msg: msg.type == "error" and page.jc_console_errors.append(msg.text))

        def on_dialog(dialog: Any) -> None:
            page.jc_dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        try:
            yield page
        finally:
            try:
                screenshot(page, f"{request.node.name}-end")
            except Exception:  # the page may be gone already; the test's own result matters
                pass
            lab_server.remember_descendants()
            context.close()


# -- page helpers --------------------------------------------------------------------------------


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under the artifacts folder; returns its path."""
    path = artifact_path(f"{name}.png")
    page.screenshot(path=str(path), full_page=True)
    return path


def accept_kernel_dialog(page: Any) -> None:
    """Answer Lab's "Select Kernel" dialog with its default whenever it shows up on this page.

    Lab asks when the notebook opens before its kernel specs have loaded (a race seen on a busy
    machine even with kernelspec metadata); the dialog would block every click.
    """
    if getattr(page, "jc_kernel_dialog_handled", False):
        return
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    page.add_locator_handler(dialog, lambda found: found.get_by_role("button", name="Select").click())
    page.jc_kernel_dialog_handled = True


def open_notebook(page: Any, server: LabServer, path: str, timeout: float = 60_000) -> None:
    """Open a notebook in Lab and wait until its kernel is idle."""
    accept_kernel_dialog(page)
    page.goto(server.lab_url(f"tree/{path}"))
    page.locator(".jp-Notebook").first.wait_for(timeout=timeout)
    wait_kernel_idle(page, timeout)


def wait_kernel_idle(page: Any, timeout: float = 60_000) -> None:
    """Wait until the open notebook's kernel reports idle."""
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=timeout)


def run_cell(page: Any, source_contains: str, timeout: float = 60_000) -> Any:
    """Run the first code cell whose source contains ``source_contains``; returns the cell locator.

    The cell is clicked and run with Shift+Enter; if it does not start (the kernel was not connected
    yet, a dialog took the key: common right after the notebook opens), it is run again, up to five
    times, five seconds apart.
    """
    cell = page.locator(".jp-CodeCell", has_text=source_contains).first
    prompt = cell.locator(".jp-InputPrompt")
    for attempt in range(5):
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").click()
        page.locator(".jp-CodeCell.jp-mod-active", has_text=source_contains).wait_for(timeout=10_000)
        page.keyboard.press("Shift+Enter")
        try:
            prompt.filter(has_text=re.compile(r"\[(\*|\d+)\]")).wait_for(timeout=5_000)
            break
        except Exception:
            if attempt == 4:
                raise
    prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=timeout)
    return cell


def docs_screenshot(page: Any, name: str, element: Any = None) -> None:
    """A viewport (or ``element``) screenshot for the README, when JUPYTER_CLAUDE_SCREENSHOTS=1."""
    if os.environ.get("JUPYTER_CLAUDE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (element or page).screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))


def open_sidebar(page: Any, url: str, width: int = 400) -> Any:
    """Load Lab at ``url``, show the Claude Sessions panel ``width`` pixels wide; returns the panel.

    It returns once the panel's events socket is open (its snapshot in) or a banner says why not.
    """
    page.set_viewport_size(VIEWPORT)
    page.goto(url)
    page.locator("#jp-main-dock-panel, #main-panel").first.wait_for(timeout=60_000)
    tab = page.locator(".lm-TabBar-tab[data-id='jp-claude-sessions']")
    try:
        tab.wait_for(timeout=15_000)
    except Exception:
        pytest.fail(
            "the jupyter-claude lab extension is not loaded (`jupyter labextension list` should show "
            "jupyter-claude): run `pip install -e .` again, or `jupyter labextension develop --overwrite .`"
        )
    panel = page.locator("#jp-claude-sessions")
    if not panel.is_visible():
        tab.click()
    panel.wait_for(state="visible")
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:visible").first
    box = handle.bounding_box()
    if box:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(width, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    ready = (
        ".jp-ClaudeSessions-connection[data-connection='open'],"
        " .jp-ClaudeSessions-banner[data-kind]:not([data-kind=''])"
    )
    panel.locator(ready).first.wait_for(state="attached", timeout=15_000)
    return panel


def sidebar_row(page: Any, task_id: str) -> Any:
    """The sidebar row of a task."""
    return page.locator(f"#jp-claude-sessions .jp-ClaudeSessions-row[data-task-id='{task_id}']")


def close_toasts(page: Any, keep: str | None = None, quiet: float = 0.5, timeout: float = 15) -> None:
    """Close notification toasts (but those containing ``keep``) until none came for ``quiet`` s."""
    toasts = page.locator(".Toastify__toast")
    if keep is not None:
        toasts = toasts.filter(has_not_text=keep)
    deadline = time.monotonic() + timeout
    calm_since = time.monotonic()
    while time.monotonic() - calm_since < quiet:
        assert time.monotonic() < deadline, f"toasts still open after {timeout} s: {toasts.all_inner_texts()}"
        if toasts.count():
            for button in toasts.locator(".jp-Notification-Toast-Close").all():
                try:
                    button.click(timeout=500)
                except Exception:  # it may close by itself meanwhile
                    pass
            calm_since = time.monotonic()
        page.wait_for_timeout(100)


def run_lab_command(page: Any, command: str, args: dict[str, Any] | None = None) -> Any:
    """Run a JupyterLab command in the page (needs ``LabServer(expose_app=True)``)."""
    page.wait_for_function("() => window.jupyterapp !== undefined")
    return page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)", [command, args or {}]
    )


def palette_command(page: Any, label: str) -> None:
    """Run the command palette's item ``label`` as a person does: open the palette, type, click.

    JupyterLab opens its Launcher once the layout is restored (when the main area is empty) and the
    Launcher takes the focus, which closes the palette; measured here, 0.2 s after the palette
    opened, at a moment that moves with the machine's load. So the whole sequence is tried again
    when the palette closes under it.
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        try:
            page.keyboard.press("Control+Shift+C")
            search = page.locator(".lm-CommandPalette-input:visible")
            search.wait_for(timeout=5_000)
            search.fill(label)
            page.locator(".lm-CommandPalette-item:visible", has_text=label).first.click(timeout=5_000)
            return
        except PlaywrightError:
            if attempt == 2:
                raise


def set_theme(page: Any, theme: str) -> None:
    """Switch JupyterLab's theme ("JupyterLab Light", "JupyterLab Dark") and wait until it applies."""
    run_lab_command(page, "apputils:change-theme", {"theme": theme})
    page.locator(f"body[data-jp-theme-name='{theme}']").wait_for(state="attached")
    # Lab covers the page with its splash while the theme loads, and fades it out after.
    page.locator("#jupyterlab-splash").wait_for(state="detached")
    page.wait_for_timeout(300)  # the views that read the theme's colours do so on the next frames
