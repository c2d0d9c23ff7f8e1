"""Text views of a session read as its screen showed them: the log played through a terminal of the
pane's size equals what ``tmux capture-pane -p`` shows for the same pane."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_claude import ClaudeSessions
from jupyter_claude.core import logs
from jupyter_claude.core.render import Player, plain_text, render

from ..support.data import wait_for

#: A shell that prints colours, a \r progress bar, 60 numbered lines (scrollback), then redraws a
#: full screen in place with cursor moves, and waits.
SCREENFUL = r"""
printf '\033[1;31mred\033[0m and \033[32mgreen\033[0m\n'
for p in 10 40 70 100; do printf '\rprogress %s%%' $p; done; printf '\n'
i=1; while [ $i -le 60 ]; do printf 'line %s\n' $i; i=$((i+1)); done
printf '\033[2J\033[H'
printf '\033[3;5H┌──────┐\033[4;5H│ box  │\033[5;5H└──────┘'
printf '\033[8;1HWords\033[8;7Hwith\033[8;12Hspaces'
printf '\033[10;1H❯ 1. Yes 🙂'
printf '\033[12;1H'
printf 'end\n'
sleep 600
"""


def screen_of(tmux: Any, name: str = "claude-42") -> list[str]:
    """What tmux shows for the pane, trailing blanks dropped."""
    lines = [line.rstrip() for line in tmux("capture-pane", "-p", "-t", f"={name}:").stdout.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def logged(manager: ClaudeSessions, data: bytes) -> bool:
    """True once task 42's log holds ``data``."""
    path = manager.log_path("42")
    return path.exists() and data in path.read_bytes()


def test_the_rendered_log_equals_the_screen(manager: ClaudeSessions, tmux: Any) -> None:
    manager.start("42", command=["sh", "-c", SCREENFUL])
    wait_for(lambda: "end" in screen_of(tmux) and logged(manager, b"end"))
    shown = screen_of(tmux)
    text = manager.log_text("42")
    lines = text.rstrip("\n").split("\n")
    assert lines[-len(shown) :] == shown
    assert "\x1b" not in text and "Words with spaces" in text and "│ box  │" in text and "❯ 1. Yes 🙂" in text
    # Scrollback in order before the last screen; the colours' words and the bar's last state.
    assert lines[0] == "red and green" and lines[1] == "progress 100%"
    assert lines[2:62] == [f"line {n}" for n in range(1, 61)]
    # -n N: the last N rendered lines.
    assert manager.log_text("42", tail=4) == "".join(line + "\n" for line in lines[-4:])
    assert manager.log_text("42", tail=0) == ""


def test_the_rendered_log_follows_the_panes_size(manager: ClaudeSessions, tmux: Any) -> None:
    manager.start("42", command=["sh", "-c", "printf '%s\\n' $(seq -s, 1 60); sleep 600"])
    assert tmux("resize-window", "-t", "=claude-42:", "-x", "100", "-y", "30").returncode == 0
    wait_for(lambda: screen_of(tmux) and logged(manager, b",60"))
    assert manager.status("42").cols == 100
    # The text wraps where tmux wraps it on the pane's screen.
    assert manager.log_text("42").split("\n")[:2] == screen_of(tmux)[:2]
    assert logs.known_size(manager.log_path("42")) == (100, 30)  # kept for when it is stopped


def test_render_and_its_fallback() -> None:
    data = b"\x1b[1mbold\x1b[0m\r\nprogress 10%\rprogress 100%\r\n" + b"x" * 10 + b"\n"
    assert render(data, 80, 24) == ["bold", "progress 100%", "xxxxxxxxxx"]
    assert plain_text(data).split("\n")[:3] == ["bold", "progress 100%", "xxxxxxxxxx"]
    assert render(b"", 80, 24) == []


def test_a_log_that_sets_the_title_cannot_cut_the_playing_short() -> None:
    data = b"".join(b"\x1b]2;jc-done\x07line %d\r\n" % n for n in range(500))
    assert render(data, 80, 24)[-1] == "line 499"


def test_follow_gives_settled_lines_not_every_repaint() -> None:
    player = Player(40, 10)
    try:
        player.feed(b"first\r\nsecond\r\n")
        assert player.settled(quiet=True) == ["first", "second"]
        for frame in "|/-\\" * 10:  # a spinner redrawn in place
            player.feed(f"\rworking {frame}".encode())
        assert player.settled(quiet=False) == []  # still repainting: nothing yet
        assert player.settled(quiet=True) == ["working \\"]
        player.feed(b"\r\n" + b"".join(b"row %d\r\n" % n for n in range(30)))
        settled = player.settled(quiet=False)  # rows that scrolled off are final at once
        assert settled[0] == "working \\" or settled[0] == "row 0"
        assert settled[-1].startswith("row ")
    finally:
        player.close()


def test_cli_log_follow_prints_lines_as_they_settle(manager: ClaudeSessions, tmux_socket: str) -> None:
    script = r"i=1; while [ $i -le 5 ]; do printf 'step %s\n' $i; sleep 0.2; i=$((i+1)); done; sleep 600"
    manager.start("42", command=["sh", "-c", script])
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env["JUPYTER_CLAUDE_TMUX_SOCKET"] = tmux_socket
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_claude",
            "log",
            "42",
            "-f",
            f"--ClaudeSessions.log_dir={manager.log_dir}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    seen: list[str] = []

    def read() -> None:
        assert follower.stdout is not None
        for line in follower.stdout:
            seen.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: "step 5" in seen, timeout=30)
        time.sleep(0.5)
    finally:
        follower.terminate()
        follower.wait(10)
    assert [line for line in seen if line.startswith("step")] == [f"step {n}" for n in range(1, 6)]
    assert not any("\x1b" in line for line in seen)


def test_a_stopped_tasks_log_is_drawn_at_its_last_size(manager: ClaudeSessions, tmp_path: Path) -> None:
    path = manager.log_path("9")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"a" * 30 + b"\r\n")
    logs.remember_size(path, 20, 5)
    assert manager.log_text("9") == "a" * 20 + "\n" + "a" * 10 + "\n"
