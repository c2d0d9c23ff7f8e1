"""The session manager against a real tmux server on a private socket."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import libtmux
import pytest
from traitlets.config import Config

from jupyter_claude import ClaudeSessions, InvalidSetting, TmuxNotFound, TmuxUnreachable
from jupyter_claude.core.manager import Session

from ..support.data import SESSION_KEYS, SLEEPER, wait_for


def witness(tmux_socket: str) -> libtmux.Server:
    """An independent view of the tmux server (libtmux), to check what we did."""
    return libtmux.Server(socket_name=tmux_socket)


def test_start_creates_one_detached_session(
    manager: ClaudeSessions, tmux_socket: str, task_root: Path
) -> None:
    session = manager.start("42")
    assert session.created and session.running and session.state == "running"
    assert session.name == "claude-42" and session.cwd == str(task_root.resolve())
    assert session.command == [part.replace("{id}", "42") for part in SLEEPER]
    assert isinstance(session.pid, int) and session.started_at and session.started_at.endswith("Z")
    server = witness(tmux_socket)
    assert [s.session_name for s in server.sessions] == ["claude-42"]
    assert server.sessions[0].session_attached == "0"
    assert set(session.to_json()) == SESSION_KEYS


def test_json_text_is_the_json_shape_safe_to_embed_in_html() -> None:
    session = Session(id="42", name="claude-42", command=["echo", "</script><b>"], cwd="/tmp/é")
    assert json.loads(session.json_text) == session.to_json()
    assert "</" not in session.json_text
    assert session.json_text is session.json_text  # made once per (frozen) session


def test_second_start_reuses(manager: ClaudeSessions, tmux_socket: str) -> None:
    first = manager.start("42")
    second = manager.start("42")
    assert not second.created and second.pid == first.pid and second.running
    assert len(witness(tmux_socket).sessions) == 1


def test_status_list_and_stop_round_trip(manager: ClaudeSessions) -> None:
    assert manager.status("7") == Session(id="7", name="claude-7")
    assert manager.list() == []
    manager.start("7")
    manager.start("8")
    assert [s.id for s in manager.list()] == ["7", "8"]
    status = manager.status("7")
    assert status.running and status.command and status.cwd
    assert manager.stop("7") is True
    assert manager.stop("7") is False
    assert manager.status("7").state == "stopped"
    assert [s.id for s in manager.list()] == ["8"]


def test_a_new_manager_sees_everything(manager: ClaudeSessions, tmux_socket: str, tmp_path: Path) -> None:
    started = manager.start("42", command=["sh", "-c", "echo from-before; sleep 600"])
    wait_for(lambda: "from-before" in manager.read_log("42"))
    fresh = ClaudeSessions(config=Config(), tmux_socket=tmux_socket, log_dir=str(tmp_path / "logs"))
    (seen,) = fresh.list()
    assert seen == started
    assert "from-before" in fresh.read_log("42")


def test_prefix_targets_never_match(manager: ClaudeSessions, tmux_socket: str) -> None:
    manager.start("42")
    assert manager.status("4").state == "stopped"
    assert manager.stop("4") is False
    assert manager.status("42").running
    created = manager.start("4")
    assert created.created and created.pid != manager.status("42").pid
    assert sorted(s.session_name or "" for s in witness(tmux_socket).sessions) == ["claude-4", "claude-42"]


def test_twenty_sessions_stop_one_leaves_nineteen(manager: ClaudeSessions) -> None:
    for number in range(20):
        manager.start(f"t{number}")
    assert len(manager.list()) == 20
    manager.stop("t7")
    remaining = manager.list()
    assert len(remaining) == 19 and "t7" not in {s.id for s in remaining}
    assert all(s.running for s in remaining)


def test_list_is_one_tmux_call(manager: ClaudeSessions, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(5):
        manager.start(f"n{number}")
    from jupyter_claude.core import tmux as tmux_module

    calls: list[Any] = []
    real = tmux_module.subprocess.run

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(tmux_module.subprocess, "run", counting)
    assert len(manager.list()) == 5
    manager.status("n3")
    assert len(calls) == 2


def test_exit_status_and_log(manager: ClaudeSessions) -> None:
    session = manager.start("42", command=["sh", "-c", "echo out; exit 3"])
    assert session.created
    exited = wait_for(lambda: (s := manager.status("42")).state == "exited" and s)
    assert exited.exit_status == 3 and not exited.running and exited.pid is None
    assert wait_for(lambda: manager.read_log("42")) == "out\r\n"
    assert exited.badge == "🔴 exited (3)"


def test_exited_session_is_respawned_in_place(manager: ClaudeSessions, tmux_socket: str) -> None:
    manager.start("42", command=["sh", "-c", "echo run; exit 3"])
    wait_for(lambda: manager.status("42").state == "exited")
    again = manager.start("42", command=["sh", "-c", "echo again; sleep 600"])
    assert again.created and again.running
    assert again.command == ["sh", "-c", "echo again; sleep 600"]
    wait_for(lambda: "again" in manager.read_log("42"))
    assert manager.read_log("42") == "run\r\nagain\r\n"
    assert len(witness(tmux_socket).sessions) == 1


def test_log_is_byte_exact_and_survives_stop(manager: ClaudeSessions, tmp_path: Path) -> None:
    payload = "".join(chr(c) for c in range(32, 127)) + " ünïcödé ✓ \x1b[1;31mred\x1b[0m\ttab"
    script = tmp_path / "emit.py"
    script.write_text(
        "import sys, time\n"
        f"sys.stdout.write({payload!r} + '\\n'); sys.stdout.flush()\n"
        "time.sleep(0.2)\n"
        "sys.stdout.write('after\\n'); sys.stdout.flush()\n"
        "sys.exit(3)\n"
    )
    manager.start("42", command=[sys.executable, str(script)])
    wait_for(lambda: manager.status("42").state == "exited")
    expected = (payload + "\r\nafter\r\n").encode()
    wait_for(lambda: manager.log_path("42").read_bytes().endswith(b"after\r\n"))
    assert manager.log_path("42").read_bytes() == expected
    assert manager.stop("42")
    assert manager.log_path("42").read_bytes() == expected
    assert manager.read_log("42", tail=1) == "after\r\n"


def test_log_rotation(manager: ClaudeSessions) -> None:
    manager.log_max_bytes = 1000
    command = [
        sys.executable,
        "-c",
        "import sys,time\nfor i in range(30):\n"
        " print(f'line {i:03d} ' + 'x'*90, flush=True); time.sleep(0.01)",
    ]
    manager.start("42", command=command)
    wait_for(lambda: manager.status("42").state == "exited")
    wait_for(lambda: manager.read_log("42").endswith("line 029 " + "x" * 90 + "\r\n"))
    path = manager.log_path("42")
    rotated = path.with_name("42.log.1")
    assert rotated.exists() and 0 < rotated.stat().st_size <= 1000
    assert 0 < path.stat().st_size <= 1000
    assert not path.with_name("42.log.2").exists()
    assert manager.read_log("42").endswith("line 029 " + "x" * 90 + "\r\n")


def test_concurrent_starts_make_one_session(manager: ClaudeSessions, tmux_socket: str) -> None:
    results: list[Session] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def start() -> None:
        barrier.wait()
        try:
            results.append(manager.start("42"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(witness(tmux_socket).sessions) == 1
    assert sum(result.created for result in results) == 1
    assert len({result.pid for result in results}) == 1


def test_missing_tmux_is_a_typed_error(
    manager: ClaudeSessions, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for call in (lambda: manager.start("42"), manager.list, lambda: manager.stop("42")):
        with pytest.raises(TmuxNotFound) as caught:
            call()
        assert "apt-get install tmux" in str(caught.value) and "brew install tmux" in str(caught.value)


def test_unreachable_socket(tmp_path: Path) -> None:
    sessions = ClaudeSessions(
        config=Config(),
        tmux_socket=str(tmp_path / "missing" / "sock"),
        command=["true"],
        log_dir=str(tmp_path / "logs"),
    )
    assert sessions.list() == []
    with pytest.raises(TmuxUnreachable, match="cannot reach the tmux server"):
        sessions.start("42")


def test_missing_command_exits_127_and_keeps_log(manager: ClaudeSessions) -> None:
    manager.start("42", command=["no-such-agent-xyz", "{id}"])
    exited = wait_for(lambda: (s := manager.status("42")).state == "exited" and s)
    assert exited.exit_status == 127
    assert wait_for(lambda: "no-such-agent-xyz" in manager.read_log("42"))


def test_environment_of_the_pane(
    manager: ClaudeSessions, tmux: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tmux server started from inside a Claude Code session carries CLAUDECODE globally.
    tmux("new-session", "-d", "-s", "other", "sleep 600")
    tmux("set-environment", "-g", "CLAUDECODE", "1")
    monkeypatch.setenv("TMUX", "/tmp/some-outer-server,1,0")
    out = tmp_path / "env.txt"
    manager.start("42", command=["sh", "-c", f"env > {out}; sleep 600"])
    text = wait_for(lambda: out.exists() and out.read_text())
    assert "JUPYTER_CLAUDE_TASK_ID=42" in text.splitlines()
    assert not any(line.startswith("CLAUDECODE=") for line in text.splitlines())
    assert manager.status("42").running


def test_arguments_reach_the_command_unchanged(manager: ClaudeSessions, tmp_path: Path) -> None:
    strange = ["semi;", "#(touch pwned)", "a b", "$HOME", "#{session_name}", "\\;", ";"]
    out = tmp_path / "argv.txt"
    script = f"import sys; open({str(out)!r}, 'w').write(repr(sys.argv[1:]))"
    manager.start("42", command=[sys.executable, "-c", script, *strange])
    assert wait_for(lambda: out.exists() and out.read_text()) == repr(strange)
    assert not (Path(manager.root_dir) / "pwned").exists()


def test_cwd_with_format_characters(manager: ClaudeSessions, task_root: Path) -> None:
    odd = task_root / "dir#(touch pwned)"
    odd.mkdir()
    session = manager.start("42", cwd="dir#(touch pwned)", command=["sh", "-c", "pwd; sleep 600"])
    assert session.cwd == str(odd.resolve())
    wait_for(lambda: "dir#(touch pwned)" in manager.read_log("42"))
    assert not (task_root / "pwned").exists() and not Path("pwned").exists()
    with pytest.raises(InvalidSetting, match="not a directory"):
        manager.start("43", cwd="does-not-exist")


def test_command_template_and_default(
    manager: ClaudeSessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert manager.command_for("42", ["agent", "--task={id}", "{id}"]) == ["agent", "--task=42", "42"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "tw-start-argv.txt"
    script = bin_dir / "tw-start"
    script.write_text(f'#!/bin/sh\necho "$@" > {record}\nsleep 600\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    manager.command = []
    assert manager.command_for("42") == ["tw-start", "42"]
    manager.start("42")
    assert wait_for(lambda: record.exists() and record.read_text()) == "42\n"
    with pytest.raises(InvalidSetting):
        manager.command_for("42", [])


def test_sessions_made_by_hand_are_listed(manager: ClaudeSessions, tmux: Any) -> None:
    tmux("new-session", "-d", "-s", "claude-handmade", "sleep 600")
    tmux("new-session", "-d", "-s", "unrelated", "sleep 600")
    tmux("new-session", "-d", "-s", "claude-bad name", "sleep 600")
    (session,) = manager.list()
    assert session.id == "handmade" and session.running and session.command is None


def test_killed_by_a_signal(manager: ClaudeSessions) -> None:
    manager.start("42", command=["sh", "-c", "kill -9 $$"])
    exited = wait_for(lambda: (s := manager.status("42")).state == "exited" and s)
    assert exited.exit_status == 137


def test_user_split_panes_do_not_confuse_status(manager: ClaudeSessions, tmux: Any) -> None:
    manager.start("42", command=["sh", "-c", "exit 5"])
    tmux("split-window", "-t", "=claude-42:", "sleep 600")
    tmux("new-window", "-t", "=claude-42:", "sleep 600")
    status = wait_for(lambda: (s := manager.status("42")).state == "exited" and s)
    assert status.exit_status == 5


def test_attached_clients_exclude_control_mode(manager: ClaudeSessions, tmux_socket: str) -> None:
    import subprocess

    manager.start("42")
    control = subprocess.Popen(
        [
            "tmux",
            "-L",
            tmux_socket,
            "-C",
            "attach-session",
            "-t",
            "=claude-42",
            "-f",
            "read-only,ignore-size",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: witness(tmux_socket).sessions[0].session_attached == "1")
        assert manager.status("42").attached_clients == 0
    finally:
        control.terminate()
        control.wait(timeout=5)


def test_settings_from_a_jupyter_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.py").write_text(
        "c.ServerApp.port = 1\nc.ClaudeSessions.session_prefix = 'agent-'\n"
    )
    (config_dir / "jupyter_claude_config.json").write_text('{"ClaudeSessions": {"log_max_bytes": 1234}}')
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    monkeypatch.chdir(tmp_path)
    sessions = ClaudeSessions.from_config()
    assert sessions.session_prefix == "agent-" and sessions.log_max_bytes == 1234
    assert sessions.session_name("42") == "agent-42"
    assert ClaudeSessions.from_config(log_max_bytes=5).log_max_bytes == 5
    assert ClaudeSessions.from_config(settings=["--ClaudeSessions.log_max_bytes=7"]).log_max_bytes == 7
    # The plain constructor takes its settings as given: no file is read behind its back.
    assert ClaudeSessions().session_prefix == "claude-"


def test_socket_from_the_environment(manager: ClaudeSessions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_CLAUDE_TMUX_SOCKET", "elsewhere")
    assert manager.tmux.socket_args == ["-L", "elsewhere"]
    monkeypatch.delenv("JUPYTER_CLAUDE_TMUX_SOCKET")
    manager.tmux_socket = "/run/x/sock"
    assert manager.tmux.socket_args == ["-S", "/run/x/sock"]
    manager.tmux_socket = ""
    assert manager.tmux.socket_args == ["-L", "default"]


def test_read_log_and_an_ordinary_logger(manager: ClaudeSessions, caplog: pytest.LogCaptureFixture) -> None:
    manager.start("42", command=["sh", "-c", "echo hi"])
    wait_for(lambda: manager.read_log("42"))
    assert manager.read_log("42", tail=0) == ""
    manager.log.warning("a warning %s", "works")
    assert "a warning works" in caplog.text
    assert not callable(manager.log)  # the logger is only a logger


def test_listing_right_after_the_last_session_stops(manager: ClaudeSessions) -> None:
    # The server lingers a moment after its last session dies and answers "no current target".
    for _ in range(20):
        manager.start("42")
        assert manager.stop("42")
        assert manager.list() == []
