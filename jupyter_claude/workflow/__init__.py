"""The built-in ``run-task`` workflow: a git worktree per task (:mod:`.worktrees`), agent profiles
(:mod:`.agents`), Claude Code's state hooks (:mod:`.hooks`), and the launch itself (:mod:`.runtask`).

It runs inside a task's tmux pane and imports only :mod:`jupyter_claude.core`.
"""

from .runtask import DEFAULT_PROMPT_TEMPLATE

__all__ = ["DEFAULT_PROMPT_TEMPLATE"]
