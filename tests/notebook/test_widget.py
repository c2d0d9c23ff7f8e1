"""TaskTable against real tmux sessions on a private socket (widgets build outside a kernel)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.tmux import TmuxServer
from jupyter_claude.notebook.refresher import REFRESHER
from jupyter_claude.notebook.table import TaskTable

from ..support.data import SLEEPER

XSS = "<img src=x onerror=alert(1)>"


def write_task(
    root: Path, task_id: str, title: str, status: str = "🟡 To Do", priority: str = "▶️ Medium"
) -> None:
    """A TOML-front-matter task file under root/tasks."""
    (root / "tasks" / f"{task_id}.md").write_text(
        f'+++\nid = "{task_id}"\ntitle = {title!r}\nstatus = "{status}"\n'
        f'priority = "{priority}"\n+++\n\nbody\n',
        encoding="utf-8",
    )


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` until it holds or the deadline passes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def sessions(manager: ClaudeSessions) -> ClaudeSessions:
    """The private-socket manager, never opening a GUI terminal."""
    manager.headless = True
    return manager


@pytest.fixture
def make_table(sessions: ClaudeSessions) -> Iterator[Callable[..., TaskTable]]:
    """Build TaskTables that are closed after the test (so the shared refresher stops)."""
    tables: list[TaskTable] = []

    def make(**kwargs: Any) -> TaskTable:
        kwargs.setdefault("sessions", sessions)
        table = TaskTable(**kwargs)
        tables.append(table)
        return table

    yield make
    for table in tables:
        table.close()
    assert REFRESHER.wait_stopped(), "the refresher thread kept running after every table closed"


def test_rows_show_tasks_and_sessions_without_task_file(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    write_task(task_root, "1", "First", status="🟢 In Progress", priority="🔼 High")
    write_task(task_root, "2", "Second")
    sessions.start("orphan")
    table = make_table()
    assert [row.task_id for row in table.rows] == ["1", "2", "orphan"]
    first = table.row("1")
    assert first is not None
    assert (first.title, first.task_status, first.priority, first.badge) == (
        "First",
        "🟢 In Progress",
        "🔼 High",
        "⚫ stopped",
    )
    orphan = table.row("orphan")
    assert orphan is not None and orphan.badge == "🟢 running" and orphan.title == "orphan"
    assert "First" in first.cells.value and "🔼 High" in first.cells.value


def test_run_and_stop_buttons_start_and_stop_real_sessions(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable], tmux: Any
) -> None:
    write_task(task_root, "42", "Speed up the report")
    table = make_table()
    row = table.row("42")
    assert row is not None
    assert not row.run_button.disabled
    assert row.stop_button.disabled and row.attach_button.disabled and row.log_button.disabled

    row.run_button.click()
    assert tmux("has-session", "-t", "=claude-42").returncode == 0
    assert row.badge == "🟢 running" and row.state == "running"
    assert row.run_button.disabled and not row.stop_button.disabled and not row.attach_button.disabled
    assert not row.log_button.disabled
    # Run also tried to open a terminal: headless here, so it says how to attach by hand.
    assert "started in" in row.message and "attach by hand" in row.message and not row.message_is_error

    row.stop_button.click()
    assert tmux("has-session", "-t", "=claude-42").returncode != 0
    assert row.badge == "⚫ stopped" and row.message == "stopped"
    assert not row.run_button.disabled and row.stop_button.disabled
    assert not row.log_button.disabled, "the log outlives the session"


def test_badge_follows_external_changes_within_the_tick(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable], tmux: Any
) -> None:
    write_task(task_root, "42", "Speed up the report")
    table = make_table()
    row = table.row("42")
    assert row is not None and row.badge == "⚫ stopped"
    sessions.start("42")  # as the CLI or another notebook would
    assert wait_for(lambda: row.badge == "🟢 running", 1.5), row.badge
    assert tmux("kill-session", "-t", "=claude-42").returncode == 0
    assert wait_for(lambda: row.badge == "⚫ stopped", 1.5), row.badge
    assert not row.run_button.disabled


def test_exited_session_shows_its_code_and_can_be_run_again(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    write_task(task_root, "7", "Exits")
    sessions.command = [sys.executable, "-c", "import sys; sys.exit(3)"]
    table = make_table(open_terminal=False)
    row = table.row("7")
    assert row is not None
    row.run_button.click()
    assert wait_for(lambda: row.badge == "🔴 exited (3)", 3), (row.badge, REFRESHER.running, table.banner)
    assert not row.run_button.disabled and not row.stop_button.disabled
    sessions.command = SLEEPER
    row.run_button.click()
    assert row.badge == "🟢 running"
    assert "started in" in row.message  # respawned in place


def test_titles_and_pane_text_are_escaped(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    write_task(task_root, "x1", XSS, status=XSS, priority="<b>high</b>")
    sessions.command = [sys.executable, "-c", f"print({XSS!r}, flush=True); import time; time.sleep(60)"]
    table = make_table(open_terminal=False)
    row = table.row("x1")
    assert row is not None
    assert "<img" not in row.cells.value and "<b>high" not in row.cells.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in row.cells.value
    row.run_button.click()
    row.log_button.click()
    assert table.log_task == "x1"
    assert wait_for(lambda: "onerror" in table.log_html.value, 3), table.log_html.value
    assert "<img" not in table.log_html.value and "&lt;img" in table.log_html.value


def test_errors_show_inline_in_the_row(
    task_root: Path,
    sessions: ClaudeSessions,
    make_table: Callable[..., TaskTable],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (task_root / "tasks" / "bad.md").write_text('+++\nid = "../etc"\ntitle = "Bad"\n+++\n', encoding="utf-8")
    write_task(task_root, "ok", "Fine")
    write_task(task_root, "agent", "Missing agent")
    table = make_table(open_terminal=False)

    bad = table.row("../etc")
    assert bad is not None and bad.badge == "✖ invalid id" and bad.message_is_error
    assert "invalid task id" in bad.message
    assert all(button.disabled for button in bad.buttons.values())
    table.run("../etc")  # even called directly, it is refused and shown, not raised
    assert "invalid task id" in bad.message and bad.message_is_error

    # A setting the core refuses: the row says why.
    sessions.command = ["A=1", "{id}"]
    ok = table.row("ok")
    assert ok is not None
    ok.run_button.click()
    assert ok.message_is_error and "may not contain '='" in ok.message and ok.badge == "⚫ stopped"

    # An agent that is not installed: the session starts, exits 127, and the log says why.
    sessions.command = ["/nonexistent/agent", "{id}"]
    agent = table.row("agent")
    assert agent is not None
    agent.run_button.click()
    assert wait_for(lambda: agent.badge == "🔴 exited (127)", 3), agent.badge
    agent.log_button.click()
    assert wait_for(lambda: "nonexistent" in table.log_html.value, 3), table.log_html.value

    # tmux missing: the click says so in the row, the next refresh says so in the banner.
    # (PATH is restored before teardown, which needs tmux to end the private server.)
    with monkeypatch.context() as patched:
        patched.setenv("PATH", str(task_root / "no-such-bin"))
        ok.run_button.click()
        assert ok.message_is_error and "tmux is not installed" in ok.message
        table.refresh()
        assert "tmux is not installed" in table.banner


def test_attach_button_reports_how_to_attach(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable], tmux_socket: str
) -> None:
    write_task(task_root, "42", "Report")
    sessions.start("42")
    table = make_table()
    row = table.row("42")
    assert row is not None and not row.attach_button.disabled
    row.attach_button.click()
    assert "no terminal opened: headless mode" in row.message
    assert f"tmux -L {tmux_socket} attach-session -t =claude-42" in row.message


def test_one_refresher_thread_and_one_tmux_call_per_tick(
    task_root: Path,
    sessions: ClaudeSessions,
    make_table: Callable[..., TaskTable],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number in range(30):
        write_task(task_root, str(number), f"Task {number}")
    for number in range(5):
        sessions.start(str(number))
    first, second = make_table(), make_table(page_size=0)
    assert REFRESHER.running and set(REFRESHER.tables) >= {first, second}
    assert [t.name for t in threading.enumerate()].count("jupyter-claude-refresher") == 1

    main = threading.current_thread()
    calls: list[tuple[str, ...]] = []
    original = TmuxServer.run

    def counting_run(self: TmuxServer, *commands: Any, **kwargs: Any) -> str:
        if threading.current_thread() is main:
            calls.append(tuple(commands[0]))
        return original(self, *commands, **kwargs)

    monkeypatch.setattr(TmuxServer, "run", counting_run)
    REFRESHER.tick([first, second])
    assert len(calls) == 1, calls  # one tmux call for two tables and 35 rows
    ticks = REFRESHER.ticks
    assert wait_for(lambda: REFRESHER.ticks >= ticks + 2, 3), "the background refresher is not ticking"

    first.close()
    assert REFRESHER.running  # the second table still needs it
    second.close()
    assert REFRESHER.wait_stopped() and not REFRESHER.tables


def test_filter_by_task_status_and_session_state_and_sort(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    write_task(task_root, "10", "Banana", status="🟡 To Do", priority="🔽 Low")
    write_task(task_root, "9", "apple", status="🟢 In Progress", priority="🔼 High")
    write_task(task_root, "100", "Cherry", status="🟡 To Do", priority="▶️ Medium")
    sessions.start("100")
    table = make_table()
    assert table.visible_ids == ["9", "10", "100"]  # natural order of ids

    options = [value for _, value in table.status_dropdown.options]
    assert options == ["", "🟡 To Do", "🟢 In Progress"]
    table.status_dropdown.value = "🟡 To Do"
    assert table.status_filter == "🟡 To Do" and [row.task_id for row in table.rows] == ["10", "100"]
    table.state_dropdown.value = "live"
    assert [row.task_id for row in table.rows] == ["100"]
    table.state_dropdown.value = "stopped"
    assert [row.task_id for row in table.rows] == ["10"]
    table.status_filter = table.state_filter = ""

    table.header_buttons["title"].click()
    assert table.visible_ids == ["9", "10", "100"] and table.header_buttons["title"].description == "Title ▲"
    table.header_buttons["title"].click()
    assert table.visible_ids == ["100", "10", "9"] and table.header_buttons["title"].description == "Title ▼"
    table.sort("priority")
    assert table.visible_ids == ["9", "100", "10"]
    table.sort("session")
    assert table.visible_ids[0] == "100"


def test_500_tasks_are_paginated_and_refresh_only_changed_rows(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable], tmux: Any
) -> None:
    for number in range(500):
        write_task(task_root, f"t{number:03d}", f"Task {number}")
    table = make_table(page_size=50)
    assert len(table.items) == 500 and len(table.rows) == 50
    assert table.pager.layout.display == "flex" and "page 1 of 10" in table.page_label.value
    table.next_button.click()
    assert table.rows[0].task_id == "t050" and table.previous_button.disabled is False
    table.page = 9
    assert table.rows[-1].task_id == "t499" and table.next_button.disabled

    # A tick with nothing new touches no row; a new session rebinds only its own row.
    values = [row.cells.value for row in table.rows]
    table.refresh()
    assert [row.cells.value for row in table.rows] == values
    sessions.start("t499")
    table.refresh()
    changed = [row.task_id for row, before in zip(table.rows, values) if row.cells.value != before]
    assert changed == ["t499"]
    assert table.row("t499") is not None and table.row("t499").badge == "🟢 running"  # type: ignore[union-attr]


def test_log_viewer_refreshes_while_open_and_closes(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    write_task(task_root, "42", "Report")
    sessions.command = [
        sys.executable,
        "-c",
        "import time\nfor i in range(100):\n    print('line', i, flush=True); time.sleep(0.2)\n"
        "time.sleep(60)",
    ]
    table = make_table(open_terminal=False)
    table.run("42")
    table.show_log("42")
    assert table.log_panel.layout.display == "flex" and "Log of 42" in table.log_title.value
    assert wait_for(lambda: "line 1\n" in table.log_html.value, 3), table.log_html.value
    assert wait_for(lambda: "line 6" in table.log_html.value, 3), "the open log did not refresh"
    table.log_close_button.click()
    assert table.log_task == "" and table.log_panel.layout.display == "none" and table.log_html.value == ""


def test_no_tasks_and_no_sessions_says_so(
    sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    table = make_table()
    assert table.rows == [] and "No tasks" in table.banner


def test_close_stops_refreshing(
    task_root: Path, sessions: ClaudeSessions, make_table: Callable[..., TaskTable]
) -> None:
    write_task(task_root, "42", "Report")
    table = make_table()
    row = table.row("42")
    table.close()
    assert REFRESHER.wait_stopped()
    sessions.start("42")
    table.refresh()  # a closed table ignores refreshes
    assert row is not None and row.badge == "⚫ stopped"


def test_table_from_default_manager_reads_cwd(
    task_root: Path, tmux_socket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_task(task_root, "42", "Report")
    monkeypatch.chdir(task_root)
    monkeypatch.setenv("JUPYTER_CLAUDE_TMUX_SOCKET", tmux_socket)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "no-config"))
    from jupyter_claude import TaskTable as Exported

    table = Exported()
    try:
        assert [row.task_id for row in table.rows] == ["42"]
        assert isinstance(table.sessions, ClaudeSessions) and table.sessions.tmux.socket == tmux_socket
    finally:
        table.close()
    assert REFRESHER.wait_stopped()


def test_custom_config_manager(task_root: Path, tmux_socket: str) -> None:
    manager = ClaudeSessions(
        config=Config(), tmux_socket=tmux_socket, root_dir=str(task_root), session_prefix="x-"
    )
    table = TaskTable(manager)
    try:
        assert table.server_key() == (("-L", tmux_socket), "x-")
    finally:
        table.close()


def test_failures_outside_the_action_are_shown_not_raised(
    task_root: Path,
    sessions: ClaudeSessions,
    make_table: Callable[..., TaskTable],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jupyter_claude.core.errors import TmuxError

    write_task(task_root, "42", "Report")
    table = make_table()

    def no_terminal(*args: Any, **kwargs: Any) -> Any:
        raise TmuxError("cannot list clients")

    monkeypatch.setattr(sessions, "attach", no_terminal)
    row = table.row("42")
    assert row is not None
    row.run_button.click()  # the session starts; only the terminal fails
    assert row.badge == "🟢 running" and row.message_is_error
    assert "could not open a terminal: cannot list clients" in row.message

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("<boom>")

    monkeypatch.setattr(table, "refresh_from", broken)
    REFRESHER.tick([table])
    assert "refreshing failed: RuntimeError: &lt;boom&gt;" in table.banner_html.value
