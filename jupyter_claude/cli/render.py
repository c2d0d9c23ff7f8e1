"""How the command line shows a command's outcome: text for people, or JSON with ``--json``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..core.commands import Outcome, Table
from ..core.review import colour_patch


def print_json(value: Any) -> None:
    """JSON as the REST API's shapes, indented."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns, two spaces apart."""
    print(Table(tuple(header), tuple(tuple(row) for row in rows)).text())


def print_patch(patch: str) -> None:
    """A patch after a blank line: in colour on a terminal (unless NO_COLOR is set), plain when piped."""
    print()
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        print("\n".join(colour_patch(patch)))
    else:
        sys.stdout.write(patch)


def print_outcome(outcome: Outcome, as_json: bool = False) -> None:
    """Print what a command did (notes go to stderr)."""
    if as_json:
        print_json(outcome.json)
    else:
        if outcome.command == "log":
            sys.stdout.write(outcome.value)
        else:
            for line in outcome.lines:
                print(line)
        if outcome.command == "diff" and outcome.json.get("patch"):
            print_patch(outcome.json["patch"])
        if outcome.table is not None:
            print(outcome.table.text())
    sys.stdout.flush()
    for note in outcome.notes:
        print(note, file=sys.stderr)
