"""Every setting of the session manager, as traitlets (``c.ClaudeSessions.<name>`` in Jupyter config).

:class:`SessionSettings` holds the settings and their checks only; the behaviour is in
:class:`~jupyter_claude.core.manager.ClaudeSessions`, which inherits them (configure it, not this
class).
"""

from __future__ import annotations

import os
from typing import Any

from traitlets import Bool, Dict, Float, Int, List, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from .agentstate import QUIET_SECONDS
from .board import DEFAULT_COLUMNS, OTHER, column_key
from .config import default_log_dir
from .errors import InvalidSetting
from .ids import is_valid_task_id
from .taskedit import check_line


class SessionSettings(LoggingConfigurable):
    """The settings of :class:`~jupyter_claude.core.manager.ClaudeSessions`."""

    tmux_socket = Unicode(
        "",
        help="""tmux server to use: "" for the user's default server (so `tmux attach -t
        claude-42` typed by hand works), a socket name (tmux -L) or a socket path containing "/"
        (tmux -S). The environment variable JUPYTER_CLAUDE_TMUX_SOCKET overrides it.""",
    ).tag(config=True)

    session_prefix = Unicode(
        "claude-", help="Prefix of every tmux session name; the task id follows it."
    ).tag(config=True)

    command = List(
        Unicode(),
        default_value=[],
        help="""Command started in each task's session, as an argv list; "{id}" in any element
        is replaced by the task id. Empty (the default): `tw-start {id}` when tw-start is on PATH,
        else the built-in task workflow.""",
    ).tag(config=True)

    allow_command_override = Bool(
        False,
        help="""Allow callers of the REST API to pass their own command for a session. Off by
        default: anyone who can reach the API could otherwise run any program.""",
    ).tag(config=True)

    root_dir = Unicode(
        help="""Root of the repository: task folders are relative to it, sessions start in it,
        and a requested cwd must lie inside it. Default: the Jupyter server's root_dir, else the
        current directory."""
    ).tag(config=True)

    tasks_dirs = List(
        Unicode(),
        default_value=["tasks"],
        help="Folders (relative to root_dir) searched for task markdown files.",
    ).tag(config=True)

    log_dir = Unicode(
        help="""Folder of the per-task logs ({id}.log). Default:
        $XDG_CACHE_HOME/jupyter-claude/logs, else ~/.cache/jupyter-claude/logs."""
    ).tag(config=True)

    log_max_bytes = Int(
        10 * 1024 * 1024,
        help="A task log is rotated to {id}.log.1 (one old file kept) when it would pass this size.",
    ).tag(config=True)

    terminal = Unicode(
        "",
        help="""GUI terminal that attach() opens: "" to detect one (Windows Terminal under WSL; on
        macOS the terminal Jupyter runs in, then WezTerm, iTerm2, Terminal; elsewhere $TERMINAL,
        xdg-terminal-exec, WezTerm, kitty, Alacritty, GNOME Terminal, ... xterm), a known name
        ("xterm", "gnome-terminal", "iterm2", "terminal", "wezterm", "kitty", "windows-terminal",
        ...), or an argv template with the word {attach}, e.g. "foot --title claude {attach}".
        The environment variable JUPYTER_CLAUDE_TERMINAL overrides it.""",
    ).tag(config=True)

    headless = Bool(
        False, help="Never open a terminal window: attach() only returns the command to attach by hand."
    ).tag(config=True)

    agent = Unicode(
        "claude",
        help="""Agent profile the built-in workflow (`jupyter-claude run-task`) starts: "claude",
        "codex", "aider", "gemini", "shell" (an interactive shell with the prompt printed), or a
        name added in `agents`.""",
    ).tag(config=True)

    agents = Dict(
        help="""Agent profiles to add, or fields to override in the built-in ones, by name:
        {"name": {"argv": [...], "resume_argv": [...], "env": {...}, "busy": "regex",
        "waiting": "regex", "print_prompt": false}}. argv placeholders: {prompt}, {prompt_file},
        {session_id}, {settings_file}, {id}, {title}, {worktree}, {shell}. See docs/workflow.md.""",
    ).tag(config=True)

    worktrees_root = Unicode(
        "",
        help="""Folder of the task worktrees (one per task, on branch task/ID); relative paths
        are taken from the repository's top level. Default: beside the repository,
        <repo>/../<repo-name>.worktrees.""",
    ).tag(config=True)

    worktree_base = Unicode(
        "HEAD", help="Commit a new task branch starts from (evaluated in the main checkout)."
    ).tag(config=True)

    prompt_template = Unicode(
        "",
        help="""First prompt of a task's agent. Placeholders: {id}, {title}, {body}, {metadata},
        {path}, {status}, {priority}, {worktree}, {branch}, {workspace}. Empty: the built-in
        template (jupyter_claude.workflow.DEFAULT_PROMPT_TEMPLATE).""",
    ).tag(config=True)

    agent_quiet_seconds = Float(
        QUIET_SECONDS,
        help="""Seconds without output after which the screen fallback reads an agent pane as
        idle (or waiting, when it shows a question). Time is whole seconds in tmux, so the
        effective delay is between this minus one and this.""",
    ).tag(config=True)

    permission_timeout = Float(
        86400.0,
        help="""Seconds an agent's permission request waits for an answer from outside the terminal
        (browser, notebook, CLI, REST) before it gives up and leaves only the terminal's own dialog.""",
    ).tag(config=True)

    allow_input = Bool(
        True,
        help="""Allow typing text into an agent's pane from outside the terminal (POST
        claude/{id}/input, `jupyter claude send`, `%claude send`).""",
    ).tag(config=True)

    diff_max_bytes = Int(
        1024 * 1024,
        help="""Largest patch a task's diff returns (GET claude/{id}/diff, `jupyter claude diff`); a
        longer one is cut at a line end and marked truncated. Also the largest file the
        side-by-side view shows.""",
    ).tag(config=True)

    board_columns = List(
        Unicode(),
        default_value=list(DEFAULT_COLUMNS),
        help="""Columns of the task board, in order; moving a card there writes the column's name
        as the task's status. A status matches a column loosely (case, emoji and punctuation
        around the words ignored: "🟡 To Do" is in "To Do"); a task without status is in the first
        column, one whose status matches none in "Other".""",
    ).tag(config=True)

    prices = Dict(
        help="""Model prices in dollars per million tokens, {"<model>": {"input": 3, "output": 15,
        "cache_read": 0.3, "cache_write": 3.75}}, added to (or replacing) the built-in prices of the
        current Claude models (docs/usage.md, dated); null removes a model. A model with no price
        shows its tokens and a null cost, never a guess. A bad entry is reported and ignored.""",
    ).tag(config=True)

    resume_after_limit = Bool(
        False,
        help="""When an agent is stopped by a rate or usage limit whose reset time it named, type
        "continue" into it once, a minute after the reset (logged). Off by default.""",
    ).tag(config=True)

    start_interval = Float(
        2.0,
        help="""Starting several tasks at once: seconds between two agent launches (the sessions
        are created at once and show "queued" until their turn).""",
    ).tag(config=True)

    max_starting = Int(
        3,
        help="""Starting several tasks at once: at most this many agents may be starting (launched,
        not yet working on their first prompt) before the next one launches.""",
    ).tag(config=True)

    @default("root_dir")
    def _default_root_dir(self) -> str:
        return os.getcwd()

    @default("log_dir")
    def _default_log_dir(self) -> str:
        return default_log_dir()

    @validate("board_columns")
    def _check_board_columns(self, proposal: Any) -> list[str]:
        columns = [check_line(name, "a board column") for name in proposal["value"]]
        if not columns:
            raise InvalidSetting("board_columns needs at least one column")
        keys = [column_key(name) or name for name in columns]
        if len(set(keys)) != len(keys) or OTHER.lower() in keys:
            raise InvalidSetting(f"board_columns {columns!r} name one column twice, or one called {OTHER!r}")
        return columns

    @validate("start_interval")
    def _check_interval(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 0 <= value <= 3600:
            raise InvalidSetting(f"start_interval must be between 0 and 3600 seconds, not {value}")
        return value

    @validate("max_starting")
    def _check_max_starting(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 1:
            raise InvalidSetting(f"max_starting must be 1 or more, not {value}")
        return value

    @validate("session_prefix")
    def _check_prefix(self, proposal: Any) -> str:
        prefix = proposal["value"]
        if prefix and not is_valid_task_id(prefix.rstrip("-_") or "x"):
            raise InvalidSetting(f"session_prefix {prefix!r} may hold only letters, digits, '_' and '-'")
        return str(prefix)
