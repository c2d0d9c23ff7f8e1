"""The ``%claude`` line magic: the CLI's verbs inside IPython, with rich (HTML) output.

``%load_ext jupyter_claude``, then::

    %claude start 42 [--cwd DIR] [--headless] [--no-attach]
    %claude stop 42
    %claude status [42]
    %claude attach 42 [--new-window]
    %claude log 42 [-n 50] [--raw]
    %claude list
    %claude tasks [--page-size N]
    %claude --help

It is a thin skin over :class:`~jupyter_claude.sessions.ClaudeSessions`, like the CLI, whose text
output helpers it reuses for the plain-text fallback. Settings come from the Jupyter config files
and ``--ClaudeSessions.name=value`` anywhere on the line. Bad input prints one line, never a
traceback. Each command returns a :class:`ClaudeOutput` (``.value`` holds the data) or, for
``tasks``, a :class:`~jupyter_claude.widget.TaskTable`.
"""

from __future__ import annotations

import argparse
import html
import io
import shlex
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class

from . import cli
from .errors import ClaudeSessionsError

if TYPE_CHECKING:
    from .sessions import ClaudeSessions, Session


class ClaudeOutput:
    """What a ``%claude`` command shows: HTML in a notebook, plain text elsewhere; ``.value`` is the data."""

    def __init__(self, text: str, html_text: str, value: Any = None) -> None:
        self.text = text
        self.html = html_text
        self.value = value

    def _repr_html_(self) -> str:
        """The rich form (every text in it is escaped)."""
        return self.html

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The plain-text fallback, as the CLI prints it."""
        printer.text(self.text)

    def __repr__(self) -> str:
        return self.text


class _UsageError(Exception):
    """Bad arguments to ``%claude``."""


class _HelpShown(Exception):
    """``--help`` was printed; nothing else to do."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        if message:
            print(message, end="")
        raise _HelpShown


def build_parser() -> argparse.ArgumentParser:
    """The magic's verbs and flags (a mirror of ``jupyter claude``'s)."""
    parser = _Parser(
        prog="%claude",
        description="Start, watch, attach to and stop one coding-agent tmux session per task.",
        epilog="Settings: --ClaudeSessions.<name>=<value> anywhere on the line (see the README).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)

    start = verbs.add_parser("start", help="start (or re-use) a task's session and open a terminal on it")
    start.add_argument("id")
    start.add_argument("--cwd", help="directory to start in (relative to the root)")
    start.add_argument("--headless", action="store_true", help="never open a terminal window")
    start.add_argument("--no-attach", action="store_true", help="start without opening a terminal")

    stop = verbs.add_parser("stop", help="stop a task's session (its log is kept)")
    stop.add_argument("id")

    status = verbs.add_parser("status", help="the state of one task's session, or of all of them")
    status.add_argument("id", nargs="?")

    verbs.add_parser("list", help="every session of ours")

    attach = verbs.add_parser("attach", help="open (or bring to the front) a terminal on a task's session")
    attach.add_argument("id")
    attach.add_argument("--new-window", action="store_true", help="open another window even if attached")

    log = verbs.add_parser("log", help="a task's recent output")
    log.add_argument("id")
    log.add_argument("-n", "--lines", type=cli.count, default=50, help="the last N lines (default 50; 0 for all)")
    log.add_argument("--raw", action="store_true", help="keep terminal escape sequences")

    tasks = verbs.add_parser("tasks", help="the task table widget (live badges, Run/Stop/Attach/Log)")
    tasks.add_argument("--page-size", type=cli.count, default=50, help="rows per page (0: all)")
    return parser


@magics_class
class ClaudeMagics(Magics):  # type: ignore[misc]
    """The ``%claude`` magic."""

    @line_magic
    def claude(self, line: str) -> Any:
        """Start, stop, watch and attach to task sessions: ``%claude --help`` lists the commands."""
        try:
            settings, words = cli.split_settings(shlex.split(line))
        except ValueError as error:
            return _fail(f"%claude: cannot parse the line: {error}")
        parser = build_parser()
        try:
            args = parser.parse_args(words)
        except _HelpShown:
            return None
        except _UsageError as error:
            return _fail(str(error))
        if args.verb is None:
            parser.print_help()
            return None
        try:
            sessions = cli.make_sessions(settings)
            return COMMANDS[args.verb](args, sessions)
        except ClaudeSessionsError as error:
            return _fail(f"%claude {args.verb}: {error}")
        except Exception as error:  # config errors and the like: one line, no traceback
            return _fail(f"%claude {args.verb}: {type(error).__name__}: {error}")
        finally:
            _poke_tables()


def _poke_tables() -> None:
    """Let this kernel's open TaskTables show a change made by the magic without waiting for the tick."""
    widget = sys.modules.get(__package__ + ".widget")
    if widget is not None:
        widget.REFRESHER.poke()


def _fail(message: str) -> None:
    print(" ".join(message.split()), file=sys.stderr)
    return None


# -- commands ------------------------------------------------------------------------------------


def _start(args: argparse.Namespace, sessions: ClaudeSessions) -> ClaudeOutput:
    session, terminal = sessions.start_and_attach(
        args.id, args.cwd, attach=not args.no_attach, headless=True if args.headless else None
    )
    verb = "started" if session.created else "re-used"
    text = f"{session.badge}  {session.name} {verb} in {session.cwd}"
    markup = (
        f"<div>{_badge(session)} <code>{_e(session.name)}</code> {verb} "
        f"in <code>{_e(session.cwd)}</code></div>"
    )
    if terminal is not None:
        text += "\n" + _captured(cli._print_terminal, terminal)
        markup += _terminal_html(terminal)
    return ClaudeOutput(text, markup, {"session": session, "terminal": terminal})


def _stop(args: argparse.Namespace, sessions: ClaudeSessions) -> ClaudeOutput:
    from .sessions import Session

    stopped = sessions.stop(args.id)
    session = Session(id=args.id, name=sessions.session_name(args.id))  # gone either way: no second call
    outcome = "stopped" if stopped else "was not running"
    markup = f"<div>{_badge(session)} <code>{_e(session.name)}</code> {outcome}</div>"
    return ClaudeOutput(f"{session.name} {outcome}", markup, stopped)


def _status(args: argparse.Namespace, sessions: ClaudeSessions) -> ClaudeOutput:
    if args.id is None:
        return _list(args, sessions)
    return sessions_output([sessions.status(args.id)])


def _list(args: argparse.Namespace, sessions: ClaudeSessions) -> ClaudeOutput:
    return sessions_output(sessions.list())


def _attach(args: argparse.Namespace, sessions: ClaudeSessions) -> ClaudeOutput:
    result = sessions.attach(args.id, new_window=args.new_window)
    return ClaudeOutput(_captured(cli._print_terminal, result), _terminal_html(result), result)


def _log(args: argparse.Namespace, sessions: ClaudeSessions) -> ClaudeOutput:
    from .logs import strip_ansi

    text = sessions.log(args.id, tail=args.lines or None)
    if not args.raw:
        text = strip_ansi(text)
    path = sessions.log_path(args.id)
    shown = text.rstrip("\n") or f"(no output yet in {path})"
    markup = (
        f"<div><b>log of {_e(args.id)}</b> <code>{_e(path)}</code></div>"
        "<pre style='max-height:24em;overflow:auto;margin:0'>"
        f"{_e(shown)}</pre>"
    )
    return ClaudeOutput(shown, markup, text)


def _tasks(args: argparse.Namespace, sessions: ClaudeSessions) -> Any:
    from .widget import TaskTable

    return TaskTable(sessions, page_size=args.page_size)


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], Any]] = {
    "start": _start,
    "stop": _stop,
    "status": _status,
    "list": _list,
    "attach": _attach,
    "log": _log,
    "tasks": _tasks,
}


# -- output --------------------------------------------------------------------------------------


def sessions_output(found: Sequence[Session]) -> ClaudeOutput:
    """A table of sessions: badges in HTML, the CLI's columns in plain text."""
    if not found:
        return ClaudeOutput("no sessions", "<div>no sessions</div>", [])
    text = _captured(cli._print_sessions, found)
    names = ("ID", "State", "Attached", "Started", "Command")
    header = "".join(f"<th style='text-align:left'>{name}</th>" for name in names)
    rows = "".join(
        "<tr>"
        f"<td><code>{_e(s.id)}</code></td><td>{_e(s.badge)}</td><td>{s.attached_clients}</td>"
        f"<td>{_e(s.started_at or '')}</td><td><code>{_e(' '.join(s.command or []))}</code></td>"
        "</tr>"
        for s in found
    )
    markup = (
        "<table class='jupyter-claude-sessions'>"
        f"<thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return ClaudeOutput(text, markup, list(found))


def _terminal_html(result: Any) -> str:
    lines = _captured(cli._print_terminal, result).splitlines()
    return "".join(f"<div>{_e(line)}</div>" for line in lines)


def _badge(session: Session) -> str:
    return f"<b>{_e(session.badge)}</b>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _captured(function: Callable[..., Any], *args: Any) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        function(*args)
    return buffer.getvalue().rstrip("\n")


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%claude`` (``%load_ext jupyter_claude``)."""
    ipython.register_magics(ClaudeMagics)
