"""The machine a terminal is opened on: platform, environment, app folders, and short helper runs.

:class:`Host` is what terminal detection and focusing look at (tests pass a made-up one);
:func:`run_helper` runs a short helper program (osascript, wezterm cli, kitten, wmctrl, xdotool)
and never hangs or raises.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .tmux import SCRUBBED_ENVIRONMENT

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

#: Where macOS applications are looked for.
MACOS_APP_DIRS = (
    "/Applications",
    "/Applications/Utilities",
    "/System/Applications",
    "/System/Applications/Utilities",
    "~/Applications",
)


#: Seconds a focus helper (osascript, wezterm cli, kitten, wmctrl, xdotool) may take.
HELPER_TIMEOUT = 10.0


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
class Client:
    """A GUI tmux client attached to a session."""

    pid: int
    tty: str


def kitty_socket(session_name: str, host: Host) -> str:
    """Remote-control socket of the kitty window we open for ``session_name``."""
    return str(host.runtime_dir() / f"kitty-{session_name}")


def run_helper(argv: Sequence[str | None], host: Host, stdin: str | None = None) -> str | None:
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


def canonical_name(name: str) -> str:
    """The known terminal name for a setting, hint or process name (lower case, aliases resolved)."""
    key = Path(name.strip()).name.lower()
    if key.startswith("iterm"):
        return "iterm2"
    return ALIASES.get(key, key)
