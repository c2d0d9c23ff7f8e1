"""The ``jupyter claude`` CLI through subprocess: every command, ``--json`` shapes, exit codes, bad ids."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import Session

from .conftest import Run

SESSION_KEYS = set(Session(id="x", name="claude-x").to_json())
TERMINAL_KEYS = {"launched", "focused", "terminal", "attach_command", "reason"}
BAD_IDS = ["../etc", "a.b", "a:b", "#(touch pwned)", "$1", "claude-4*", "x" * 65, "ü"]


def test_start_status_list_stop_text(cli: Run, tmux: Any, task_root: Path, tmux_socket: str) -> None:
    started = cli("start", "42")
    lines = started.stdout.splitlines()
    assert lines[0] == f"🟢 running  claude-42 started in {task_root}"
    assert lines[1].startswith("no terminal opened: headless mode")
    assert lines[2] == f"attach by hand: tmux -L {tmux_socket} attach-session -t =claude-42"
    assert tmux("has-session", "-t", "=claude-42").returncode == 0
    assert "re-used" in cli("start", "42").stdout

    status = cli("status", "42").stdout.splitlines()
    assert status[0].split() == ["ID", "STATE", "ATTACHED", "STARTED", "COMMAND"]
    assert status[1].split()[:4] == ["42", "🟢", "running", "0"]
    assert cli("list").stdout == cli("status").stdout

    assert cli("stop", "42").stdout == "claude-42 stopped\n"
    assert tmux("has-session", "-t", "=claude-42").returncode != 0
    assert cli("stop", "42").stdout == "claude-42 was not running\n"
    assert cli("list").stdout == "no sessions\n"


def test_json_shapes(cli: Run, task_root: Path) -> None:
    started = json.loads(cli("start", "42", "--json").stdout)
    assert set(started) == {"started", "session", "terminal"} and started["started"] is True
    assert set(started["session"]) == SESSION_KEYS and set(started["terminal"]) == TERMINAL_KEYS
    assert started["session"]["state"] == "running" and started["session"]["cwd"] == str(task_root)
    assert started["terminal"]["launched"] is False
    again = json.loads(cli("--json", "start", "42", "--no-attach").stdout)  # --json before the command too
    assert again["started"] is False and again["terminal"] is None

    status = json.loads(cli("status", "42", "--json").stdout)
    assert set(status) == SESSION_KEYS and status["id"] == "42" and status["running"] is True
    listing = json.loads(cli("list", "--json").stdout)
    assert set(listing) == {"sessions"} and [s["id"] for s in listing["sessions"]] == ["42"]
    assert json.loads(cli("status", "--json").stdout) == listing

    attach = json.loads(cli("attach", "42", "--json").stdout)
    assert set(attach) == TERMINAL_KEYS and "attach-session -t =claude-42" in attach["attach_command"]

    tasks = json.loads(cli("tasks", "--json").stdout)
    assert set(tasks) == {"tasks", "problems"}
    by_id = {task["id"]: task for task in tasks["tasks"]}
    assert set(by_id) == {"42", "fix-login"}
    assert by_id["42"]["session"]["state"] == "running"
    assert by_id["fix-login"]["session"]["state"] == "stopped"
    assert by_id["fix-login"]["status"] == "🟡 To Do" and by_id["42"]["title"] == "Speed up the report"

    deadline = time.monotonic() + 3
    while "ready 42" not in cli("log", "42").stdout and time.monotonic() < deadline:
        time.sleep(0.1)
    log = json.loads(cli("log", "42", "--json", "-n", "1").stdout)
    assert set(log) == {"id", "path", "log"} and log["log"].strip() == "ready 42"

    stopped = json.loads(cli("stop", "42", "--json").stdout)
    assert stopped["stopped"] is True and set(stopped["session"]) == SESSION_KEYS
    assert stopped["session"]["state"] == "stopped"
    assert json.loads(cli("stop", "42", "--json").stdout)["stopped"] is False


def test_tasks_text_and_skipped_files(cli: Run, task_root: Path) -> None:
    (task_root / "tasks" / "broken.md").write_text("+++\nid = \n+++\n", encoding="utf-8")
    done = cli("tasks")
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["ID", "SESSION", "STATUS", "TITLE"]
    assert any(row.split()[:3] == ["42", "⚫", "stopped"] for row in rows)
    assert "skipped tasks/broken.md" in done.stderr


def test_log_tail_raw_and_follow(cli: Run, cli_env: dict[str, str], task_root: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "42.log").write_bytes(b"one\r\n\x1b[1mtwo\x1b[0m\r\nthree\r\n")
    assert cli("log", "42").stdout == "one\ntwo\nthree\n"
    assert cli("log", "42", "-n", "2").stdout == "two\nthree\n"
    assert "\x1b[1m" in cli("log", "42", "--raw").stdout
    assert cli("log", "7").stdout == ""  # no log yet: empty, not an error

    follower = subprocess.Popen(
        [sys.executable, "-m", "jupyter_claude", "log", "42", "-f"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=task_root,
        env=cli_env,
    )
    try:
        assert follower.stdout is not None
        assert [follower.stdout.readline() for _ in range(3)] == ["one\n", "two\n", "three\n"]
        # Output appended while the follower starts may be missed, so append until one arrives.
        deadline = time.monotonic() + 10
        seen = ""
        while "four" not in seen and time.monotonic() < deadline:
            with (logs / "42.log").open("ab") as log:
                log.write(b"four\r\n")
            if select.select([follower.stdout], [], [], 0.3)[0]:
                seen = follower.stdout.readline()
        assert seen == "four\n"
    finally:
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=10) == 0


def test_start_cwd(cli: Run, task_root: Path) -> None:
    (task_root / "sub").mkdir()
    started = json.loads(cli("start", "42", "--cwd", "sub", "--headless", "--json").stdout)
    assert started["session"]["cwd"] == str(task_root / "sub")
    assert started["terminal"]["reason"] == "headless mode: no terminal is opened"
    missing = cli("start", "7", "--cwd", "no/such/dir", check_code=2)
    assert missing.stderr.startswith("error: ") and "is not a directory" in missing.stderr


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_invalid_ids_exit_2_without_touching_tmux(cli: Run, tmux: Any, bad_id: str) -> None:
    for command in ("start", "stop", "status", "attach", "log"):
        done = cli(command, bad_id, check_code=2)
        assert done.stdout == "" and "Traceback" not in done.stderr
        assert done.stderr.startswith("error: invalid task id") and len(done.stderr.splitlines()) == 1
    assert tmux("list-sessions").returncode != 0  # no server was ever started


def test_attach_here_turns_this_terminal_into_a_client(
    cli: Run, cli_env: dict[str, str], task_root: Path, tmux: Any
) -> None:
    """``attach 42 --here`` in a terminal (a pty here, inside an "outer" tmux) execs tmux there."""
    import pty

    cli("start", "42", "--no-attach")
    main, secondary = pty.openpty()
    env = {**cli_env, "TERM": "xterm", "TMUX": "/tmp/outer-tmux-socket,1,0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_claude", "attach", "42", "--here"],
        stdin=secondary, stdout=secondary, stderr=secondary, cwd=task_root, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    try:
        deadline, clients = time.monotonic() + 10, ""
        while f"claude-42 0 {process.pid}" not in clients:
            assert process.poll() is None, os.read(main, 4096)
            assert time.monotonic() < deadline, clients
            if select.select([main], [], [], 0.05)[0]:
                os.read(main, 65536)  # what tmux draws: keep the pty from filling up
            listed = tmux("list-clients", "-F", "#{session_name} #{client_control_mode} #{client_pid}")
            clients = listed.stdout
    finally:
        process.kill()
        process.wait()
        os.close(main)
    assert tmux("has-session", "-t", "=claude-42").returncode == 0  # the client went, the session stays

    not_a_terminal = cli("attach", "42", "--here", check_code=2)
    assert not_a_terminal.stderr.strip() == (
        "jupyter claude attach: --here attaches this terminal, so run it in one"
    )
    assert "--read-only goes with --here" in cli("attach", "42", "--read-only", check_code=2).stderr


def test_exit_codes(cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    assert cli("--help").stdout.startswith("usage: jupyter claude")
    assert "usage:" in cli(check_code=2).stdout  # no command: help, exit 2
    assert "invalid choice" in cli("frobnicate", check_code=2).stderr
    assert "required" in cli("start", check_code=2).stderr
    assert "invalid int value" in cli("log", "42", "-n", "x", check_code=2).stderr
    attach = cli("attach", "42", check_code=1)  # no such session: the operation failed
    assert attach.stderr.startswith("error: ") and "claude-42" in attach.stderr

    no_tmux = {**cli_env, "PATH": str(tmp_path / "empty-bin")}
    for command in (["list"], ["start", "42"], ["status", "42"], ["stop", "42"], ["tasks"]):
        done = cli(*command, env=no_tmux, check_code=3)
        assert "tmux is not installed" in done.stderr and "Traceback" not in done.stderr


def test_settings_on_the_command_line(cli: Run, tmux: Any) -> None:
    cli("start", "42", "--no-attach", "--ClaudeSessions.session_prefix=agent-")
    assert tmux("has-session", "-t", "=agent-42").returncode == 0
    listing = json.loads(cli("list", "--json", "--ClaudeSessions.session_prefix=agent-").stdout)
    assert [s["name"] for s in listing["sessions"]] == ["agent-42"]
    bad = cli("list", "--ClaudeSessions.log_max_bytes=lots", check_code=2)  # a bad setting is bad input
    assert bad.stderr.startswith("error: ") and len(bad.stderr.splitlines()) == 1


def test_jupyter_subcommand_entry_point(cli_env: dict[str, str], task_root: Path) -> None:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "jupyter-claude").exists(), "install the package (pip install -e .) for its script"
    env = {**cli_env, "PATH": f"{bin_dir}{os.pathsep}{cli_env['PATH']}"}
    done = subprocess.run(
        [str(bin_dir / "jupyter"), "claude", "list", "--json"],
        capture_output=True,
        text=True,
        cwd=task_root,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"sessions": []}
