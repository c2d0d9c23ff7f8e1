"""The ``jupyter claude`` command line (also ``jupyter-claude`` and ``python -m jupyter_claude``).

The shared commands come from the one command table (:mod:`jupyter_claude.core.commands`) and are
printed as text or, with ``--json``, as the REST API's JSON shapes (:mod:`.render`). The commands
only a terminal has live here too: ``attach --here``, ``log -f``, ``worktree``, and the two entry
points the built-in workflow runs inside a task's pane, ``run-task`` and ``hook``. It talks to tmux
directly, so it agrees with the Jupyter server, notebooks and JupyterLab without a server round
trip. Settings come from the Jupyter config files and ``--ClaudeSessions.name=value`` anywhere on
the line.

Exit codes: 0 ok, 1 the operation failed, 2 bad input (invalid id, bad flag), 3 tmux missing,
4 ``wait`` timed out.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from traitlets import TraitError
from traitlets.config.loader import ArgumentError

from ..core import logs
from ..core.commands import add_commands, execute
from ..core.config import split_settings
from ..core.errors import (
    ClaudeSessionsError,
    InvalidSetting,
    InvalidTaskId,
    SessionNotFound,
    TaskNotFound,
    TmuxNotFound,
)
from ..core.manager import ClaudeSessions
from . import pane, render

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_TMUX = 0, 1, 2, 3


class UsageError(Exception):
    """Bad flags or arguments (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """Every command and flag; ``jupyter claude --help`` prints it."""
    parser = _Parser(
        prog="jupyter claude",
        description="Start, watch, attach to and stop one coding-agent tmux session per task.",
        epilog="Settings: --ClaudeSessions.<name>=<value> (see the README). "
        "Exit codes: 0 ok, 1 failed, 2 bad input, 3 tmux missing, 4 wait timed out.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (the REST API's shapes)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parsers = {**add_commands(subparsers, "cli"), **pane.add_commands(subparsers)}
    for sub in parsers.values():
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return parser


def run(args: argparse.Namespace, sessions: ClaudeSessions) -> int:
    """One shared command, or one of the terminal's own."""
    if args.command == "attach" and args.here:
        return _attach_here(args, sessions)
    if args.command == "attach" and args.read_only:
        raise UsageError("jupyter claude attach: --read-only goes with --here")
    if args.command == "log" and args.follow and not args.json:
        return _log_follow(args, sessions)
    outcome = execute(sessions, args)
    render.print_outcome(outcome, as_json=args.json)
    return outcome.code


def _attach_here(args: argparse.Namespace, sessions: ClaudeSessions) -> int:
    """Become a tmux client of the session in this terminal (over ssh, in a JupyterLab terminal)."""
    if args.json or args.new_window:
        raise UsageError("jupyter claude attach: --here takes no --json or --new-window")
    if not sys.stdin.isatty():
        raise UsageError("jupyter claude attach: --here attaches this terminal, so run it in one")
    session = sessions.status(args.id)
    if session.state == "stopped":
        raise SessionNotFound(f"there is no session {session.name}: start task {args.id} first")
    argv = sessions.tmux.attach_argv(session.name, read_only=args.read_only)
    # tmux refuses to attach from inside one of its own clients (a terminal started in tmux).
    environment = {name: value for name, value in os.environ.items() if name != "TMUX"}
    sys.stdout.flush()
    os.execvpe(argv[0], argv, environment)
    return EXIT_FAILED  # not reached: exec replaced this process


def _log_follow(args: argparse.Namespace, sessions: ClaudeSessions) -> int:
    """``log ID -f``: the log so far, then its lines as they settle, until Ctrl-C."""
    path = sessions.log_path(args.id)
    try:
        if args.raw:
            text, offset = logs.read_log_and_offset(path, tail=args.lines)
            sys.stdout.write(text)
            sys.stdout.flush()
            for chunk in logs.follow(path, offset):
                sys.stdout.write(chunk.decode("utf-8", errors="replace"))
                sys.stdout.flush()
        else:
            for lines in logs.follow_text(path, sessions.pane_size(args.id), args.lines):
                sys.stdout.write("".join(line + "\n" for line in lines))
                sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    settings, arguments = split_settings(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        if args.command in pane.COMMANDS:
            return pane.run(args, settings)
        return run(args, ClaudeSessions.from_config(settings=settings))
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (InvalidTaskId, InvalidSetting, TaskNotFound) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except TmuxNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NO_TMUX
    except ClaudeSessionsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # traitlets config errors and the like: one line, no traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        bad_input = isinstance(error, (ValueError, TypeError, TraitError, ArgumentError))
        return EXIT_BAD_INPUT if bad_input else EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
