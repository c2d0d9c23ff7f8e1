"""The tmux session user options jupyter-claude keeps its records in, named once.

tmux is the only record of what runs: the manager, the log writer and the agent hooks write these
options, and the one listing (:mod:`.listing`) reads them all back. Their names and formats are
kept as they were in earlier releases, so sessions they started are still read.
"""

from __future__ import annotations

#: The pane that runs the task's command (panes the user splits off later are not it).
PANE = "@jc_pane"
#: One JSON record {"started_at", "cwd", "command", "log_offset"} written at each start.
META = "@jc_meta"
#: The task log's health as its writer reports it: "" (fine), "lost N", or "gap".
LOG = "@jc_log"

#: The agent of the built-in workflow, and what its hooks report.
AGENT = "@jc_agent"
AGENT_STATE = "@jc_agent_state"
BRANCH = "@jc_branch"
WORKTREE = "@jc_worktree"
AHEAD = "@jc_ahead"
#: Screen patterns (POSIX ERE) that tmux searches for the state of agents without hooks.
BUSY_PATTERN = "@jc_busy_pattern"
WAITING_PATTERN = "@jc_waiting_pattern"
#: Screen pattern of a refusal for a rate or usage limit (agents without hooks).
LIMITED_PATTERN = "@jc_limited_pattern"

#: The agent's pending permission request, summed up (see :mod:`.permissions`).
PENDING = "@jc_pending"

#: What the built-in workflow records in a session it runs (cleared when a respawn runs another command).
AGENT_RECORD = (AGENT, BRANCH, WORKTREE, AHEAD, BUSY_PATTERN, WAITING_PATTERN, PENDING, LIMITED_PATTERN)

#: Starting many at once (:mod:`.queue`): the session's place in the launch queue (the time it was
#: queued, epoch seconds; unset once its command launched), and when its command was let go.
QUEUED = "@jc_queued"
LAUNCHED = "@jc_launched"
#: Set by the UserPromptSubmit hook: the agent got its first prompt (it is past its start).
PROMPTED = "@jc_prompted"
#: The rate limit (its record's key) after which "continue" was sent (:mod:`.limits`): at most once.
RESUMED = "@jc_resumed"
