"""Bring the window of a terminal already attached to a session to the front.

:func:`gui_clients` lists the GUI tmux clients of a session (control-mode viewers excluded);
:func:`focus_client` finds the terminal that owns one (its parent process) and focuses it by the
terminal's own means (iTerm2 and Terminal by AppleScript, WezTerm and kitty by their remote
control), else by its X11 window title (wmctrl, xdotool). The AppleScripts are constants that read
every value from ``argv``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import TmuxError
from .host import EXECUTABLES, Client, Host, Terminal, canonical_name, kitty_socket
from .host import run_helper as _run
from .tmux import TmuxServer, exact_session

ITERM2_FOCUS_SCRIPT = """\
on run argv
	set wantedTty to item 1 of argv
	if application "iTerm2" is not running then return "not running"
	tell application "iTerm2"
		repeat with aWindow in windows
			repeat with aTab in tabs of aWindow
				repeat with aSession in sessions of aTab
					if tty of aSession is wantedTty then
						select aWindow
						select aTab
						select aSession
						activate
						return "focused"
					end if
				end repeat
			end repeat
		end repeat
	end tell
	return "not found"
end run
"""

TERMINAL_FOCUS_SCRIPT = """\
on run argv
	set wantedTty to item 1 of argv
	if application "Terminal" is not running then return "not running"
	tell application "Terminal"
		repeat with aWindow in windows
			repeat with aTab in tabs of aWindow
				if tty of aTab is wantedTty then
					set selected of aTab to true
					set index of aWindow to 1
					activate
					return "focused"
				end if
			end repeat
		end repeat
	end tell
	return "not found"
end run
"""


def gui_clients(server: TmuxServer, session_name: str) -> list[Client]:
    """The clients attached to the session, control-mode clients left out."""
    try:
        out = server.run(
            ["list-clients", "-t", exact_session(session_name), "-F",
             "#{client_control_mode}\t#{client_pid}\t#{client_tty}"]
        )  # fmt: skip
    except TmuxError:
        return []
    clients = []
    for line in out.splitlines():
        control, pid, tty = [*line.split("\t"), "", ""][:3]
        if control != "1" and pid.isdigit():
            clients.append(Client(pid=int(pid), tty=tty))
    return clients


def client_terminal(pid: int, host: Host) -> str | None:
    """The known terminal a tmux client runs in, found among its parent processes."""
    for _ in range(12):
        parent = _parent_process(pid, host)
        if parent is None:
            return None
        pid, name = parent
        known = canonical_name(name)
        if known in EXECUTABLES and known not in ("xdg-terminal-exec", "x-terminal-emulator"):
            return known
        if pid <= 1:
            return None
    return None


def _parent_process(pid: int, host: Host) -> tuple[int, str] | None:
    """(parent pid, parent program name) of ``pid``: /proc where there is one, else ps."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        stat = ""
    if stat:
        ppid = int(stat.rpartition(")")[2].split()[1])
        try:
            argv0 = Path(f"/proc/{ppid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            return None
        return ppid, argv0.split()[0] if argv0.strip() else ""
    ps = host.which("ps")
    out = _run([ps, "-o", "ppid=", "-p", str(pid)], host) if ps else None
    if not out or not out.strip().isdigit():
        return None
    ppid = int(out.strip())
    name = _run([ps, "-o", "comm=", "-p", str(ppid)], host) if ps else None
    return ppid, (name or "").strip()


def focus_client(
    session_name: str, clients: Sequence[Client], terminal: Terminal | None, host: Host
) -> tuple[bool, str | None]:
    """Bring the window of an attached client to the front: (focused, the terminal's name)."""
    fallback = terminal.name if terminal is not None else None
    owners = []
    for client in clients:
        owner = client_terminal(client.pid, host)
        for name in dict.fromkeys([owner, fallback]):
            focus = NATIVE_FOCUS.get(name or "")
            if focus is not None and focus(client, session_name, host):
                return True, name
        owners.append(owner)
    if focus_x11_window(session_name, host):
        return True, next((owner for owner in owners if owner), fallback)
    return False, None


def focus_x11_window(title: str, host: Host) -> bool:
    """Raise and focus the X11 window titled exactly ``title`` (wmctrl, else xdotool)."""
    if host.is_macos or not host.environ.get("DISPLAY"):
        return False
    wmctrl = host.which("wmctrl")
    if wmctrl and _run([wmctrl, "-F", "-a", title], host) is not None:
        return True
    xdotool = host.which("xdotool")
    if not xdotool:
        return False
    # Session names are [A-Za-z0-9_-] only: nothing in them means anything to a regular expression.
    found = _run([xdotool, "search", "--name", f"^{title}$"], host) or ""
    for window in found.split():
        # windowactivate needs an EWMH window manager; raise + focus works without one.
        if _run([xdotool, "windowactivate", window], host) is not None:
            return True
        if _run([xdotool, "windowraise", window, "windowfocus", window], host) is not None:
            return True
    return False


def _focus_iterm2(client: Client, session_name: str, host: Host) -> bool:
    return _osascript(ITERM2_FOCUS_SCRIPT, [client.tty], host) == "focused"


def _focus_apple_terminal(client: Client, session_name: str, host: Host) -> bool:
    return _osascript(TERMINAL_FOCUS_SCRIPT, [client.tty], host) == "focused"


def _focus_wezterm(client: Client, session_name: str, host: Host) -> bool:
    app = host.app("WezTerm") if host.is_macos else None
    wezterm = host.which("wezterm") or (f"{app}/Contents/MacOS/wezterm" if app else None)
    if wezterm is None:
        return False
    try:
        panes = json.loads(_run([wezterm, "cli", "list", "--format", "json"], host) or "[]")
    except ValueError:
        return False
    panes = [pane for pane in panes if isinstance(pane, dict)] if isinstance(panes, list) else []
    # The pane on the client's tty; else one titled by tmux's set-titles.
    matches = [pane for pane in panes if pane.get("tty_name") == client.tty]
    matches = matches or [pane for pane in panes if pane.get("title") == session_name]
    for pane in matches:
        if _run([wezterm, "cli", "activate-pane", "--pane-id", str(pane.get("pane_id"))], host) is not None:
            return True
    return False


def _focus_kitty(client: Client, session_name: str, host: Host) -> bool:
    app = host.app("kitty") if host.is_macos else None
    kitten = host.which("kitten") or (f"{app}/Contents/MacOS/kitten" if app else None)
    kitty = host.which("kitty")
    command = [kitten, "@"] if kitten else [kitty, "@"] if kitty else None
    socket = kitty_socket(session_name, host)
    if command is None:
        return False
    if os.path.exists(socket):
        command += ["--to", f"unix:{socket}"]
    elif not host.environ.get("KITTY_LISTEN_ON"):
        return False
    return _run([*command, "focus-window", "--match", f"title:^{session_name}$"], host) is not None


#: Focus by the terminal's own means, for the terminals that have some.
NATIVE_FOCUS: dict[str, Callable[[Client, str, Host], bool]] = {
    "iterm2": _focus_iterm2,
    "terminal": _focus_apple_terminal,
    "wezterm": _focus_wezterm,
    "kitty": _focus_kitty,
}


def _osascript(script: str, args: Sequence[str], host: Host) -> str | None:
    osascript = host.which("osascript")
    if osascript is None:
        return None
    out = _run([osascript, "-", *args], host, stdin=script)
    return out.strip() if out is not None else None
