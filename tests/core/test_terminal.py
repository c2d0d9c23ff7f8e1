"""Opening the user's terminal: detection, the exact argv of every terminal, focus, headless.

Every terminal here is a fake program on a private PATH that records its argv, stdin, process
session and stdio (see terminal_fakes.py); the tmux session behind it is real, on the test's
private socket. Real GUI terminals under Xvfb are in test_terminal_real.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude.core.errors import InvalidSetting, InvalidTaskId, SessionNotFound
from jupyter_claude.core.focus import ITERM2_FOCUS_SCRIPT, TERMINAL_FOCUS_SCRIPT
from jupyter_claude.core.host import Host, Terminal
from jupyter_claude.core.manager import ClaudeSessions
from jupyter_claude.core.terminal import (
    ITERM2_OPEN_SCRIPT,
    TERMINAL_OPEN_SCRIPT,
    NoTerminal,
    TerminalResult,
    detect_terminal,
    launch_command,
    open_terminal,
    spawn_detached,
)

from ..support.terminals import FakePrograms, kill_process_session

#: An id whose letters cannot turn up by chance in a socket name or a path (they are not hex).
TASK = "Qz9"
NAME = f"claude-{TASK}"
LINUX = "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14))"
WSL = "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0)"


@pytest.fixture
def fakes(tmp_path: Path) -> FakePrograms:
    """An empty folder of fake programs."""
    return FakePrograms(tmp_path / "fakes")


def make_host(
    fakes: FakePrograms,
    platform: str = "linux",
    env: dict[str, str] | None = None,
    programs: tuple[str, ...] = (),
    apps: tuple[str, ...] = (),
    proc_version: str = LINUX,
) -> Host:
    """A host whose PATH holds only the given fake programs and whose app folder the given apps."""
    for program in programs:
        if not (fakes.bin / program).exists():
            fakes.add(program)
    app_root = fakes.bin.parent / "Applications"
    app_root.mkdir(exist_ok=True)
    for app in apps:
        (app_root / f"{app}.app").mkdir(exist_ok=True)
    home = fakes.bin.parent / "home"
    home.mkdir(exist_ok=True)
    environ = {"PATH": fakes.path, "HOME": str(home), **(env or {})}
    return Host(platform=platform, environ=environ, proc_version=proc_version, app_dirs=(str(app_root),))


def use_host(monkeypatch: pytest.MonkeyPatch, host: Host) -> None:
    """Make ClaudeSessions.attach see ``host`` instead of this machine."""
    monkeypatch.setattr(Host, "current", classmethod(lambda cls: host))


def attach_argv(tmux_socket: str) -> list[str]:
    """What every terminal is asked to run: the real tmux, by path, on the test's socket."""
    tmux = shutil.which("tmux")
    assert tmux
    return [tmux, "-L", tmux_socket, "attach-session", "-t", f"={NAME}"]


def assert_id_isolated(words: list[str], script: str | None = None) -> None:
    """The id reaches a program only inside an argv element of its own, never a command string."""
    for word in words:
        if TASK in word:
            assert word in (NAME, f"={NAME}", f"title:^{NAME}$") or word.endswith(f"/kitty-{NAME}"), word
            assert " " not in word and ";" not in word
    if script is not None:
        assert TASK not in script and "claude-" not in script


def assert_detached(record: dict[str, Any], stdin_is_pipe: bool = False) -> None:
    """The program runs in its own process session with its output on /dev/null."""
    assert record["sid"] == record["pid"]
    assert record["stdio"][1:] == ["/dev/null", "/dev/null"]
    if not stdin_is_pipe:
        assert record["stdio"][0] == "/dev/null"


# -- detection ---------------------------------------------------------------------------------

MAC_APPS_ALL = ("WezTerm", "iTerm", "Terminal", "kitty", "Alacritty", "Ghostty")
MAC_TOOLS = ("osascript", "open")
X11 = {"DISPLAY": ":99"}
WAYLAND = {"WAYLAND_DISPLAY": "wayland-0"}

DETECTION_CASES: list[tuple[str, str, dict[str, str], tuple[str, ...], tuple[str, ...], str, str]] = [
    # id, platform, environment, on PATH, macOS apps, /proc/version, expected name or "!reason"
    ("linux-xterm-only", "linux", X11, ("xterm",), (), LINUX, "xterm"),
    ("linux-gnome-before-xterm", "linux", X11, ("xterm", "gnome-terminal"), (), LINUX, "gnome-terminal"),
    (
        "linux-order",
        "linux",
        X11,
        ("xterm", "gnome-terminal", "alacritty", "kitty", "wezterm"),
        (),
        LINUX,
        "wezterm",
    ),
    ("linux-kitty-before-alacritty", "linux", X11, ("alacritty", "kitty", "konsole"), (), LINUX, "kitty"),
    ("linux-konsole", "linux", X11, ("konsole", "xfce4-terminal", "foot"), (), LINUX, "konsole"),
    ("linux-xfce", "linux", X11, ("xfce4-terminal", "foot", "xterm"), (), LINUX, "xfce4-terminal"),
    (
        "linux-x-terminal-emulator",
        "linux",
        X11,
        ("x-terminal-emulator", "xterm"),
        (),
        LINUX,
        "x-terminal-emulator",
    ),
    (
        "linux-xdg-terminal-exec-first",
        "linux",
        X11,
        ("xdg-terminal-exec", "wezterm"),
        (),
        LINUX,
        "xdg-terminal-exec",
    ),
    ("linux-wayland-foot", "linux", WAYLAND, ("foot", "xterm"), (), LINUX, "foot"),
    ("linux-TERMINAL-known", "linux", {**X11, "TERMINAL": "kitty"}, ("kitty", "wezterm"), (), LINUX, "kitty"),
    (
        "linux-TERMINAL-other",
        "linux",
        {**X11, "TERMINAL": "myterm"},
        ("myterm", "xterm"),
        (),
        LINUX,
        "myterm",
    ),
    ("linux-TERMINAL-missing", "linux", {**X11, "TERMINAL": "nosuch"}, ("xterm",), (), LINUX, "xterm"),
    ("linux-no-display", "linux", {}, ("xterm", "gnome-terminal"), (), LINUX, "!no display"),
    ("linux-nothing-installed", "linux", X11, (), (), LINUX, "!no terminal found"),
    (
        "linux-hint-ignored",
        "linux",
        {**X11, "TERM_PROGRAM": "WezTerm"},
        ("wezterm", "xterm"),
        (),
        LINUX,
        "wezterm",
    ),
    ("freebsd-xterm", "freebsd14", X11, ("xterm",), (), "", "xterm"),
    (
        "wsl-distro-env",
        "linux",
        {"WSL_DISTRO_NAME": "Ubuntu"},
        ("wt.exe", "cmd.exe"),
        (),
        LINUX,
        "windows-terminal",
    ),
    ("wsl-proc-version", "linux", {}, ("wt.exe",), (), WSL, "windows-terminal"),
    (
        "wsl-before-wslg",
        "linux",
        {**X11, "WSL_DISTRO_NAME": "Ubuntu"},
        ("wt.exe", "xterm"),
        (),
        WSL,
        "windows-terminal",
    ),
    ("wsl-cmd-without-wt", "linux", {"WSL_DISTRO_NAME": "Ubuntu"}, ("cmd.exe",), (), WSL, "cmd"),
    ("wsl-wslg-fallback", "linux", {**X11, "WSL_DISTRO_NAME": "Ubuntu"}, ("xterm",), (), WSL, "xterm"),
    (
        "wsl-nothing",
        "linux",
        {"WSL_DISTRO_NAME": "Ubuntu"},
        ("xterm",),
        (),
        WSL,
        "!neither wt.exe nor cmd.exe",
    ),
    ("wt-without-wsl", "linux", X11, ("wt.exe", "xterm"), (), LINUX, "xterm"),
    ("mac-hint-iterm", "darwin", {"TERM_PROGRAM": "iTerm.app"}, MAC_TOOLS, MAC_APPS_ALL, "", "iterm2"),
    (
        "mac-hint-lc-terminal",
        "darwin",
        {"TERM_PROGRAM": "tmux", "LC_TERMINAL": "iTerm2"},
        MAC_TOOLS,
        MAC_APPS_ALL,
        "",
        "iterm2",
    ),
    ("mac-hint-apple", "darwin", {"TERM_PROGRAM": "Apple_Terminal"}, MAC_TOOLS, MAC_APPS_ALL, "", "terminal"),
    ("mac-hint-ghostty", "darwin", {"TERM_PROGRAM": "ghostty"}, MAC_TOOLS, MAC_APPS_ALL, "", "ghostty"),
    ("mac-hint-kitty", "darwin", {"TERM_PROGRAM": "kitty"}, MAC_TOOLS, MAC_APPS_ALL, "", "kitty"),
    (
        "mac-hint-not-installed",
        "darwin",
        {"TERM_PROGRAM": "WezTerm"},
        MAC_TOOLS,
        ("iTerm", "Terminal"),
        "",
        "iterm2",
    ),
    (
        "mac-hint-vscode-ignored",
        "darwin",
        {"TERM_PROGRAM": "vscode"},
        MAC_TOOLS,
        ("Terminal",),
        "",
        "terminal",
    ),
    ("mac-wezterm-first", "darwin", {}, MAC_TOOLS, MAC_APPS_ALL, "", "wezterm"),
    ("mac-wezterm-on-path", "darwin", {}, (*MAC_TOOLS, "wezterm"), ("Terminal",), "", "wezterm"),
    ("mac-iterm-before-terminal", "darwin", {}, MAC_TOOLS, ("iTerm", "Terminal", "kitty"), "", "iterm2"),
    (
        "mac-terminal-before-kitty",
        "darwin",
        {},
        MAC_TOOLS,
        ("Terminal", "kitty", "Alacritty"),
        "",
        "terminal",
    ),
    ("mac-kitty-without-terminal", "darwin", {}, (*MAC_TOOLS, "kitty"), (), "", "kitty"),
    ("mac-alacritty-app", "darwin", {}, MAC_TOOLS, ("Alacritty", "Ghostty"), "", "alacritty"),
    ("mac-no-display-needed", "darwin", {}, MAC_TOOLS, ("Ghostty",), "", "ghostty"),
    ("mac-nothing", "darwin", {}, MAC_TOOLS, (), "", "!no terminal app found"),
    ("windows-native", "win32", {}, ("wt.exe",), (), "", "!native Windows"),
]


@pytest.mark.parametrize(
    ("platform", "env", "programs", "apps", "proc_version", "expected"),
    [case[1:] for case in DETECTION_CASES],
    ids=[case[0] for case in DETECTION_CASES],
)
def test_detection(
    fakes: FakePrograms,
    platform: str,
    env: dict[str, str],
    programs: tuple[str, ...],
    apps: tuple[str, ...],
    proc_version: str,
    expected: str,
) -> None:
    host = make_host(fakes, platform, env, programs, apps, proc_version)
    if expected.startswith("!"):
        with pytest.raises(NoTerminal, match=expected[1:]):
            detect_terminal("", host)
        return
    assert detect_terminal("", host).name == expected


SETTING_CASES: list[tuple[str, str, dict[str, str], tuple[str, ...], tuple[str, ...], str]] = [
    # id, setting, environment, on PATH, macOS apps (platform linux unless apps given), expected
    ("name-wins-over-detection", "xterm", X11, ("gnome-terminal", "xterm"), (), "xterm"),
    ("alias", "Terminal.app", {}, MAC_TOOLS, ("Terminal", "iTerm"), "terminal"),
    ("iterm-alias", "iTerm", {}, MAC_TOOLS, ("Terminal", "iTerm"), "iterm2"),
    ("wt-alias", "wt", {}, ("wt.exe",), (), "windows-terminal"),
    ("template", "mywrap --x {attach}", {}, ("mywrap",), (), "mywrap"),
    ("template-needs-no-display", "mywrap {attach}", {}, ("mywrap",), (), "mywrap"),
    ("known-not-installed", "kitty", X11, ("xterm",), (), "!'kitty' is set but not installed"),
    ("known-without-display", "xterm", {}, ("xterm",), (), "!no display"),
    ("template-program-missing", "nosuch {attach}", X11, ("xterm",), (), "!not on PATH"),
]


@pytest.mark.parametrize(
    ("setting", "env", "programs", "apps", "expected"),
    [case[1:] for case in SETTING_CASES],
    ids=[case[0] for case in SETTING_CASES],
)
def test_setting_chooses_the_terminal(
    fakes: FakePrograms,
    setting: str,
    env: dict[str, str],
    programs: tuple[str, ...],
    apps: tuple[str, ...],
    expected: str,
) -> None:
    host = make_host(fakes, "darwin" if apps else "linux", env, programs, apps)
    if expected.startswith("!"):
        with pytest.raises(NoTerminal, match=expected[1:]):
            detect_terminal(setting, host)
        return
    assert detect_terminal(setting, host).name == expected


def test_known_name_given_as_a_path(fakes: FakePrograms, tmp_path: Path) -> None:
    elsewhere = FakePrograms(tmp_path / "elsewhere")
    program = elsewhere.add("wezterm")
    host = make_host(fakes, "linux", X11, ("xterm",))
    assert detect_terminal(program, host) == Terminal(name="wezterm", program=program)


@pytest.mark.parametrize(
    "setting",
    [
        "no-such-terminal",
        "xterm -e",
        "--cmd={attach}",
        "{attach} xterm",
        "a {attach} b {attach}",
        "'unclosed",
    ],
)
def test_unusable_setting_is_an_error(fakes: FakePrograms, setting: str) -> None:
    host = make_host(fakes, "linux", X11, ("xterm", "a"))
    with pytest.raises(InvalidSetting):
        detect_terminal(setting, host)


# -- the exact argv of every terminal, launched for real as fakes ------------------------------

ATTACH = "ATTACH"
KITTY = ["-o", "allow_remote_control=socket-only", "--listen-on", f"unix:RUN/jupyter-claude/kitty-{NAME}"]


def launch_case(
    case_id: str,
    platform: str,
    env: dict[str, str],
    programs: tuple[str, ...],
    argv: list[str],
    apps: tuple[str, ...] = (),
    setting: str = "",
    stdin: str | None = None,
) -> Any:
    """One row: the host, the setting, and the exact argv (BIN/ = the fakes, ATTACH spliced in)."""
    return pytest.param(platform, env, programs, apps, setting, argv, stdin, id=case_id)


UBUNTU = {"WSL_DISTRO_NAME": "Ubuntu-24.04"}
WT_NEW_TAB = ["BIN/wt.exe", "-w", "0", "nt", "--title", NAME, "wsl.exe"]

LAUNCH_CASES = [
    launch_case("xterm", "linux", X11, ("xterm",), ["BIN/xterm", "-T", NAME, "-e", ATTACH]),
    launch_case("gnome-terminal", "linux", X11, ("gnome-terminal",), ["BIN/gnome-terminal", "--", ATTACH]),
    launch_case("konsole", "linux", X11, ("konsole",), ["BIN/konsole", "-e", ATTACH]),
    launch_case(
        "xfce4-terminal",
        "linux",
        X11,
        ("xfce4-terminal",),
        ["BIN/xfce4-terminal", "--dynamic-title-mode=replace", "-x", ATTACH],
    ),
    launch_case("foot", "linux", WAYLAND, ("foot",), ["BIN/foot", ATTACH]),
    launch_case("alacritty", "linux", X11, ("alacritty",), ["BIN/alacritty", "-e", ATTACH]),
    launch_case(
        "ghostty-linux", "linux", X11, ("ghostty",), ["BIN/ghostty", "-e", ATTACH], setting="ghostty"
    ),
    launch_case("kitty", "linux", X11, ("kitty",), ["BIN/kitty", *KITTY, ATTACH]),
    launch_case("wezterm", "linux", X11, ("wezterm",), ["BIN/wezterm", "start", "--", ATTACH]),
    launch_case(
        "x-terminal-emulator",
        "linux",
        X11,
        ("x-terminal-emulator",),
        ["BIN/x-terminal-emulator", "-e", ATTACH],
    ),
    launch_case("xdg-terminal-exec", "linux", X11, ("xdg-terminal-exec",), ["BIN/xdg-terminal-exec", ATTACH]),
    launch_case(
        "TERMINAL", "linux", {**X11, "TERMINAL": "myterm"}, ("myterm",), ["BIN/myterm", "-e", ATTACH]
    ),
    launch_case(
        "template",
        "linux",
        {},
        ("mywrap",),
        ["BIN/mywrap", "--a", "b c", ATTACH, "--z"],
        setting="mywrap --a 'b c' {attach} --z",
    ),
    launch_case(
        "iterm2",
        "darwin",
        {},
        MAC_TOOLS,
        ["BIN/osascript", "-", ATTACH],
        ("iTerm",),
        stdin=ITERM2_OPEN_SCRIPT,
    ),
    launch_case(
        "apple-terminal",
        "darwin",
        {},
        MAC_TOOLS,
        ["BIN/osascript", "-", ATTACH],
        ("Terminal",),
        stdin=TERMINAL_OPEN_SCRIPT,
    ),
    launch_case(
        "wezterm-app",
        "darwin",
        {},
        MAC_TOOLS,
        ["BIN/open", "-na", "WezTerm", "--args", "start", "--", ATTACH],
        ("WezTerm",),
    ),
    launch_case(
        "wezterm-mac-cli",
        "darwin",
        {},
        (*MAC_TOOLS, "wezterm"),
        ["BIN/wezterm", "start", "--", ATTACH],
        ("WezTerm",),
    ),
    launch_case(
        "kitty-app",
        "darwin",
        {},
        MAC_TOOLS,
        ["BIN/open", "-na", "kitty", "--args", *KITTY, ATTACH],
        ("kitty",),
    ),
    launch_case(
        "alacritty-app",
        "darwin",
        {},
        MAC_TOOLS,
        ["BIN/open", "-na", "Alacritty", "--args", "-e", ATTACH],
        ("Alacritty",),
    ),
    launch_case(
        "ghostty-app",
        "darwin",
        {},
        (*MAC_TOOLS, "ghostty"),
        ["BIN/open", "-na", "Ghostty", "--args", "-e", ATTACH],
        ("Ghostty",),
    ),
    launch_case(
        "windows-terminal",
        "linux",
        UBUNTU,
        ("wt.exe", "cmd.exe"),
        [*WT_NEW_TAB, "-d", "Ubuntu-24.04", "--exec", ATTACH],
    ),
    launch_case("windows-terminal-no-distro", "linux", {}, ("wt.exe",), [*WT_NEW_TAB, "--exec", ATTACH]),
    launch_case(
        "cmd-start",
        "linux",
        UBUNTU,
        ("cmd.exe",),
        ["BIN/cmd.exe", "/c", "start", "", "wsl.exe", "-d", "Ubuntu-24.04", "--exec", ATTACH],
    ),
]


@pytest.mark.parametrize(
    ("platform", "env", "programs", "apps", "setting", "expected", "stdin"), LAUNCH_CASES
)
def test_launch_argv(
    manager: ClaudeSessions,
    tmux_socket: str,
    fakes: FakePrograms,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    env: dict[str, str],
    programs: tuple[str, ...],
    apps: tuple[str, ...],
    setting: str,
    expected: list[str],
    stdin: str | None,
) -> None:
    run_dir = tmp_path / "run"
    proc_version = WSL if "wt.exe" in programs or "cmd.exe" in programs else LINUX
    host = make_host(fakes, platform, {**env, "XDG_RUNTIME_DIR": str(run_dir)}, programs, apps, proc_version)
    use_host(monkeypatch, host)
    manager.terminal = setting
    manager.start(TASK)

    result = manager.attach(TASK)

    program = Path(expected[0].replace("BIN/", ""))
    assert result.launched and not result.focused and result.reason is None
    assert result.terminal is not None
    assert result.attach_command == f"tmux -L {tmux_socket} attach-session -t ={NAME}"
    want: list[str] = []
    for word in expected:
        if word == ATTACH:
            want.extend(attach_argv(tmux_socket))
        else:
            want.append(word.replace("BIN/", fakes.path + "/").replace("RUN/", str(run_dir) + "/"))
    [record] = fakes.wait_for(program.name)
    assert record["argv"] == want
    assert list(result.argv) == want and record["pid"] == result.pid
    assert record["stdin"] == (stdin or "")
    assert_id_isolated(record["argv"], stdin)
    assert_detached(record, stdin_is_pipe=stdin is not None)
    assert record["cwd"] == host.environ["HOME"]
    if "kitty" in programs or "kitty" in apps:
        assert (run_dir / "jupyter-claude").stat().st_mode & 0o777 == 0o700


def test_osascript_gets_each_value_as_its_own_argv_item(fakes: FakePrograms) -> None:
    """A hostile-looking socket name stays one argv item; the script text never changes."""
    host = make_host(fakes, "darwin", {}, MAC_TOOLS, ("iTerm",))
    attach = [
        "/opt/homebrew/bin/tmux",
        "-S",
        '/tmp/a b"; do shell script "x',
        "attach-session",
        "-t",
        f"={NAME}",
    ]
    for name, script in (("iterm2", ITERM2_OPEN_SCRIPT), ("terminal", TERMINAL_OPEN_SCRIPT)):
        launch = launch_command(Terminal(name, fakes.path + "/osascript"), attach, NAME, host)
        assert launch.argv == [fakes.path + "/osascript", "-", *attach]
        assert launch.stdin == script
        assert "on run argv" in script and "quoted form of" in script


def test_wt_never_gets_a_semicolon(fakes: FakePrograms) -> None:
    host = make_host(fakes, "linux", {"WSL_DISTRO_NAME": "Ubuntu"}, ("wt.exe",), (), WSL)
    terminal = detect_terminal("", host)
    with pytest.raises(NoTerminal, match="';'"):
        launch_command(
            terminal, ["/usr/bin/tmux", "-L", "a;b", "attach-session", "-t", f"={NAME}"], NAME, host
        )


@pytest.mark.parametrize("socket", ["a&b", "a|b", "a b", "a^b", "%x%", 'a"b', "a(b)"])
def test_cmd_gets_only_plain_words(fakes: FakePrograms, socket: str) -> None:
    host = make_host(fakes, "linux", {"WSL_DISTRO_NAME": "Ubuntu"}, ("cmd.exe",), (), WSL)
    terminal = detect_terminal("", host)
    with pytest.raises(NoTerminal, match=r"cmd\.exe would re-parse"):
        launch_command(
            terminal, ["/usr/bin/tmux", "-L", socket, "attach-session", "-t", f"={NAME}"], NAME, host
        )


def test_wt_refusal_is_a_result(
    manager: ClaudeSessions, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A value wt.exe would split becomes a reason, and nothing runs."""
    manager.tmux_socket = str(tmp_path / "sock;et")
    use_host(monkeypatch, make_host(fakes, "linux", {"WSL_DISTRO_NAME": "Ubuntu"}, ("wt.exe",), (), WSL))
    manager.start(TASK)
    try:
        result = manager.attach(TASK)
    finally:
        manager.tmux.run(["kill-server"])  # the tmux_socket fixture only knows its own socket
    assert not result.launched and "';'" in (result.reason or "")
    assert result.attach_command == f"tmux -S '{tmp_path}/sock;et' attach-session -t ={NAME}"
    time.sleep(0.2)
    assert fakes.calls("wt.exe") == []


# -- no GUI, headless, errors -------------------------------------------------------------------


def test_no_display_returns_the_attach_command(
    manager: ClaudeSessions, tmux_socket: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", {}, ("xterm",)))
    manager.start(TASK)
    result = manager.attach(TASK)
    assert result.to_json() == {
        "launched": False,
        "focused": False,
        "terminal": None,
        "attach_command": f"tmux -L {tmux_socket} attach-session -t ={NAME}",
        "reason": "no display (DISPLAY and WAYLAND_DISPLAY are unset)",
    }


def test_default_socket_attach_command(fakes: FakePrograms) -> None:
    """With the user's default tmux server the command is the one a person would type."""
    from jupyter_claude.core.tmux import TmuxServer

    result = open_terminal(TmuxServer(""), NAME, headless=True, host=make_host(fakes))
    assert result.attach_command == f"tmux attach-session -t ={NAME}"


@pytest.mark.parametrize(
    ("setting", "flag", "opens"), [(True, None, False), (False, True, False), (True, False, True)]
)
def test_headless(
    manager: ClaudeSessions,
    fakes: FakePrograms,
    monkeypatch: pytest.MonkeyPatch,
    setting: bool,
    flag: bool | None,
    opens: bool,
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm",)))
    manager.headless = setting
    manager.start(TASK)
    result = manager.attach(TASK, headless=flag)
    assert result.launched is opens
    if opens:
        fakes.wait_for("xterm")
    else:
        assert result.reason == "headless mode: no terminal is opened"
        time.sleep(0.2)
        assert fakes.calls("xterm") == []


def test_start_and_attach_is_run_everywhere(
    manager: ClaudeSessions, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one "Run" of REST, CLI and magic: start, then a terminal unless told not to."""
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm",)))
    session, terminal = manager.start_and_attach(TASK, attach=False)
    assert session.created and session.running and terminal is None
    again, terminal = manager.start_and_attach(TASK)
    assert not again.created and again.pid == session.pid
    assert terminal is not None and terminal.launched and terminal.terminal == "xterm"
    fakes.wait_for("xterm")
    _, quiet = manager.start_and_attach(TASK, headless=True)
    assert quiet is not None and not quiet.launched and quiet.reason == "headless mode: no terminal is opened"


def test_environment_variable_overrides_the_setting(
    manager: ClaudeSessions, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm", "foot")))
    manager.terminal = "xterm"
    monkeypatch.setenv("JUPYTER_CLAUDE_TERMINAL", "foot")
    manager.start(TASK)
    assert manager.attach(TASK).terminal == "foot"
    fakes.wait_for("foot")


def test_missing_session_is_an_error(
    manager: ClaudeSessions, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm",)))
    manager.start("other")
    with pytest.raises(SessionNotFound, match=f"no session {NAME}") as caught:
        manager.attach(TASK)
    assert caught.value.code == "not_found"
    assert fakes.calls("xterm") == []


@pytest.mark.parametrize("bad", ["", "4.2", "a:b", "#(touch x)", "$1", "-t", "x" * 65, "a b"])
def test_invalid_id_is_refused_before_tmux(manager: ClaudeSessions, tmux_socket: str, bad: str) -> None:
    with pytest.raises(InvalidTaskId):
        manager.attach(bad)
    # No tmux command ran, so no server was started on the test's socket.
    assert not (Path(f"/tmp/tmux-{os.getuid()}") / tmux_socket).exists()


def test_result_json_has_exactly_the_documented_keys() -> None:
    result = TerminalResult(True, False, "xterm", "tmux attach-session -t =claude-1", pid=5, argv=("x",))
    assert result.to_json() == {
        "launched": True,
        "focused": False,
        "terminal": "xterm",
        "attach_command": "tmux attach-session -t =claude-1",
        "reason": None,
    }


def test_a_program_that_cannot_start_is_a_result(
    manager: ClaudeSessions, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm",)))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("jupyter_claude.core.terminal.spawn_detached", refuse)
    manager.start(TASK)
    result = manager.attach(TASK)
    assert not result.launched and result.terminal == "xterm"
    assert result.reason is not None and "could not start xterm" in result.reason


def test_spawn_does_not_wait_for_the_terminal(tmp_path: Path) -> None:
    """The terminal keeps running, in its own session, after the call returns."""
    process = spawn_detached(["sleep", "30"], dict(os.environ), cwd=str(tmp_path))
    try:
        assert process.poll() is None
        assert os.getsid(process.pid) == process.pid != os.getsid(0)
        assert os.readlink(f"/proc/{process.pid}/fd/0") == "/dev/null"
    finally:
        kill_process_session(process.pid)


# -- already attached: focus instead of a second window ----------------------------------------


@pytest.fixture
def pty_client(manager: ClaudeSessions, tmux_socket: str) -> Iterator[str]:
    """Start the task and attach a real tmux client to it on a pseudo-terminal; yields its tty."""
    manager.start(TASK)
    master, slave = pty.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    tty = os.ttyname(slave)
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env["TERM"] = "xterm-256color"
    client = subprocess.Popen(
        ["tmux", "-L", tmux_socket, "attach-session", "-t", f"={NAME}"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        deadline = time.monotonic() + 5
        while manager.status(TASK).attached_clients < 1:
            assert time.monotonic() < deadline, "the pty client did not attach"
            time.sleep(0.02)
        yield tty
    finally:
        client.terminate()
        client.wait(timeout=5)
        os.close(master)


def test_attached_focuses_by_window_title_with_wmctrl(
    manager: ClaudeSessions, pty_client: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm", "wmctrl", "xdotool")))
    result = manager.attach(TASK)
    assert (result.launched, result.focused, result.terminal, result.reason) == (False, True, "xterm", None)
    [call] = fakes.calls("wmctrl")
    assert call["argv"][1:] == ["-F", "-a", NAME]
    assert fakes.calls("xdotool") == [] and fakes.calls("xterm") == []


def test_attached_focuses_with_xdotool_without_a_window_manager(
    manager: ClaudeSessions, pty_client: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.add("wmctrl", exit_code=1)
    fakes.add(
        "xdotool", responses={"search": ("8388621\n", 0), "windowactivate": ("", 1), "windowraise": ("", 0)}
    )
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("gnome-terminal",)))
    result = manager.attach(TASK)
    assert result.focused and result.terminal == "gnome-terminal"
    assert [call["argv"][1:] for call in fakes.calls("xdotool")] == [
        ["search", "--name", f"^{NAME}$"],
        ["windowactivate", "8388621"],
        ["windowraise", "8388621", "windowfocus", "8388621"],
    ]
    assert fakes.calls("gnome-terminal") == []


def test_attached_but_unfocusable_opens_nothing(
    manager: ClaudeSessions, pty_client: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm",)))
    result = manager.attach(TASK)
    assert not result.launched and not result.focused
    assert result.reason is not None and "already attached" in result.reason
    time.sleep(0.2)
    assert fakes.calls("xterm") == []


def test_new_window_opens_another_even_when_attached(
    manager: ClaudeSessions, pty_client: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm", "wmctrl")))
    result = manager.attach(TASK, new_window=True)
    assert result.launched and not result.focused
    fakes.wait_for("xterm")
    assert fakes.calls("wmctrl") == []


@pytest.mark.parametrize(
    ("hint", "app", "script"),
    [("iTerm.app", "iTerm", ITERM2_FOCUS_SCRIPT), ("Apple_Terminal", "Terminal", TERMINAL_FOCUS_SCRIPT)],
)
def test_attached_focuses_iterm2_and_terminal_by_tty(
    manager: ClaudeSessions,
    pty_client: str,
    fakes: FakePrograms,
    monkeypatch: pytest.MonkeyPatch,
    hint: str,
    app: str,
    script: str,
) -> None:
    fakes.add("osascript", responses={"-": ("focused\n", 0)})
    use_host(monkeypatch, make_host(fakes, "darwin", {"TERM_PROGRAM": hint}, ("open",), (app,)))
    result = manager.attach(TASK)
    assert (result.launched, result.focused) == (False, True)
    [call] = fakes.calls("osascript")
    assert call["argv"][1:] == ["-", pty_client]
    assert call["stdin"] == script
    assert_id_isolated(call["argv"], call["stdin"])


def test_attached_not_found_by_osascript_is_not_focused(
    manager: ClaudeSessions, pty_client: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.add("osascript", responses={"-": ("not found\n", 0)})
    use_host(monkeypatch, make_host(fakes, "darwin", {}, ("open",), ("iTerm",)))
    result = manager.attach(TASK)
    assert (result.launched, result.focused, result.terminal) == (False, False, "iterm2")
    assert len(fakes.calls("osascript")) == 1  # the focus attempt only; nothing was opened


def test_attached_focuses_a_wezterm_pane_by_tty(
    manager: ClaudeSessions, pty_client: str, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    panes = json.dumps(
        [{"pane_id": 3, "tty_name": "/dev/pts/999", "title": "x"}, {"pane_id": 7, "tty_name": pty_client}]
    )
    fakes.add("wezterm", responses={"cli list": (panes, 0), "cli activate-pane": ("", 0)})
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm",)))
    manager.terminal = "wezterm"
    result = manager.attach(TASK)
    assert (result.focused, result.terminal) == (True, "wezterm")
    assert [call["argv"][1:] for call in fakes.calls("wezterm")] == [
        ["cli", "list", "--format", "json"],
        ["cli", "activate-pane", "--pane-id", "7"],
    ]


def test_attached_focuses_a_kitty_window_we_opened(
    manager: ClaudeSessions,
    pty_client: str,
    fakes: FakePrograms,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "jupyter-claude").mkdir(parents=True)
    (run_dir / "jupyter-claude" / f"kitty-{NAME}").touch()
    use_host(
        monkeypatch, make_host(fakes, "linux", {**X11, "XDG_RUNTIME_DIR": str(run_dir)}, ("kitty", "kitten"))
    )
    result = manager.attach(TASK)
    assert (result.focused, result.terminal) == (True, "kitty")
    [call] = fakes.calls("kitten")
    socket = f"unix:{run_dir}/jupyter-claude/kitty-{NAME}"
    assert call["argv"][1:] == ["@", "--to", socket, "focus-window", "--match", f"title:^{NAME}$"]
    assert_id_isolated(call["argv"])
    assert fakes.calls("kitty") == []


def test_kitty_without_remote_control_is_not_asked(
    manager: ClaudeSessions,
    pty_client: str,
    fakes: FakePrograms,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    host = make_host(fakes, "linux", {**X11, "XDG_RUNTIME_DIR": str(tmp_path / "run")}, ("kitty", "kitten"))
    use_host(monkeypatch, host)
    result = manager.attach(TASK)
    assert not result.focused and fakes.calls("kitten") == []


def test_control_mode_clients_do_not_count(
    manager: ClaudeSessions, tmux_socket: str, tmux: Any, fakes: FakePrograms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A control-mode client (the browser's live view) is not a terminal window: open one."""
    use_host(monkeypatch, make_host(fakes, "linux", X11, ("xterm", "wmctrl")))
    manager.start(TASK)
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    control = subprocess.Popen(
        ["tmux", "-L", tmux_socket, "-C", "attach-session", "-t", f"={NAME}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 5
        while "1" not in tmux("list-clients", "-F", "#{client_control_mode}").stdout:
            assert time.monotonic() < deadline, "the control client did not attach"
            time.sleep(0.02)
        result = manager.attach(TASK)
        assert result.launched and not result.focused
        fakes.wait_for("xterm")
        assert fakes.calls("wmctrl") == []
    finally:
        assert control.stdin is not None
        control.stdin.close()
        control.terminate()
        control.wait(timeout=5)
