"""The ``jupyter claude`` command line (also ``jupyter-claude`` and ``python -m jupyter_claude``).

A thin skin over :class:`~jupyter_claude.sessions.ClaudeSessions`: it talks to tmux directly, so it
agrees with the Jupyter server, notebooks and JupyterLab without a server round trip. ``--json``
prints the REST API's JSON shapes. Settings come from the Jupyter config files and
``--ClaudeSessions.name=value`` anywhere on the line.

Exit codes: 0 ok, 1 the operation failed, 2 bad input (invalid id, bad flag), 3 tmux missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from traitlets import TraitError
from traitlets.config.loader import ArgumentError

from .errors import ClaudeSessionsError, InvalidSetting, InvalidTaskId, SessionNotFound, TmuxNotFound

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_TMUX = 0, 1, 2, 3

Handler = Callable[[argparse.Namespace, Any], int]


class UsageError(Exception):
    """Bad flags or arguments (exit code 2)."""


def count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """Every command and flag; ``jupyter claude --help`` prints it."""
    parser = _Parser(
        prog="jupyter claude",
        description="Start, watch, attach to and stop one coding-agent tmux session per task.",
        epilog="Settings: --ClaudeSessions.<name>=<value> (see the README). "
        "Exit codes: 0 ok, 1 failed, 2 bad input, 3 tmux missing.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (the REST API's shapes)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help: str, handler: Handler) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
        sub.set_defaults(handler=handler)
        return sub

    start = command("start", "start (or re-use) a task's session and open a terminal on it", _start)
    start.add_argument("id")
    start.add_argument("--cwd", help="directory to start in (relative to the root)")
    start.add_argument("--headless", action="store_true", help="never open a terminal window")
    start.add_argument("--no-attach", action="store_true", help="start without opening a terminal")

    stop = command("stop", "stop a task's session (its log is kept)", _stop)
    stop.add_argument("id")

    status = command("status", "the state of one task's session, or of all of them", _status)
    status.add_argument("id", nargs="?")

    command("list", "every session of ours", _list)

    attach = command("attach", "open (or bring to the front) a terminal on a task's session", _attach)
    attach.add_argument("id")
    attach.add_argument("--new-window", action="store_true", help="open another window even if attached")
    attach.add_argument(
        "--here", action="store_true", help="attach in this terminal instead (this process becomes tmux)"
    )
    attach.add_argument("--read-only", action="store_true", help="with --here: watch, do not type")

    log = command("log", "print a task's log", _log)
    log.add_argument("id")
    log.add_argument("-n", "--lines", type=count, default=None, help="only the last N lines")
    log.add_argument("--follow", "-f", action="store_true", help="keep printing new output")
    log.add_argument("--raw", action="store_true", help="keep terminal escape sequences")

    command("tasks", "the task files and their sessions", _tasks)

    run_task = command(
        "run-task", "the built-in workflow, run inside a task's pane: worktree, prompt, agent", _run_task
    )
    run_task.add_argument("id")

    hook = command("hook", "record a Claude Code hook event (JSON on stdin) as the agent's state", _hook)
    hook.add_argument("--socket", help="tmux socket path (default: from $TMUX)")
    hook.add_argument("--session", help="tmux session name (default: the pane in $TMUX_PANE)")
    hook.add_argument("--state", choices=("working", "waiting", "idle"), help="state it is registered for")
    hook.add_argument("--conversation", help="file that remembers the conversation id")
    hook.add_argument("--worktree", help="the task's worktree, to count commits ahead of the base")
    hook.add_argument("--base-commit", help="the commit the task branch is measured against")
    hook.set_defaults(needs_sessions=False)

    worktree = command("worktree", "the task worktrees: list, remove ID [--force]", _worktree)
    actions = worktree.add_subparsers(dest="worktree_command", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    for name, help_text in (
        ("list", "every task worktree, its branch, commits ahead and session"),
        ("remove", "remove a task's worktree (the branch is kept)"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
        if name == "remove":
            action.add_argument("id")
            action.add_argument("--force", action="store_true", help="even with uncommitted or unpushed work")
    return parser


# -- commands ------------------------------------------------------------------------------------


def _start(args: argparse.Namespace, sessions: Any) -> int:
    session, terminal = sessions.start_and_attach(
        args.id, args.cwd, attach=not args.no_attach, headless=True if args.headless else None
    )
    if args.json:
        _print_json(
            {
                "started": session.created,
                "session": session.to_json(),
                "terminal": terminal.to_json() if terminal else None,
            }
        )
        return EXIT_OK
    verb = "started" if session.created else "re-used"
    print(f"{session.badge}  {session.name} {verb} in {session.cwd}")
    if terminal is not None:
        _print_terminal(terminal)
    return EXIT_OK


def _stop(args: argparse.Namespace, sessions: Any) -> int:
    stopped = sessions.stop(args.id)
    session = sessions.status(args.id)
    if args.json:
        _print_json({"stopped": stopped, "session": session.to_json()})
    else:
        print(f"{session.name} stopped" if stopped else f"{session.name} was not running")
    return EXIT_OK


def _status(args: argparse.Namespace, sessions: Any) -> int:
    if args.id is None:
        return _list(args, sessions)
    session = sessions.status(args.id)
    if args.json:
        _print_json(session.to_json())
    else:
        _print_sessions([session])
    return EXIT_OK


def _list(args: argparse.Namespace, sessions: Any) -> int:
    found = sessions.list()
    if args.json:
        _print_json({"sessions": [session.to_json() for session in found]})
    elif not found:
        print("no sessions")
    else:
        _print_sessions(found)
    return EXIT_OK


def _attach(args: argparse.Namespace, sessions: Any) -> int:
    if args.here:
        return _attach_here(args, sessions)
    if args.read_only:
        raise UsageError("jupyter claude attach: --read-only goes with --here")
    result = sessions.attach(args.id, new_window=args.new_window)
    if args.json:
        _print_json(result.to_json())
    else:
        _print_terminal(result)
    return EXIT_OK


def _attach_here(args: argparse.Namespace, sessions: Any) -> int:
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


def _log(args: argparse.Namespace, sessions: Any) -> int:
    from .logs import read_log_and_offset, strip_ansi

    def show(text: str) -> str:
        return text if args.raw else strip_ansi(text)

    path = sessions.log_path(args.id)
    text, offset = read_log_and_offset(path, tail=args.lines)
    if args.json:
        _print_json({"id": args.id, "path": str(path), "log": show(text)})
        return EXIT_OK
    sys.stdout.write(show(text))
    sys.stdout.flush()
    if args.follow:
        _follow(path, offset, show)
    return EXIT_OK


def _follow(path: Any, offset: int, show: Callable[[str], str]) -> None:
    """Print what is appended to ``path`` after ``offset`` until Ctrl-C (after a rotation, the
    new file from its start)."""
    try:
        while True:
            size = path.stat().st_size if path.exists() else 0
            if size < offset:
                offset = 0
            if size > offset:
                with path.open("rb") as log:
                    log.seek(offset)
                    data = log.read(size - offset)
                offset = size
                sys.stdout.write(show(data.decode("utf-8", errors="replace")))
                sys.stdout.flush()
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass


def _run_task(args: argparse.Namespace, sessions: Any) -> int:
    from .workflow import run_task_command

    return run_task_command(args, sessions)


def _hook(args: argparse.Namespace, sessions: Any) -> int:
    from .hooks import hook_command

    return hook_command(args)


def _worktree(args: argparse.Namespace, sessions: Any) -> int:
    from .worktrees import worktree_command

    return worktree_command(args, sessions)


def _tasks(args: argparse.Namespace, sessions: Any) -> int:
    overview = sessions.overview()
    if args.json:
        _print_json(overview)
        return EXIT_OK if "sessions_error" not in overview else EXIT_FAILED
    from . import vocabulary

    rows = []
    unknown = "sessions_error" in overview
    for task in overview["tasks"]:
        session = task["session"]
        if session:
            badge = vocabulary.badge(session["state"], session["exit_status"])
        else:
            badge = vocabulary.badge("unknown") if unknown and task["valid"] else vocabulary.INVALID
        rows.append((task["id"], badge, task["status"] or "", task["title"]))
    _print_table(("ID", "SESSION", "STATUS", "TITLE"), rows)
    for problem in overview["problems"]:
        print(f"skipped {problem['path']}: {problem['reason']}", file=sys.stderr)
    if unknown:
        # The task files are listed all the same; the exit code still says what failed.
        error = overview["sessions_error"]
        print(f"error: sessions unknown: {error['reason']}", file=sys.stderr)
        return EXIT_NO_TMUX if error["error"] == TmuxNotFound.code else EXIT_FAILED
    return EXIT_OK


# -- output --------------------------------------------------------------------------------------


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _print_sessions(found: Sequence[Any]) -> None:
    rows = [
        (s.id, s.badge, str(s.attached_clients), s.started_at or "", " ".join(s.command or [])) for s in found
    ]
    _print_table(("ID", "STATE", "ATTACHED", "STARTED", "COMMAND"), rows)


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def _print_terminal(result: Any) -> None:
    if result.launched:
        print(f"opened {result.terminal} on it")
    elif result.focused:
        print(f"brought the {result.terminal or 'attached'} terminal to the front")
    else:
        print(f"no terminal opened: {result.reason}")
    print(f"attach by hand: {result.attach_command}")


# -- entry point ---------------------------------------------------------------------------------


def split_settings(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate ``--Class.name=value`` settings from the command's own arguments."""
    settings: list[str] = []
    rest: list[str] = []
    for argument in argv:
        name = argument[2:].split("=", 1)[0]
        if argument.startswith("--") and "." in name and name[:1].isupper():
            settings.append(argument)
        else:
            rest.append(argument)
    return settings, rest


def make_sessions(settings: Sequence[str]) -> Any:
    """A ClaudeSessions from the Jupyter config files plus command-line settings."""
    from traitlets.config.loader import KVArgParseConfigLoader

    from .config import load_jupyter_config
    from .sessions import ClaudeSessions

    config = load_jupyter_config()
    if settings:
        loader = KVArgParseConfigLoader(list(settings), classes=[ClaudeSessions])
        config.merge(loader.load_config())
    return ClaudeSessions(config=config)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    settings, arguments = split_settings(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        sessions = make_sessions(settings) if getattr(args, "needs_sessions", True) else None
        return int(args.handler(args, sessions))
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (InvalidTaskId, InvalidSetting) as error:
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
