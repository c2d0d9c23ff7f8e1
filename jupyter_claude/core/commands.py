"""The one table of commands that ``jupyter claude`` and ``%claude`` both offer.

Each :class:`Command` has its name, help and arguments once; :func:`add_commands` builds the
argparse parser of a front end from it (an argument marked ``only="cli"`` or ``only="magic"``
belongs to that one front end). :func:`execute` runs a command against a manager and returns an
:class:`Outcome`: the data (``.json`` is what ``--json`` prints and the REST API answers), the
lines a person reads (``.lines``, the same in a terminal and in a notebook) and, for tables,
:class:`Table` rows. The CLI renders outcomes as text or JSON, the magic as HTML.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import vocabulary
from .manager import ClaudeSessions
from .session import Session
from .terminal import TerminalResult


def count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


@dataclass(frozen=True)
class Argument:
    """One argument of a command, in argparse's words."""

    names: tuple[str, ...]
    help: str | None = None
    #: "text", "flag" (store_true) or "count" (a whole number >= 0).
    kind: str = "text"
    nargs: str | None = None
    #: Default per front end: {"cli": ..., "magic": ...} (absent: None, or False for flags).
    defaults: dict[str, Any] = field(default_factory=dict)
    #: "cli" or "magic" when only that front end has it.
    only: str | None = None


@dataclass(frozen=True)
class Command:
    """A command: name, one line of help, arguments."""

    name: str
    help: str
    arguments: tuple[Argument, ...] = ()
    only: str | None = None


ID = Argument(("id",))
COMMANDS: tuple[Command, ...] = (
    Command(
        "start",
        "start (or re-use) a task's session and open a terminal on it",
        (
            ID,
            Argument(("--cwd",), "directory to start in (relative to the root)"),
            Argument(("--headless",), "never open a terminal window", "flag"),
            Argument(("--no-attach",), "start without opening a terminal", "flag"),
        ),
    ),
    Command("stop", "stop a task's session (its log is kept)", (ID,)),
    Command("status", "the state of one task's session, or of all of them", (Argument(("id",), nargs="?"),)),
    Command("list", "every session of ours"),
    Command(
        "attach",
        "open (or bring to the front) a terminal on a task's session",
        (
            ID,
            Argument(("--new-window",), "open another window even if attached", "flag"),
            Argument(
                ("--here",), "attach in this terminal instead (this process becomes tmux)", "flag", only="cli"
            ),
            Argument(("--read-only",), "with --here: watch, do not type", "flag", only="cli"),
        ),
    ),
    Command(
        "log",
        "print a task's log",
        (
            ID,
            Argument(
                ("-n", "--lines"),
                "only the last N lines (0: all)",
                "count",
                defaults={"magic": 50, "cli": None},
            ),
            Argument(("--follow", "-f"), "keep printing new output", "flag", only="cli"),
            Argument(("--raw",), "keep terminal escape sequences", "flag"),
        ),
    ),
    Command(
        "tasks",
        "the task files and their sessions",
        (
            Argument(
                ("--page-size",),
                "rows per page of the table (0: all)",
                "count",
                defaults={"magic": 50},
                only="magic",
            ),
        ),
    ),
)
COMMANDS += (
    Command(
        "new",
        "create a task file (TOML front matter) in the first task folder",
        (
            Argument(("title",), "the task's title"),
            Argument(("--status",), "its status (default: the first board column)"),
            Argument(("--priority",), "its priority, e.g. High"),
            Argument(("--id",), "its id (default: made from the title)"),
            Argument(("--body",), "its body, in markdown"),
        ),
    ),
    Command(
        "move",
        "set a task's status (its front matter's status; nothing else in the file changes)",
        (
            ID,
            Argument(("status",), "the new status, e.g. Done"),
            Argument(("--if-match",), "only if the file is still this version (a task's version)"),
        ),
    ),
)
BY_NAME = {command.name: command for command in COMMANDS}


def add_commands(
    subparsers: Any, front_end: str, parser_class: type[argparse.ArgumentParser] | None = None
) -> dict[str, argparse.ArgumentParser]:
    """Add every command of ``front_end`` ("cli" or "magic") to an argparse subparsers object."""
    parsers = {}
    for command in COMMANDS:
        if command.only not in (None, front_end):
            continue
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        for argument in command.arguments:
            if argument.only not in (None, front_end):
                continue
            options: dict[str, Any] = {"help": argument.help}
            default = argument.defaults.get(front_end)
            if argument.kind == "flag":
                options.update(action="store_true", default=bool(default))
            else:
                options["default"] = default
                if argument.kind == "count":
                    options["type"] = count
            if argument.nargs is not None:
                options["nargs"] = argument.nargs
            sub.add_argument(*argument.names, **options)
        parsers[command.name] = sub
    return parsers


# -- running them ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Rows to show as a table (text columns in a terminal, an HTML table in a notebook)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: The state of each row's session, for renderers that colour or mark it.
    states: tuple[str, ...] = ()

    def text(self) -> str:
        """Left-aligned columns, two spaces apart (as the CLI prints them)."""
        rows = [self.header, *self.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.header))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


@dataclass(frozen=True)
class Outcome:
    """What a command did."""

    command: str
    #: The data, JSON-ready (what ``--json`` prints).
    json: Any
    #: What a person reads, a line each (the same words everywhere).
    lines: tuple[str, ...] = ()
    table: Table | None = None
    #: Lines for stderr (skipped files, ...).
    notes: tuple[str, ...] = ()
    #: The objects behind it (Session, TerminalResult, text), for Python callers.
    value: Any = None
    #: Exit code: 0, or what the CLI should exit with although something was shown.
    code: int = 0


def session_table(found: Sequence[Session]) -> Table:
    """Sessions as the CLI, the magic and ``status`` show them."""
    rows = tuple(
        (
            s.id,
            s.badge + log_note(s.log_health),
            str(s.attached_clients),
            s.started_at or "",
            " ".join(s.command or []),
        )
        for s in found
    )
    return Table(("ID", "STATE", "ATTACHED", "STARTED", "COMMAND"), rows, tuple(s.state for s in found))


def log_note(health: str | None) -> str:
    """ " · log gap" and the like when the task log is not fine ("" when it is)."""
    return "" if health in (None, "ok") else f" · ⚠ log {health}"


def terminal_lines(result: TerminalResult) -> tuple[str, ...]:
    """What a terminal launch did, and how to attach by hand."""
    return (vocabulary.terminal_sentence(result), f"attach by hand: {vocabulary.attach_by_hand(result)}")


def _start(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    session, terminal = sessions.start_and_attach(
        args.id, args.cwd, attach=not args.no_attach, headless=True if args.headless else None
    )
    verb = "started" if session.created else "re-used"
    lines: tuple[str, ...] = (f"{session.badge}  {session.name} {verb} in {session.cwd}",)
    if terminal is not None:
        lines += terminal_lines(terminal)
    data = {
        "started": session.created,
        "session": session.to_json(),
        "terminal": terminal.to_json() if terminal else None,
    }
    return Outcome("start", data, lines, value={"session": session, "terminal": terminal})


def _stop(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    stopped = sessions.stop(args.id)
    session = Session(id=args.id, name=sessions.session_name(args.id))  # gone either way
    line = f"{session.name} stopped" if stopped else f"{session.name} was not running"
    return Outcome("stop", {"stopped": stopped, "session": session.to_json()}, (line,), value=stopped)


def _status(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    if args.id is None:
        return _list(sessions, args)
    session = sessions.status(args.id)
    return Outcome("status", session.to_json(), table=session_table([session]), value=[session])


def _list(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    found = sessions.list()
    data = {"sessions": [session.to_json() for session in found]}
    if not found:
        return Outcome("list", data, ("no sessions",), value=[])
    return Outcome("list", data, table=session_table(found), value=found)


def _attach(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    result = sessions.attach(args.id, new_window=args.new_window)
    return Outcome("attach", result.to_json(), terminal_lines(result), value=result)


def _log(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    from . import logs

    path = sessions.log_path(args.id)
    text = sessions.read_log(args.id, tail=args.lines or None)
    shown = text if args.raw else logs.strip_ansi(text)
    return Outcome(
        "log", {"id": args.id, "path": str(path), "log": shown}, tuple(shown.splitlines()), value=shown
    )


def _tasks(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    overview = sessions.overview()
    error = overview.get("sessions_error")
    rows = []
    for task in overview["tasks"]:
        session = task["session"]
        if session:
            badge = vocabulary.badge(session["state"], session["exit_status"])
        else:
            badge = vocabulary.badge("unknown") if error and task["valid"] else vocabulary.INVALID
        rows.append((task["id"], badge, task["status"] or "", task["title"]))
    notes = tuple(f"skipped {p['path']}: {p['reason']}" for p in overview["problems"])
    code = 0
    if error:
        # The task files are listed all the same; the exit code still says what failed.
        notes += (f"error: sessions unknown: {error['reason']}",)
        code = 3 if error["error"] == "tmux_not_found" else 1
    table = Table(("ID", "SESSION", "STATUS", "TITLE"), tuple(rows))
    return Outcome("tasks", overview, table=table, notes=notes, value=overview, code=code)


def _new(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    task = sessions.create_task(args.title, args.body or "", args.status, args.priority, args.id)
    line = f"created {task.path}: {task.id} · {task.status}"
    return Outcome("new", task.to_json(), (line,), value=task)


def _move(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    task = sessions.set_status(args.id, args.status, if_match=args.if_match)
    line = f"{task.id}: status {task.status} ({task.path})"
    return Outcome("move", task.to_json(), (line,), value=task)


#: How each command runs.
RUNNERS: dict[str, Callable[[ClaudeSessions, argparse.Namespace], Outcome]] = {
    "start": _start,
    "stop": _stop,
    "status": _status,
    "list": _list,
    "attach": _attach,
    "log": _log,
    "tasks": _tasks,
    "new": _new,
    "move": _move,
}


def execute(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    """Run the command ``args.command`` names."""
    return RUNNERS[args.command](sessions, args)
