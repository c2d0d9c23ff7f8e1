"""The user's own terminal: open one attached to a task's tmux session, or bring it to the front.

This is the terminal half of :meth:`ClaudeSessions.attach <jupyter_claude.sessions.ClaudeSessions.attach>`.
:func:`detect_terminal` picks a GUI terminal (the ``terminal`` setting, then Windows Terminal under
WSL, the macOS terminals, the Linux/BSD ones when a display is set); :func:`launch_command` builds
the argv that opens it running ``tmux attach-session -t =claude-ID`` on the manager's own socket;
:func:`spawn_detached` starts it in its own process session, so it neither blocks the caller nor
dies with the Jupyter server. When a GUI client is already attached, :func:`focus_client` brings
its window to the front instead of opening another one.

Only the validated session name and the settings reach an argv, each as an element of its own:
nothing is pasted into a shell, AppleScript or cmd.exe string. The AppleScripts below are
constants that read every value from ``argv``; ``;`` never reaches wt.exe, and cmd.exe gets only
plain words.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidSetting, TmuxError
from .tmux import SCRUBBED_ENVIRONMENT, TmuxServer, exact_session

#: The word of a ``terminal`` argv template that stands for the whole attach argv.
ATTACH = "{attach}"

#: Linux and BSD terminals in the order they are tried, after ``$TERMINAL``.
LINUX_ORDER = (
    "xdg-terminal-exec",
    "wezterm",
    "kitty",
    "alacritty",
    "gnome-terminal",
    "konsole",
    "xfce4-terminal",
    "foot",
    "x-terminal-emulator",
    "xterm",
)

#: macOS terminals in the order they are tried, after the running terminal's hint.
MACOS_ORDER = ("wezterm", "iterm2", "terminal", "kitty", "alacritty", "ghostty")

#: WSL terminals (Windows programs reached through interop) in the order they are tried.
WSL_ORDER = ("windows-terminal", "cmd")

#: The program each known terminal is run as (iTerm2 and Terminal are driven through osascript).
EXECUTABLES = {
    "xdg-terminal-exec": "xdg-terminal-exec",
    "wezterm": "wezterm",
    "kitty": "kitty",
    "alacritty": "alacritty",
    "ghostty": "ghostty",
    "gnome-terminal": "gnome-terminal",
    "konsole": "konsole",
    "xfce4-terminal": "xfce4-terminal",
    "foot": "foot",
    "x-terminal-emulator": "x-terminal-emulator",
    "xterm": "xterm",
    "iterm2": "osascript",
    "terminal": "osascript",
    "windows-terminal": "wt.exe",
    "cmd": "cmd.exe",
}

#: macOS application bundles, opened with ``open -na APP --args ...`` when the CLI is not on PATH.
MACOS_APPS = {
    "wezterm": "WezTerm",
    "iterm2": "iTerm",
    "terminal": "Terminal",
    "kitty": "kitty",
    "alacritty": "Alacritty",
    "ghostty": "Ghostty",
}

#: Where macOS applications are looked for.
MACOS_APP_DIRS = (
    "/Applications",
    "/Applications/Utilities",
    "/System/Applications",
    "/System/Applications/Utilities",
    "~/Applications",
)

#: Other spellings of known names: settings, $TERM_PROGRAM / $LC_TERMINAL values, process names.
ALIASES = {
    "iterm": "iterm2",
    "iterm.app": "iterm2",
    "apple_terminal": "terminal",
    "apple-terminal": "terminal",
    "terminal.app": "terminal",
    "wt": "windows-terminal",
    "wt.exe": "windows-terminal",
    "windowsterminal": "windows-terminal",
    "cmd.exe": "cmd",
    "wezterm-gui": "wezterm",
    "gnome-terminal-server": "gnome-terminal",
    "xterm-kitty": "kitty",
}

#: Terminals that need an X11 or Wayland display.
_NEEDS_DISPLAY = frozenset(LINUX_ORDER) | {"ghostty"}

#: cmd.exe re-parses its command line: only such plain words are passed to it.
_CMD_SAFE = re.compile(r"[A-Za-z0-9_.:/=+@,-]*")

#: Seconds a focus helper (osascript, wezterm cli, kitten, wmctrl, xdotool) may take.
HELPER_TIMEOUT = 10.0

ITERM2_OPEN_SCRIPT = """\
on run argv
	set commandLine to ""
	repeat with anArgument in argv
		set commandLine to commandLine & quoted form of (contents of anArgument) & " "
	end repeat
	tell application "iTerm2"
		create window with default profile command commandLine
		activate
	end tell
end run
"""

TERMINAL_OPEN_SCRIPT = """\
on run argv
	set commandLine to "exec"
	repeat with anArgument in argv
		set commandLine to commandLine & " " & quoted form of (contents of anArgument)
	end repeat
	tell application "Terminal"
		do script commandLine
		activate
	end tell
end run
"""

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


class NoTerminal(Exception):
    """No terminal can be opened here; the message says why (it becomes the result's ``reason``)."""


@dataclass(frozen=True)
class TerminalResult:
    """What :meth:`ClaudeSessions.attach` did: opened a terminal, focused one, or neither and why."""

    launched: bool
    focused: bool
    terminal: str | None
    attach_command: str
    reason: str | None = None
    #: Process id of the program that was started (its process session id too); not part of the JSON.
    pid: int | None = field(default=None, compare=False)
    #: The argv that was started, for logs and tests; not part of the JSON.
    argv: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The result as the REST API, the CLI's ``--json`` and the widget show it."""
        return {
            "launched": self.launched,
            "focused": self.focused,
            "terminal": self.terminal,
            "attach_command": self.attach_command,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Host:
    """What detection looks at: platform, environment (PATH included), /proc/version, app folders."""

    platform: str
    environ: Mapping[str, str]
    proc_version: str = ""
    app_dirs: tuple[str, ...] = MACOS_APP_DIRS

    @classmethod
    def current(cls) -> Host:
        """This machine, as the process sees it now."""
        try:
            proc_version = Path("/proc/version").read_text(errors="replace")
        except OSError:
            proc_version = ""
        return cls(platform=sys.platform, environ=dict(os.environ), proc_version=proc_version)

    @property
    def is_macos(self) -> bool:
        """True on macOS."""
        return self.platform == "darwin"

    @property
    def is_wsl(self) -> bool:
        """True inside the Windows Subsystem for Linux."""
        return bool(self.environ.get("WSL_DISTRO_NAME")) or "microsoft" in self.proc_version.lower()

    @property
    def has_display(self) -> bool:
        """True when an X11 or Wayland display is set."""
        return bool(self.environ.get("DISPLAY") or self.environ.get("WAYLAND_DISPLAY"))

    def which(self, program: str) -> str | None:
        """``program`` looked up on this host's PATH (an absolute path is checked as is)."""
        return shutil.which(program, path=self.environ.get("PATH", os.defpath))

    def app(self, name: str) -> str | None:
        """Path of the macOS application bundle ``name.app``, if installed."""
        for folder in self.app_dirs:
            bundle = Path(folder).expanduser() / f"{name}.app"
            if bundle.is_dir():
                return str(bundle)
        return None

    def child_environment(self) -> dict[str, str]:
        """Environment for the programs started here: no outer tmux, no nested-Claude marker."""
        return {k: v for k, v in self.environ.items() if k not in SCRUBBED_ENVIRONMENT}

    def runtime_dir(self) -> Path:
        """A private folder (mode 0700) for sockets of the terminals we open."""
        base = self.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
        suffix = "" if self.environ.get("XDG_RUNTIME_DIR") else f"-{os.getuid()}"
        return Path(base) / f"jupyter-claude{suffix}"


@dataclass(frozen=True)
class Terminal:
    """A terminal program that can be opened attached to a session."""

    #: Known name ("xterm", "iterm2", "windows-terminal", ...) or the program's name for templates.
    name: str
    #: Absolute path of what is run: the terminal, osascript, or ``open`` for a macOS app.
    program: str
    #: macOS: the app is opened with ``open -na APP --args ...`` (its CLI is not on PATH).
    via_app: bool = False
    #: A ``terminal`` setting's argv template (with the word ``{attach}``), when it is one.
    template: tuple[str, ...] = ()


@dataclass(frozen=True)
class Launch:
    """The argv that opens a terminal, and the script fed to its stdin (osascript only)."""

    argv: list[str]
    stdin: str | None = None


@dataclass(frozen=True)
class Client:
    """A GUI tmux client attached to a session."""

    pid: int
    tty: str


# -- detection ---------------------------------------------------------------------------------


def canonical_name(name: str) -> str:
    """The known terminal name for a setting, hint or process name (lower case, aliases resolved)."""
    key = Path(name.strip()).name.lower()
    if key.startswith("iterm"):
        return "iterm2"
    return ALIASES.get(key, key)


def detect_terminal(setting: str, host: Host) -> Terminal:
    """The terminal to open on ``host``: the setting when given, else the first one available.

    Raises :class:`NoTerminal` with the reason when none can be opened, and
    :class:`~jupyter_claude.errors.InvalidSetting` when the setting is unusable.
    """
    if setting.strip():
        return configured_terminal(setting, host)
    if host.platform == "win32":
        raise NoTerminal("tmux does not run on native Windows: run Jupyter inside WSL")
    if host.is_wsl:
        for name in WSL_ORDER:
            found = known_terminal(name, host)
            if found is not None:
                return found
    if host.is_macos:
        for name in (*macos_hints(host), *MACOS_ORDER):
            found = known_terminal(name, host)
            if found is not None:
                return found
        raise NoTerminal("no terminal app found (looked for " + ", ".join(MACOS_APPS.values()) + ")")
    if not host.has_display:
        where = " and neither wt.exe nor cmd.exe is on PATH" if host.is_wsl else ""
        raise NoTerminal(f"no display (DISPLAY and WAYLAND_DISPLAY are unset){where}")
    from_variable = terminal_from_variable(host)
    if from_variable is not None:
        return from_variable
    for name in LINUX_ORDER:
        found = known_terminal(name, host)
        if found is not None:
            return found
    raise NoTerminal("no terminal found on PATH (looked for $TERMINAL, " + ", ".join(LINUX_ORDER) + ")")


def configured_terminal(setting: str, host: Host) -> Terminal:
    """The terminal named by the ``terminal`` setting: a known name or an argv template."""
    try:
        words = shlex.split(setting)
    except ValueError as error:
        raise InvalidSetting(f"terminal setting {setting!r}: {error}") from error
    if ATTACH in words:
        if words.count(ATTACH) != 1 or words[0] == ATTACH:
            raise InvalidSetting(f"terminal setting {setting!r}: {ATTACH} must come once, after the program")
        program = host.which(words[0])
        if program is None:
            raise NoTerminal(f"{words[0]!r} (from the terminal setting) is not on PATH")
        return Terminal(name=Path(words[0]).name, program=program, template=tuple(words))
    if any(ATTACH in word for word in words):
        raise InvalidSetting(f"terminal setting {setting!r}: {ATTACH} must be a word of its own")
    name = canonical_name(words[0]) if len(words) == 1 else ""
    if name not in EXECUTABLES:
        raise InvalidSetting(
            f"terminal setting {setting!r} is neither a known terminal ({', '.join(sorted(EXECUTABLES))}) "
            f"nor an argv template with the word {ATTACH}, such as 'foot --title claude {ATTACH}'"
        )
    if name in _NEEDS_DISPLAY and not host.is_macos and not host.has_display:
        raise NoTerminal(f"no display for {name} (DISPLAY and WAYLAND_DISPLAY are unset)")
    given = words[0] if os.sep in words[0] else None
    found = known_terminal(name, host, program=given)
    if found is None:
        raise NoTerminal(f"terminal {name!r} is set but not installed")
    return found


def known_terminal(name: str, host: Host, program: str | None = None) -> Terminal | None:
    """The known terminal ``name`` if installed on ``host`` (``program``: a path given for it)."""
    if name in ("iterm2", "terminal"):
        osascript = host.which("osascript")
        if osascript is None or host.app(MACOS_APPS[name]) is None:
            return None
        return Terminal(name=name, program=osascript)
    # Ghostty's CLI cannot open windows on macOS: always go through the app there.
    on_path = None if host.is_macos and name == "ghostty" else host.which(program or EXECUTABLES[name])
    if on_path is not None:
        return Terminal(name=name, program=on_path)
    if host.is_macos and name in MACOS_APPS and host.app(MACOS_APPS[name]) is not None:
        opener = host.which("open")
        if opener is not None:
            return Terminal(name=name, program=opener, via_app=True)
    return None


def macos_hints(host: Host) -> list[str]:
    """Known terminals named by ``$TERM_PROGRAM`` and ``$LC_TERMINAL`` (the one Jupyter runs in)."""
    hints = []
    for variable in ("TERM_PROGRAM", "LC_TERMINAL"):
        name = canonical_name(host.environ.get(variable, "") or "-")
        if name in MACOS_APPS and name not in hints:
            hints.append(name)
    return hints


def terminal_from_variable(host: Host) -> Terminal | None:
    """The terminal named by ``$TERMINAL``, if it is on PATH."""
    value = host.environ.get("TERMINAL", "").strip()
    program = host.which(value) if value else None
    if program is None:
        return None
    name = canonical_name(value)
    return Terminal(name=name if name in EXECUTABLES else Path(value).name, program=program)


# -- launching ---------------------------------------------------------------------------------


def launch_command(terminal: Terminal, attach: Sequence[str], title: str, host: Host) -> Launch:
    """The argv (and osascript's stdin) that opens ``terminal`` running ``attach``.

    ``title`` is the session name; it is also what tmux's ``set-titles`` puts in the title bar.
    """
    attach = list(attach)
    if terminal.template:
        at = terminal.template.index(ATTACH)
        return Launch([terminal.program, *terminal.template[1:at], *attach, *terminal.template[at + 1 :]])
    name, program = terminal.name, terminal.program
    if name == "iterm2":
        return Launch([program, "-", *attach], ITERM2_OPEN_SCRIPT)
    if name == "terminal":
        return Launch([program, "-", *attach], TERMINAL_OPEN_SCRIPT)
    if name in WSL_ORDER:
        return _windows_launch(terminal, attach, title, host)
    args = terminal_arguments(name, attach, title, host)
    if terminal.via_app:
        return Launch([program, "-na", MACOS_APPS[name], "--args", *args])
    return Launch([program, *args])


def terminal_arguments(name: str, attach: list[str], title: str, host: Host) -> list[str]:
    """The arguments after the program that make terminal ``name`` run ``attach``."""
    if name == "wezterm":
        return ["start", "--", *attach]
    if name == "kitty":
        # Remote control on a private socket of this window only: lets focus_client find it later.
        return [
            "-o", "allow_remote_control=socket-only",
            "--listen-on", f"unix:{kitty_socket(title, host)}",
            *attach,
        ]  # fmt: skip
    if name == "gnome-terminal":
        return ["--", *attach]
    if name == "xfce4-terminal":
        # Its default title is "Terminal - <title>": let tmux's title stand alone, for focus by title.
        return ["--dynamic-title-mode=replace", "-x", *attach]
    if name in ("foot", "xdg-terminal-exec"):
        return attach
    if name == "xterm":
        return ["-T", title, "-e", *attach]
    # alacritty, ghostty, konsole, x-terminal-emulator and any $TERMINAL: the common -e convention.
    return ["-e", *attach]


def _windows_launch(terminal: Terminal, attach: list[str], title: str, host: Host) -> Launch:
    distro = host.environ.get("WSL_DISTRO_NAME", "")
    wsl = ["wsl.exe", *(["-d", distro] if distro else []), "--exec", *attach]
    if terminal.name == "windows-terminal":
        argv = [terminal.program, "-w", "0", "nt", "--title", title, *wsl]
        if any(";" in word for word in argv):
            raise NoTerminal("an argument contains ';', which wt.exe takes as a command separator")
        return Launch(argv)
    unsafe = [word for word in wsl if not _CMD_SAFE.fullmatch(word)]
    if unsafe:
        raise NoTerminal(f"cmd.exe would re-parse {unsafe[0]!r}: use a plain tmux socket name")
    # `start` takes its first quoted argument as the window title: give it an empty one.
    return Launch([terminal.program, "/c", "start", "", *wsl])


def kitty_socket(session_name: str, host: Host) -> str:
    """Remote-control socket of the kitty window we open for ``session_name``."""
    return str(host.runtime_dir() / f"kitty-{session_name}")


def spawn_detached(
    argv: Sequence[str], env: Mapping[str, str], stdin: str | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own process session, stdio on /dev/null (stdin: ``stdin`` if given).

    The process outlives the caller; a daemon thread reaps it when it exits.
    """
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
    )
    if stdin is not None and process.stdin is not None:
        try:
            process.stdin.write(stdin.encode())
        except BrokenPipeError:
            pass
        finally:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass
    threading.Thread(target=process.wait, name=f"jupyter-claude-reap-{process.pid}", daemon=True).start()
    return process


# -- focusing ----------------------------------------------------------------------------------


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


def _run(argv: Sequence[str | None], host: Host, stdin: str | None = None) -> str | None:
    """stdout of a short helper command, or None when it failed, hung or is missing."""
    words = [word for word in argv if word is not None]
    try:
        done = subprocess.run(
            words,
            input=stdin.encode() if stdin is not None else None,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            env=host.child_environment(),
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode(errors="replace")


# -- the whole step ----------------------------------------------------------------------------


def open_terminal(
    server: TmuxServer,
    session_name: str,
    *,
    attached: int = 0,
    new_window: bool = False,
    headless: bool = False,
    setting: str = "",
    host: Host | None = None,
) -> TerminalResult:
    """Open the user's terminal attached to ``session_name``, or focus the one already attached.

    ``attached`` is the number of GUI clients the caller saw; ``new_window`` opens another window
    anyway; ``headless`` never opens one. "No GUI here" is a result with a reason, not an error.
    """
    host = host or Host.current()
    attach = server.attach_argv(session_name)
    attach_command = shlex.join(attach)
    if headless:
        return TerminalResult(False, False, None, attach_command, "headless mode: no terminal is opened")
    terminal: Terminal | None = None
    reason = None
    try:
        terminal = detect_terminal(setting, host)
    except NoTerminal as error:
        reason = str(error)
    clients = gui_clients(server, session_name) if attached and not new_window else []
    if clients:
        focused, name = focus_client(session_name, clients, terminal, host)
        if focused:
            return TerminalResult(False, True, name, attach_command)
        return TerminalResult(
            False, False, terminal.name if terminal else None, attach_command,
            f"{session_name} is already attached in a terminal that could not be brought to the front"
            " (ask for a new window to open another)",
        )  # fmt: skip
    if terminal is None:
        return TerminalResult(False, False, None, attach_command, reason)
    # The terminal may not share our PATH (a macOS app, a D-Bus activated server): run tmux by path.
    try:
        launch = launch_command(terminal, [server.binary(), *attach[1:]], session_name, host)
        if terminal.name == "kitty" and not terminal.template:
            _private_dir(host.runtime_dir())
    except NoTerminal as error:
        return TerminalResult(False, False, terminal.name, attach_command, str(error))
    home = host.environ.get("HOME", "")
    try:
        process = spawn_detached(
            launch.argv, host.child_environment(), launch.stdin, cwd=home if os.path.isdir(home) else "/"
        )
    except OSError as error:
        reason = f"could not start {terminal.name}: {error}"
        return TerminalResult(False, False, terminal.name, attach_command, reason)
    argv = tuple(launch.argv)
    return TerminalResult(True, False, terminal.name, attach_command, pid=process.pid, argv=argv)


def _private_dir(path: Path) -> None:
    """Create ``path`` readable by its owner only (it holds remote-control sockets)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid != os.getuid():
        raise NoTerminal(f"{path} belongs to another user")
