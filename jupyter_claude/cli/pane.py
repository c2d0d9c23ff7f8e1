"""The command line's own commands: the built-in workflow's entry points inside a task's pane
(``run-task``, ``hook``), the launch queue's gate (``wait-turn``) and the task worktrees
(``worktree list|remove``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..core import queue, vocabulary
from ..core.errors import InvalidSetting
from ..core.manager import ClaudeSessions
from ..core.tmux import TmuxServer
from ..workflow import hooks, runtask, worktrees
from . import render

COMMANDS = ("run-task", "hook", "worktree", "wait-turn")


def add_commands(subparsers: Any) -> dict[str, argparse.ArgumentParser]:
    """Add the pane and worktree commands to the command line's parser."""
    parser_class = subparsers._parser_class  # the front end's parser: errors become usage errors
    run_task = subparsers.add_parser(
        "run-task", help="the built-in workflow, run inside a task's pane: worktree, prompt, agent"
    )
    run_task.add_argument("id")

    hook = subparsers.add_parser(
        "hook", help="record a Claude Code hook event (JSON on stdin) as the agent's state"
    )
    hook.add_argument("--socket", help="tmux socket path (default: from $TMUX)")
    hook.add_argument("--session", help="tmux session name (default: the pane in $TMUX_PANE)")
    hook.add_argument("--state", choices=("working", "waiting", "idle"), help="state it is registered for")
    hook.add_argument("--conversation", help="file that remembers the conversation id")
    hook.add_argument("--worktree", help="the task's worktree, to count commits ahead of the base")
    hook.add_argument("--base-commit", help="the commit the task branch is measured against")

    worktree = subparsers.add_parser("worktree", help="the task worktrees: list, remove ID [--force]")
    actions = worktree.add_subparsers(dest="worktree_command", metavar="ACTION", parser_class=parser_class)
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
    wait_turn = subparsers.add_parser(
        "wait-turn", help="inside a queued task's pane: wait for its turn to launch, then run COMMAND"
    )
    wait_turn.add_argument("--session", required=True, help="the task's tmux session name")
    wait_turn.add_argument("--prefix", required=True, help="the session prefix (whose sessions queue)")
    wait_turn.add_argument("--interval", type=float, required=True, help="seconds between two launches")
    wait_turn.add_argument("--max-starting", type=int, required=True, help="agents starting at once, at most")
    wait_turn.add_argument(
        "--agent", action="store_true", help="COMMAND starts an agent that reports its state"
    )
    wait_turn.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    return {"run-task": run_task, "hook": hook, "worktree": worktree, "wait-turn": wait_turn}


def run(args: argparse.Namespace, settings: Sequence[str]) -> int:
    """Run one of these commands."""
    if args.command == "hook":
        return hooks.run_hook(
            socket=args.socket,
            session=args.session,
            registered_state=args.state,
            conversation=args.conversation,
            worktree=args.worktree,
            base_commit=args.base_commit,
        )
    if args.command == "wait-turn":
        return _wait_turn(args)
    sessions = ClaudeSessions.from_config(settings=settings)
    if args.command == "run-task":
        return runtask.run_task(sessions, args.id)
    return _worktree(args, sessions)


def _wait_turn(args: argparse.Namespace) -> int:
    """Wait in the queue (:mod:`jupyter_claude.core.queue`), then become the task's command."""
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise InvalidSetting("wait-turn: give the command to run after --")
    socket = os.environ.get("TMUX", "").split(",")[0]
    if socket:
        server = TmuxServer(socket)
        if not queue.wait_for_turn(
            server, args.session, args.prefix, args.interval, args.max_starting, args.agent
        ):
            return 0  # the session is gone: nothing to launch
    sys.stdout.flush()
    try:
        os.execvp(argv[0], argv)
    except OSError as error:
        print(f"jupyter-claude: cannot run {argv[0]!r}: {error.strerror or error}", file=sys.stderr)
        return 127
    return 0  # not reached


def _worktree(args: argparse.Namespace, sessions: ClaudeSessions) -> int:
    """``worktree list`` / ``worktree remove ID [--force]``."""
    base = sessions.worktree_base
    if args.worktree_command == "remove":
        if sessions.status(args.id).running:
            raise InvalidSetting(
                f"task {args.id}'s session is running in that worktree: stop it first "
                f"(jupyter claude stop {args.id})"
            )
        removed = worktrees.remove_worktree(sessions.root_dir, args.id, force=args.force, base=base)
        if args.json:
            render.print_json({"removed": removed.to_json()})
        else:
            print(f"removed {removed.path}; branch {removed.branch} is kept (git branch -D {removed.branch})")
        return 0
    infos = worktrees.list_worktrees(sessions.root_dir, base)
    states = {session.id: session for session in sessions.list()}
    if args.json:
        rows = [
            {**info.to_json(), "session": states[info.task_id].to_json() if info.task_id in states else None}
            for info in infos
        ]
        render.print_json({"worktrees": rows})
        return 0
    if not infos:
        print("no task worktrees")
        return 0
    table = []
    for info in infos:
        session = states.get(info.task_id)
        changes = "missing" if not info.exists else ("uncommitted" if info.dirty else "clean")
        ahead = "?" if info.ahead is None else str(info.ahead)
        badge = session.badge if session else vocabulary.badge("stopped")
        table.append((info.task_id, badge, info.branch, ahead, changes, info.path))
    render.print_table(("ID", "SESSION", "BRANCH", "AHEAD", "CHANGES", "PATH"), table)
    return 0
