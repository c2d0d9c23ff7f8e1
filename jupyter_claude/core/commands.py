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
import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import figures, vocabulary
from .interaction import WaitTimeout
from .manager import ClaudeSessions
from .permissions import NotPending
from .review import conflict_lines, diff_lines, land_lines, strategy_of
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


def seconds(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


#: Argument kinds with a type of their own.
KINDS = {"count": count, "seconds": seconds}


@dataclass(frozen=True)
class Argument:
    """One argument of a command, in argparse's words."""

    names: tuple[str, ...]
    help: str | None = None
    #: "text", "flag" (store_true), "count" (a whole number >= 0) or "seconds" (a number >= 0).
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
        "start (or re-use) a task's session and open a terminal on it; several ids are queued "
        "(their agents launch start_interval seconds apart, no terminal opens)",
        (
            Argument(("id",), "task id(s)", nargs="+"),
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
        "print a task's log as its screen showed it",
        (
            ID,
            Argument(
                ("-n", "--lines"),
                "only the last N lines (0: all)",
                "count",
                defaults={"magic": 50, "cli": None},
            ),
            Argument(("--follow", "-f"), "keep printing new output", "flag", only="cli"),
            Argument(("--raw",), "the raw bytes, escape sequences included (to replay them)", "flag"),
        ),
    ),
    Command("pending", "every task whose agent waits for a permission, with what it asks"),
    Command("approve", "allow the tool call a task's agent asks permission for", (ID,)),
    Command(
        "deny",
        "refuse the tool call a task's agent asks permission for (it reads your reason)",
        (ID, Argument(("-m", "--message"), "why, for the agent")),
    ),
    Command(
        "send",
        "type text into a task's agent (literal characters, then Enter)",
        (ID, Argument(("text",), "what to type (quote it)")),
    ),
    Command(
        "wait",
        "wait until each task's session reaches a state (exit 4 on timeout)",
        (
            Argument(("ids",), nargs="+", help="task ids"),
            Argument(("--until",), "waiting, idle, exited, stopped, limited, any (default), or a list a,b"),
            Argument(("--timeout",), "give up after this many seconds", "seconds"),
        ),
    ),
    Command(
        "diff",
        "a task's changes: commits, files and patch against its base, and its uncommitted work",
        (ID, Argument(("--stat",), "commits and files with line counts, no patch", "flag")),
    ),
    Command("conflicts", "live tasks whose branches would conflict (with each other or the base)"),
    Command(
        "land",
        "merge a task's branch into the main checkout's branch; refused (nothing changed) on a "
        "conflict, a dirty checkout or uncommitted work",
        (
            ID,
            Argument(("--squash",), "land as one commit", "flag"),
            Argument(("--rebase",), "replay the task's commits on top, then fast-forward", "flag"),
            Argument(("--cleanup",), "then stop the session, remove the worktree, delete the branch", "flag"),
            Argument(("--commit-uncommitted",), "first commit the worktree's uncommitted work there", "flag"),
            Argument(("-m", "--message"), "the message of that commit"),
        ),
    ),
    Command(
        "usage",
        "tokens, model turns, working time and cost of each task (all of them, or these), and the total",
        (Argument(("id",), "task id(s) (default: every task)", nargs="*"),),
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
        sub.set_defaults(front_end=front_end)
        for argument in command.arguments:
            if argument.only not in (None, front_end):
                continue
            options: dict[str, Any] = {"help": argument.help}
            default = argument.defaults.get(front_end)
            if argument.kind == "flag":
                options.update(action="store_true", default=bool(default))
            else:
                options["default"] = default
                if argument.kind in KINDS:
                    options["type"] = KINDS[argument.kind]
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
            s.badge + vocabulary.log_note(s.log_health),
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
    ids = args.id if isinstance(args.id, list) else [args.id]
    if len(ids) > 1:
        return _start_many(sessions, ids, args.cwd)
    session, terminal = sessions.start_and_attach(
        ids[0], args.cwd, attach=not args.no_attach, headless=True if args.headless else None
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


def _start_many(sessions: ClaudeSessions, ids: list[str], cwd: str | None) -> Outcome:
    started = sessions.start_many(ids, cwd)
    line = (
        f"{len(started)} sessions: agents launch {sessions.start_interval:g} s apart, "
        f"at most {sessions.max_starting} starting at once"
    )
    data = {"sessions": [session.to_json() for session in started]}
    return Outcome("start", data, (line,), table=session_table(started), value=started)


def _usage(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    rows = sessions.usage(args.id or None)
    summed = figures.total(row["usage"] for row in rows)
    table_rows = [_usage_row(row["id"], vocabulary.badge(row["state"]), row["usage"]) for row in rows]
    table_rows.append(_usage_row("TOTAL", "", summed))
    notes = tuple(problem for row in rows for problem in row["problems"])
    notes += sessions.ledger.prices(sessions.prices).problems
    table = Table(
        ("ID", "STATE", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "TURNS", "WORKING", "COST", "MODELS"),
        tuple(table_rows),
        (*(row["state"] for row in rows), ""),
    )
    data = {"tasks": rows, "total": summed}
    return Outcome("usage", data, table=table, notes=notes, value=rows)


def _usage_row(task_id: str, state: str, used: dict[str, Any] | None) -> tuple[str, ...]:
    if not used:
        return (task_id, state, "", "", "", "", "", "", "", "")
    return (
        task_id,
        state,
        figures.amount(used["input_tokens"]),
        figures.amount(used["output_tokens"]),
        figures.amount(used["cache_read_tokens"]),
        figures.amount(used["cache_write_tokens"]),
        str(used["turns"]),
        figures.duration(used["working_seconds"]),
        figures.dollars(used["cost"]),
        ", ".join(used["models"]),
    )


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
    path = sessions.log_path(args.id)
    tail = args.lines or None
    shown = sessions.read_log(args.id, tail) if args.raw else sessions.log_text(args.id, tail)
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


def _pending(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    found = [(s, sessions.pending(s.id)) for s in sessions.list() if s.pending]
    asked = [(session, request) for session, request in found if request is not None]
    data = {"pending": [{"id": s.id, "request": request.to_json()} for s, request in asked]}
    if not asked:
        return Outcome("pending", data, ("nothing pending",), value=[])
    rows = tuple((s.id, request.tool, request.summary, request.asked_at) for s, request in asked)
    return Outcome("pending", data, table=Table(("ID", "TOOL", "ASKS", "SINCE"), rows), value=asked)


def _answer(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    decision = "allow" if args.command == "approve" else "deny"
    request = sessions.pending(args.id)
    if request is None:
        raise NotPending(f"task {args.id}'s agent asks for nothing (nothing pending)")
    message = getattr(args, "message", None)
    by = f"{getattr(args, 'front_end', 'python')} ({getpass.getuser()})"
    sessions.answer(args.id, request.request, decision, message, by=by)
    verb = "allowed" if decision == "allow" else "denied"
    line = f"{verb} {request.tool}: {request.summary}"
    return Outcome(
        args.command, {"answered": True, "request": request.to_json(), "decision": decision}, (line,)
    )


def _send(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    session = sessions.send(args.id, args.text)
    return Outcome("send", {"sent": True}, (f"typed {len(args.text)} characters into {session.name}",))


def _wait(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    try:
        reached = sessions.wait(args.ids, args.until or "any", args.timeout)
        code = 0
    except WaitTimeout as timeout:
        reached, code = timeout.sessions, 4
    data = {"sessions": [session.to_json() for session in reached.values()], "timed_out": code == 4}
    table = session_table(list(reached.values()))
    notes = ("timed out",) if code else ()
    return Outcome("wait", data, table=table, notes=notes, value=reached, code=code)


def _diff(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    diff = sessions.diff(args.id)
    data = diff.to_json()
    if args.stat:
        del data["patch"]
    return Outcome("diff", data, diff_lines(diff), value=diff)


def _conflicts(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    report = sessions.conflicts()
    return Outcome("conflicts", report.to_json(), conflict_lines(report), value=report)


def _land(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    strategy = strategy_of(args.squash, args.rebase, args.commit_uncommitted, args.message)
    landing = sessions.land(args.id, strategy, args.cleanup, args.commit_uncommitted, args.message)
    return Outcome("land", landing.to_json(), land_lines(landing), value=landing)


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
    "pending": _pending,
    "approve": _answer,
    "deny": _answer,
    "send": _send,
    "wait": _wait,
    "diff": _diff,
    "conflicts": _conflicts,
    "land": _land,
    "new": _new,
    "move": _move,
    "usage": _usage,
}


def execute(sessions: ClaudeSessions, args: argparse.Namespace) -> Outcome:
    """Run the command ``args.command`` names."""
    return RUNNERS[args.command](sessions, args)
