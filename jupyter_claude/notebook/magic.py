"""The ``%claude`` line magic: the command table's commands inside IPython, shown as HTML.

``%load_ext jupyter_claude``, then ``%claude start 42``, ``%claude status``, ``%claude log 42 -n 50``,
``%claude tasks`` (the TaskTable widget), ``%claude diff 42 [--stat]`` (the task's changes as a coloured
diff), ``%claude conflicts``, ``%claude land 42`` … ``%claude --help`` lists them all. The commands, their
arguments and help come from :mod:`jupyter_claude.core.commands`, like the CLI's; this module only
renders their outcomes (HTML in a notebook, the CLI's words as plain text elsewhere). Settings come
from the Jupyter config files and ``--ClaudeSessions.name=value`` anywhere on the line. Bad input
prints one line, never a traceback. Each command returns a :class:`ClaudeOutput` (``.value`` holds
the data) or, for ``tasks``, a :class:`~jupyter_claude.notebook.table.TaskTable`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class

from ..core import vocabulary
from ..core.commands import Outcome, Table, add_commands, execute
from ..core.config import split_settings
from ..core.errors import ClaudeSessionsError
from ..core.manager import ClaudeSessions
from .diffview import diff_html
from .html import escape
from .refresher import REFRESHER


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
    """The magic's commands and flags (the command table's, as the CLI has them)."""
    parser = _Parser(
        prog="%claude",
        description="Start, watch, attach to and stop one coding-agent tmux session per task.",
        epilog="Settings: --ClaudeSessions.<name>=<value> anywhere on the line (see the README).",
    )
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser), "magic")
    return parser


@magics_class
class ClaudeMagics(Magics):  # type: ignore[misc]
    """The ``%claude`` magic."""

    @line_magic
    def claude(self, line: str) -> Any:
        """Start, stop, watch and attach to task sessions: ``%claude --help`` lists the commands."""
        return run_line(line)


def run_line(line: str) -> Any:
    """Parse and run one ``%claude`` line."""
    try:
        settings, words = split_settings(shlex.split(line))
    except ValueError as error:
        return _fail(f"%claude: cannot parse the line: {error}")
    parser = build_parser()
    try:
        args = parser.parse_args(words)
    except _HelpShown:
        return None
    except _UsageError as error:
        return _fail(str(error))
    if args.command is None:
        parser.print_help()
        return None
    try:
        sessions = ClaudeSessions.from_config(settings=settings)
        if args.command == "tasks":
            from .table import TaskTable

            return TaskTable(sessions, page_size=args.page_size)
        return render(execute(sessions, args))
    except ClaudeSessionsError as error:
        return _fail(f"%claude {args.command}: {error}")
    except Exception as error:  # config errors and the like: one line, no traceback
        return _fail(f"%claude {args.command}: {type(error).__name__}: {error}")
    finally:
        REFRESHER.poke()  # this kernel's open tables show the change without waiting for the tick


def _fail(message: str) -> None:
    print(" ".join(message.split()), file=sys.stderr)
    return None


# -- rendering -----------------------------------------------------------------------------------


def render(outcome: Outcome) -> ClaudeOutput:
    """An outcome as HTML (and as the CLI's text)."""
    lines = list(outcome.lines)
    if outcome.command == "log":
        path = outcome.json["path"]
        shown = outcome.value.rstrip("\n") or f"(no output yet in {path})"
        markup = (
            f"<div><b>log of {escape(outcome.json['id'])}</b> <code>{escape(path)}</code></div>"
            "<pre style='max-height:24em;overflow:auto;margin:0'>"
            f"{escape(shown)}</pre>"
        )
        return ClaudeOutput(shown, markup, outcome.value)
    if outcome.command == "diff":
        patch = outcome.json.get("patch") or ""
        return ClaudeOutput(
            "\n".join([*lines, "", patch] if patch else lines), diff_html(outcome.json, lines), outcome.value
        )
    markup = "".join(f"<div>{_first_bold(line, index, outcome)}</div>" for index, line in enumerate(lines))
    text = "\n".join(lines)
    if outcome.table is not None:
        markup += table_html(outcome.table)
        text += ("\n" if text else "") + outcome.table.text()
    return ClaudeOutput(text, markup, outcome.value)


def _first_bold(line: str, index: int, outcome: Outcome) -> str:
    """The first line of a start or stop with its session's badge in bold."""
    session = outcome.json.get("session") if isinstance(outcome.json, dict) else None
    if index != 0 or not isinstance(session, dict):
        return escape(line)
    badge = vocabulary.badge(session["state"], session["exit_status"])
    rest = line[len(badge) :].strip() if line.startswith(badge) else line
    return f"<b>{escape(badge)}</b> {escape(rest)}"


def table_html(table: Table) -> str:
    """A table of the command table's rows, every cell escaped."""
    header = "".join(f"<th style='text-align:left'>{escape(name.title())}</th>" for name in table.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(index, cell)}</td>" for index, cell in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    head = f"<thead><tr>{header}</tr></thead>"
    return f"<table class='jupyter-claude-sessions'>{head}<tbody>{rows}</tbody></table>"


def _cell(index: int, cell: str) -> str:
    return f"<code>{escape(cell)}</code>" if index == 0 and cell else escape(cell)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%claude`` (``%load_ext jupyter_claude``)."""
    ipython.register_magics(ClaudeMagics)
