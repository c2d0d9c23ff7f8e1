"""Odd data in tmux options and a failing log writer: one session's trouble stays its own, and no
output is lost silently."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.errors import LogUnavailable

from ..support.data import wait_for
from ..support.processes import running
from ..support.server import print_in_pane

ODD_METADATA = ["[1,2,3]", '"x"', "42", '{"log_offset": "zz"}', '{"command": 5}', "{not json", "[" * 5000]


@pytest.mark.parametrize("odd", ODD_METADATA)
def test_one_session_with_odd_metadata_breaks_nothing(
    manager: ClaudeSessions, tmux: Any, odd: str, caplog: pytest.LogCaptureFixture
) -> None:
    healthy = manager.start("good")
    manager.start("odd")
    assert tmux("set-option", "-t", "=claude-odd:", "@jc_meta", odd).returncode == 0
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            by_id = {session.id: session for session in manager.list()}
    assert by_id["good"].started_at == healthy.started_at and by_id["good"].command == healthy.command
    odd_session = by_id["odd"]
    assert odd_session.running and odd_session.state == "running"
    assert odd_session.to_json()["id"] == "odd"
    if odd == '{"log_offset": "zz"}':
        assert odd_session.log_offset is None
    if odd == '{"command": 5}':
        assert odd_session.command is None
    assert manager.status("good").pid == healthy.pid
    warnings = [record for record in caplog.records if "claude-odd" in record.getMessage()]
    assert len(warnings) == 1, [record.getMessage() for record in warnings]


def test_odd_agent_options_are_read_as_absent(manager: ClaudeSessions, tmux: Any) -> None:
    manager.start("42")
    for option, value in (("@jc_agent", "claude"), ("@jc_worktree", "[1]"), ("@jc_ahead", "lots")):
        tmux("set-option", "-t", "=claude-42:", option, value)
    (session,) = manager.list()
    assert session.agent == "claude" and session.worktree is None and session.ahead is None


# -- the log writer ------------------------------------------------------------------------------


def writer_pids(log: Path) -> list[int]:
    """PIDs of the log writers (logpipe) appending to ``log``."""
    return running(b"logpipe.py\0", str(log).encode() + b"\0")


def holding(log: Path, text: bytes) -> bytes | None:
    """The log's bytes once they hold ``text``."""
    data = log.read_bytes() if log.exists() else b""
    return data if text in data else None


def test_a_killed_log_writer_is_restarted_and_the_gap_marked(
    manager: ClaudeSessions, tmux_socket: str
) -> None:
    manager.start("42")
    log = manager.log_path("42")
    wait_for(lambda: log.exists() and b"ready 42" in log.read_bytes())
    (pid,) = wait_for(lambda: writer_pids(log))
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not writer_pids(log))
    print_in_pane(tmux_socket, "42", b"said while nobody wrote the log\r\n")
    time.sleep(0.2)
    session = manager.status("42")  # the listing notices and restarts the writer
    assert session.log_health == "gap"
    assert session.to_json()["log"] == "gap"
    wait_for(lambda: writer_pids(log))
    print_in_pane(tmux_socket, "42", b"said after the restart\r\n")
    text = wait_for(lambda: holding(log, b"said after the restart"))
    assert b"[jupyter-claude: the log writer had stopped: output from " in text
    assert (
        text.index(b"ready 42") < text.index(b"the log writer had stopped") < text.index(b"after the restart")
    )
    # A second listing restarts nothing more; a new start clears the mark.
    assert len(writer_pids(log)) == 1 and manager.status("42").log_health == "gap"
    manager.stop("42")
    assert manager.start("42").log_health == "ok" and manager.status("42").log_health == "ok"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (as root, which the test machines are)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` up with one file; return it."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            os.write(descriptor, b"\0" * 1024)
    except OSError:
        pass
    finally:
        os.close(descriptor)
    return filler


def test_a_full_disk_is_reported_and_the_lost_bytes_marked(
    manager: ClaudeSessions, small_disk: Path, tmux_socket: str
) -> None:
    manager.log_dir = str(small_disk / "logs")
    manager.start("42")
    log = manager.log_path("42")
    wait_for(lambda: log.exists() and b"ready 42" in log.read_bytes())
    filler = fill(small_disk)
    line = b"x" * 999 + b"\n"
    print_in_pane(tmux_socket, "42", line * 20)  # 20,000 bytes on a full disk
    lost = wait_for(lambda: (health := manager.status("42").log_health) != "ok" and health, timeout=10)
    assert lost.startswith("lost ") and lost.endswith(" bytes"), lost
    assert int(lost.split()[1]) > 0
    filler.unlink()
    print_in_pane(tmux_socket, "42", b"room again\r\n")
    text = wait_for(lambda: holding(log, b"room again"))
    marker = text[text.index(b"[jupyter-claude: ") :]
    assert (
        marker.startswith(b"[jupyter-claude: ")
        and b"bytes of output were lost here: No space left on device" in marker
    )
    assert manager.status("42").log_health.startswith("lost ")


def test_a_log_folder_on_a_full_disk_from_the_start(manager: ClaudeSessions, small_disk: Path) -> None:
    (small_disk / "logs").mkdir()
    fill(small_disk)
    manager.log_dir = str(small_disk / "logs")
    session = manager.start("42")  # the session runs all the same
    assert session.running
    health = wait_for(lambda: (h := manager.status("42").log_health) != "ok" and h, timeout=10)
    assert health.startswith("lost ")


def test_a_log_folder_that_cannot_be_made_is_a_clear_error_before_anything_starts(
    manager: ClaudeSessions, tmp_path: Path, tmux: Any
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    manager.log_dir = str(tmp_path / "a-file" / "logs")
    with pytest.raises(LogUnavailable) as caught:
        manager.start("42")
    assert str(tmp_path / "a-file" / "logs") in str(caught.value) and "Not a directory" in str(caught.value)
    assert "no server running" in tmux("list-sessions").stderr or tmux("list-sessions").stdout == ""


@pytest.mark.parametrize(
    ("cwd", "words"),
    [
        ("../..", "outside the root"),
        ("/", "outside the root"),
        ("x" * 5000, "longer than 4096"),
        ("a\x00b", "NUL"),
        ("\ud800", "not a usable path"),
    ],
)
def test_the_core_keeps_cwd_inside_the_root(manager: ClaudeSessions, tmux: Any, cwd: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        manager.start("42", cwd=cwd)
    assert "claude-42" not in tmux("list-sessions", "-F", "#{session_name}").stdout
