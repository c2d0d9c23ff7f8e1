"""The user's own terminal: open one attached to a task's tmux session, or bring it to the front.

This is the terminal half of ``ClaudeSessions.attach``.
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

import os
import re
import shlex
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidSetting
from .focus import focus_client, gui_clients
from .host import EXECUTABLES, MACOS_APPS, Host, Terminal, canonical_name, kitty_socket
from .tmux import TmuxServer

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


#: Terminals that need an X11 or Wayland display.
_NEEDS_DISPLAY = frozenset(LINUX_ORDER) | {"ghostty"}

#: cmd.exe re-parses its command line: only such plain words are passed to it.
_CMD_SAFE = re.compile(r"[A-Za-z0-9_.:/=+@,-]*")


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
class Launch:
    """The argv that opens a terminal, and the script fed to its stdin (osascript only)."""

    argv: list[str]
    stdin: str | None = None


# -- detection ---------------------------------------------------------------------------------


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
