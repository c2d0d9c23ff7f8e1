"""Real GUI terminals on a private Xvfb display: xterm and GNOME Terminal attach, focus, survive.

Needs Xvfb, xterm, xdotool, gnome-terminal, dbus, kitty, alacritty and xfce4-terminal (Debian:
``apt-get install -y xvfb xterm xdotool gnome-terminal dbus-x11 kitty alacritty xfce4-terminal``).
These tests fail, never skip, when one is missing. Every process they start (Xvfb, the terminals,
D-Bus) is ended by its process or session id.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude.core.manager import ClaudeSessions

from ..support.data import wait_for
from ..support.terminals import kill_process_session

NEEDED = {
    "Xvfb": "xvfb",
    "xterm": "xterm",
    "xdotool": "xdotool",
    "gnome-terminal": "gnome-terminal",
    "dbus-daemon": "dbus",
    "dbus-run-session": "dbus",
    "kitty": "kitty",
    "alacritty": "alacritty",
    "xfce4-terminal": "xfce4-terminal",
}


#: xdotool as found before any test narrows PATH (the tests' own eyes on the display).
XDOTOOL = shutil.which("xdotool") or "xdotool"


def require(*programs: str) -> None:
    """Fail (not skip) with the install command when a program is missing."""
    missing = [program for program in programs if shutil.which(program) is None]
    if missing:
        packages = " ".join(sorted({NEEDED[program] for program in missing}))
        pytest.fail(f"{', '.join(missing)} not installed: run `apt-get install -y {packages}`", pytrace=False)


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private X display (Xvfb picks a free number itself); killed by pid at the end."""
    require("Xvfb")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(write_end)
    try:
        number = b""
        while not number.endswith(b"\n"):
            chunk = os.read(read_end, 16)
            if not chunk:
                raise AssertionError(f"Xvfb exited before giving its display (status {server.wait()})")
            number += chunk
        yield f":{number.decode().strip()}"
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def display(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """This test's environment points at the private display, and only at it."""
    monkeypatch.setenv("DISPLAY", xvfb)
    for name in ("WAYLAND_DISPLAY", "TERMINAL", "DBUS_SESSION_BUS_ADDRESS", "TERM_PROGRAM", "LC_TERMINAL"):
        monkeypatch.delenv(name, raising=False)
    if "UTF-8" not in os.environ.get("LANG", "").upper().replace("UTF8", "UTF-8"):
        monkeypatch.setenv("LANG", "C.UTF-8")  # GNOME Terminal refuses other locales
    return xvfb


@pytest.fixture
def started_sessions() -> Iterator[list[int]]:
    """Process session ids of what a test started; every process in them is killed afterwards."""
    sessions: list[int] = []
    yield sessions
    for sid in sessions:
        kill_process_session(sid)


def clients(tmux: Callable[..., subprocess.CompletedProcess[str]], name: str) -> list[list[str]]:
    """[pid, tty, control-mode flag] of the clients attached to session ``name``."""
    out = tmux("list-clients", "-t", f"={name}", "-F", "#{client_pid} #{client_tty} #{client_control_mode}")
    return [line.split() for line in out.stdout.splitlines()]


def windows_titled(title: str) -> list[str]:
    """X11 windows whose title is exactly ``title`` (xdotool)."""
    out = subprocess.run(
        [XDOTOOL, "search", "--name", f"^{title}$"], capture_output=True, text=True, check=False
    )
    return out.stdout.split()


def focused_window() -> str:
    """The X11 window that has the input focus ("" when none has: PointerRoot)."""
    return subprocess.run(
        [XDOTOOL, "getwindowfocus"], capture_output=True, text=True, check=False
    ).stdout.strip()


def test_xterm_opens_then_focuses_and_survives_being_closed(
    manager: ClaudeSessions, tmux: Any, display: str, started_sessions: list[int]
) -> None:
    require("xterm", "xdotool")
    manager.terminal = "xterm"
    manager.start("42")

    opened = manager.attach("42")
    assert opened.pid is not None
    started_sessions.append(opened.pid)
    assert (opened.launched, opened.focused, opened.terminal, opened.reason) == (True, False, "xterm", None)
    [[_, _, control]] = wait_for(lambda: clients(tmux, "claude-42"), 2.0, "xterm's tmux client")
    assert control == "0"
    # tmux's set-titles (set by start()) names the window after the session.
    [window] = wait_for(lambda: windows_titled("claude-42"), 2.0, "a window titled claude-42")

    # Without a window manager nothing has the focus yet; a second attach gives it to the xterm
    # instead of opening another one.
    assert focused_window() != window
    again = manager.attach("42")
    assert (again.launched, again.focused, again.terminal, again.reason) == (False, True, "xterm", None)
    assert focused_window() == window
    assert len(clients(tmux, "claude-42")) == 1
    assert manager.status("42").attached_clients == 1

    # Closing the terminal detaches; the task keeps running.
    kill_process_session(opened.pid)
    wait_for(lambda: not clients(tmux, "claude-42"), 5.0, "the client to go away with the xterm")
    assert manager.status("42").running
    assert tmux("has-session", "-t", "=claude-42").returncode == 0


def test_xterm_new_window_adds_a_second_client(
    manager: ClaudeSessions, tmux: Any, display: str, started_sessions: list[int]
) -> None:
    require("xterm")
    manager.terminal = "xterm"
    manager.start("42")
    first = manager.attach("42")
    assert first.pid is not None
    started_sessions.append(first.pid)
    wait_for(lambda: len(clients(tmux, "claude-42")) == 1, 2.0, "the first xterm's client")
    second = manager.attach("42", new_window=True)
    assert second.pid is not None
    started_sessions.append(second.pid)
    assert second.launched and not second.focused
    wait_for(lambda: len(clients(tmux, "claude-42")) == 2, 2.0, "the second xterm's client")


def test_xterm_is_detected_on_a_plain_x11_path(
    manager: ClaudeSessions,
    tmux: Any,
    display: str,
    started_sessions: list[int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """With no setting, an X display and only xterm among the known terminals, xterm is chosen."""
    require("xterm", "xdotool")
    only = tmp_path / "bin"
    only.mkdir()
    for program in ("xterm", "xdotool", "tmux", "env"):
        found = shutil.which(program)
        assert found, program
        (only / program).symlink_to(found)
    monkeypatch.setenv("PATH", str(only))
    manager.start("7")
    result = manager.attach("7")
    assert result.pid is not None
    started_sessions.append(result.pid)
    assert (result.launched, result.terminal) == (True, "xterm")
    wait_for(lambda: clients(tmux, "claude-7"), 2.0, "xterm's tmux client")


@pytest.fixture
def session_bus(display: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private D-Bus session bus for GNOME Terminal (killed, with what it activated, at the end)."""
    require("dbus-daemon")
    # Not --fork: the daemon stays our child in a process session of its own, with every service
    # it activates (gnome-terminal-server), so the whole bus is ended by one session id.
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nosyslog", "--print-address=1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().decode().strip()
        daemon.stdout.close()
        assert address, "dbus-daemon printed no address"
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        kill_process_session(daemon.pid)
        daemon.wait(timeout=10)


def test_gnome_terminal_opens_and_focuses(
    manager: ClaudeSessions, tmux: Any, session_bus: str, started_sessions: list[int]
) -> None:
    """The production argv (`gnome-terminal -- tmux … attach-session -t =claude-42`) on a real bus."""
    require("gnome-terminal", "xdotool")
    manager.terminal = "gnome-terminal"
    manager.start("42")
    opened = manager.attach("42")
    assert opened.pid is not None
    started_sessions.append(opened.pid)
    assert (opened.launched, opened.terminal) == (True, "gnome-terminal")
    assert opened.argv[:2] == (shutil.which("gnome-terminal"), "--")
    # A cold D-Bus activation of gnome-terminal-server is slower than an xterm: allow it 15 s.
    wait_for(lambda: clients(tmux, "claude-42"), 15.0, "GNOME Terminal's tmux client")
    [window] = wait_for(lambda: windows_titled("claude-42"), 5.0, "a window titled claude-42")
    again = manager.attach("42")
    assert (again.launched, again.focused, again.terminal) == (False, True, "gnome-terminal")
    assert focused_window() == window
    assert len(clients(tmux, "claude-42")) == 1


def test_gnome_terminal_under_dbus_run_session(
    manager: ClaudeSessions, tmux: Any, display: str, started_sessions: list[int]
) -> None:
    """The issue's command, as a `terminal` argv template: a client shows in list-clients."""
    require("gnome-terminal", "dbus-run-session")
    # --wait keeps the client (and so dbus-run-session and its bus) alive while the window is open.
    manager.terminal = "dbus-run-session -- gnome-terminal --wait -- {attach}"
    manager.start("42")
    opened = manager.attach("42")
    assert opened.pid is not None
    started_sessions.append(opened.pid)
    assert (opened.launched, opened.terminal) == (True, "dbus-run-session")
    tmux_binary = shutil.which("tmux")
    assert opened.argv[1:] == (
        "--", "gnome-terminal", "--wait", "--", tmux_binary, "-L", manager.tmux_socket,
        "attach-session", "-t", "=claude-42",
    )  # fmt: skip
    wait_for(lambda: clients(tmux, "claude-42"), 15.0, "GNOME Terminal's tmux client")


@pytest.mark.parametrize("name", ["kitty", "alacritty", "xfce4-terminal"])
def test_other_debian_terminals_open_and_focus(
    manager: ClaudeSessions,
    tmux: Any,
    display: str,
    started_sessions: list[int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
) -> None:
    """kitty (focused through its own remote control), Alacritty and xfce4-terminal, for real."""
    require(name, "xdotool")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    if name == "kitty":
        # No wmctrl or xdotool on PATH: the focus below can only come from kitty's remote control.
        narrow = tmp_path / "bin"
        narrow.mkdir()
        for program in ("kitty", "tmux", "env"):
            found = shutil.which(program)
            assert found, program
            (narrow / program).symlink_to(found)
        monkeypatch.setenv("PATH", str(narrow))
    manager.terminal = name
    manager.start("42")
    opened = manager.attach("42")
    assert opened.pid is not None
    started_sessions.append(opened.pid)
    assert (opened.launched, opened.terminal, opened.reason) == (True, name, None)
    # A GL terminal's first start on a software-rendered display is slower than xterm's.
    wait_for(lambda: clients(tmux, "claude-42"), 15.0, f"{name}'s tmux client")
    [window] = wait_for(lambda: windows_titled("claude-42"), 5.0, "a window titled claude-42")
    again = manager.attach("42")
    assert (again.launched, again.focused, again.terminal, again.reason) == (False, True, name, None)
    assert focused_window() == window
    assert len(clients(tmux, "claude-42")) == 1
