"""The built-in task workflow, ``jupyter-claude run-task ID``: what ``tw-start ID`` does, built in.

Run inside the task's tmux pane (the default command when ``tw-start`` is not on PATH), it finds the
task file, creates or re-uses the task's git worktree (:mod:`.worktrees`), builds the prompt from the
task with the ``prompt_template`` setting, records the agent, branch and worktree in the tmux
session, and execs the agent of the ``agent`` setting in the worktree (:mod:`.agents`). When the root
is not a git repository it says so and runs in place. A missing agent program prints a message in
the pane and exits 127, which the session's badge shows.

The pane gets the tmux server's environment, not the Jupyter server's: the manager that started the
session passes its settings in ``JUPYTER_CLAUDE_SETTINGS`` (JSON), which win over the config files.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core import options, permissions
from ..core.config import apply_pane_settings
from ..core.errors import InvalidSetting
from ..core.ids import validate_task_id
from ..core.manager import ClaudeSessions
from ..core.tasks import Task
from ..core.tmux import TmuxServer, exact_pane
from . import agents
from .hooks import HookTarget, claude_settings, tmux_from_environment
from .worktrees import Worktree, ahead_of, ensure_worktree

#: Exit code when the agent's program is missing (as a shell reports it).
EXIT_NOT_FOUND = 127

DEFAULT_PROMPT_TEMPLATE = """\
You are working on task {id}: {title}

Task file: {path}
{metadata}

{body}

{workspace}
"""


@dataclass(frozen=True)
class TaskLaunch:
    """Everything decided before the agent is exec'd (tests inspect it without exec'ing)."""

    task: Task
    worktree: Worktree
    profile: agents.AgentProfile
    prompt: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    resumed: bool = False
    conversation: agents.Conversation | None = None
    settings_file: str | None = None
    messages: list[str] = field(default_factory=list)


def render_prompt(template: str, task: Task, worktree: Worktree) -> str:
    """The agent's first prompt: ``template`` with the task's fields filled in."""
    metadata = "\n".join(
        f"- {key}: {value}" for key, value in task.to_json()["metadata"].items() if key not in ("id", "title")
    )
    if worktree.in_place:
        workspace = (
            f"You are working directly in {worktree.path} (it is not a git repository, so there is no "
            "separate worktree for this task)."
        )
    else:
        workspace = (
            f"You are in a git worktree made for this task, {worktree.path}, on branch {worktree.branch}. "
            "Commit your work on this branch; leave the main checkout alone."
        )
    values = {
        "id": task.id,
        "title": task.title,
        "path": task.path,
        "metadata": metadata or "(no metadata)",
        "body": task.body.strip(),
        "workspace": workspace,
        "worktree": worktree.path,
        "branch": worktree.branch or "",
        "status": task.status or "",
        "priority": task.priority or "",
    }
    return agents.fill(template or DEFAULT_PROMPT_TEMPLATE, values).strip() + "\n"


def find_task(sessions: ClaudeSessions, task_id: str) -> Task:
    """The task file for ``task_id`` under the manager's task folders."""
    task: Task | None = sessions.tasks().get(task_id)
    if task is None:
        folders = ", ".join(sessions.tasks_dirs) or "(none)"
        raise InvalidSetting(f"no task file with id {task_id!r} under {folders} in {sessions.root_dir}")
    if not task.valid:
        raise InvalidSetting(f"{task.path}: {task.invalid_reason}")
    return task


def prepare_launch(
    sessions: ClaudeSessions, task_id: str, environ: Mapping[str, str] | None = None
) -> TaskLaunch:
    """Find the task, make its worktree, build prompt, argv and environment (nothing is exec'd)."""
    environ = dict(os.environ if environ is None else environ)
    validate_task_id(task_id)
    task = find_task(sessions, task_id)
    profile = agents.agent_profile(sessions.agent, dict(sessions.agents))
    worktree = ensure_worktree(sessions.root_dir, task_id, sessions.worktrees_root, sessions.worktree_base)
    cwd = _task_cwd(sessions.root_dir, worktree)
    prompt = render_prompt(sessions.prompt_template, task, worktree)
    name = sessions.session_name(task_id)
    messages = [f"jupyter-claude: task {task.id}: {task.title}"]
    if worktree.in_place:
        messages.append(f"  {worktree.path} is not a git repository: running in place, without a worktree")
    else:
        verb = "created" if worktree.created else "re-used"
        messages.append(f"  worktree {worktree.path} ({verb}, branch {worktree.branch})")

    values = {
        "prompt": prompt,
        "prompt_file": str(agents.write_prompt_file(name, cwd, prompt)),
        "id": task.id,
        "title": task.title,
        "worktree": worktree.path,
        "shell": environ.get("SHELL") or "/bin/sh",
    }
    conversation = None
    resumed = False
    if profile.remembers_conversation:
        conversation = agents.load_conversation(agents.conversation_file(task.id, profile.name, cwd))
        values["session_id"] = conversation.session_id
        resumed = profile.resume_argv is not None and conversation.can_resume()
    settings_file = None
    if profile.hooks:
        target = HookTarget(
            tmux=shutil.which("tmux") or "tmux",
            socket=tmux_from_environment(environ)[0] or "",
            session=name,
            conversation=str(conversation.path) if conversation else None,
            worktree=worktree.path if worktree.base_commit else None,
            base_commit=worktree.base_commit,
            git=shutil.which("git") or "git",
            task_id=task.id,
            permissions=str(permissions.folder(task.id)),
            audit=str(sessions.audit_path(task.id)),
            permission_timeout=sessions.permission_timeout,
            transcripts=str(
                agents.transcripts_file(task.id, str(Path(sessions.root_dir).expanduser().resolve()))
            ),
        )
        settings_file = str(agents.write_claude_settings(name, claude_settings(target)))
        values["settings_file"] = settings_file
    argv = agents.agent_argv(profile, values, resume=resumed)
    agent_line = f"  agent {profile.name}"
    if conversation is not None:
        agent_line += f" ({'resuming' if resumed else 'new'} conversation {conversation.session_id})"
    messages.append(agent_line)

    env = {key: value for key, value in environ.items() if key != "CLAUDECODE"}
    env.update(
        {
            "JUPYTER_CLAUDE_TASK_ID": task.id,
            "JUPYTER_CLAUDE_TASK_FILE": str(Path(sessions.root_dir).expanduser() / task.path),
            "JUPYTER_CLAUDE_WORKTREE": worktree.path,
            "JUPYTER_CLAUDE_AGENT": profile.name,
            "JUPYTER_CLAUDE_PROMPT_FILE": values["prompt_file"],
        }
    )
    if worktree.branch:
        env["JUPYTER_CLAUDE_BRANCH"] = worktree.branch
    env.update({key: agents.fill(str(value), values) for key, value in profile.env.items()})
    return TaskLaunch(
        task=task,
        worktree=worktree,
        profile=profile,
        prompt=prompt,
        argv=argv,
        env=env,
        cwd=cwd,
        resumed=resumed,
        conversation=conversation,
        settings_file=settings_file,
        messages=messages,
    )


def record_in_tmux(
    sessions: ClaudeSessions, launch: TaskLaunch, environ: Mapping[str, str] | None = None
) -> bool:
    """Store agent, branch, worktree, "ahead" and the screen patterns in the session (one tmux
    call); False when not running inside tmux."""
    socket, pane = tmux_from_environment(os.environ if environ is None else environ)
    if socket is None:
        return False
    target = pane or exact_pane(sessions.session_name(launch.task.id))
    worktree = launch.worktree
    ahead = ahead_of(worktree.path, worktree.base_commit) if worktree.base_commit else None
    values = {
        options.AGENT: launch.profile.name,
        options.BRANCH: worktree.branch or "",
        options.WORKTREE: json.dumps(worktree.path),
        options.AHEAD: "" if ahead is None else str(ahead),
        options.BUSY_PATTERN: launch.profile.busy,
        options.WAITING_PATTERN: launch.profile.waiting,
        options.LIMITED_PATTERN: launch.profile.limited,
    }
    TmuxServer(socket).run(*(["set-option", "-t", target, key, value] for key, value in values.items()))
    return True


def run_task(sessions: ClaudeSessions, task_id: str) -> int:
    """Prepare the task's launch, record it in tmux, print what happens, and exec the agent."""
    apply_pane_settings(sessions)
    launch = prepare_launch(sessions, task_id)
    try:
        record_in_tmux(sessions, launch)
    except Exception as error:  # the agent still starts; only the session record is poorer
        print(f"jupyter-claude: could not record the task in tmux: {error}", file=sys.stderr)
    for line in launch.messages:
        print(line)
    if launch.profile.print_prompt:
        print("\n" + launch.prompt)
    program = shutil.which(launch.argv[0], path=launch.env.get("PATH"))
    if program is None:
        hint = f" Install it: {launch.profile.install_hint}." if launch.profile.install_hint else ""
        print(
            f"jupyter-claude: cannot start the {launch.profile.name} agent: {launch.argv[0]!r} is not "
            f"on PATH.{hint} Or choose another agent: --ClaudeSessions.agent=shell",
            file=sys.stderr,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        return EXIT_NOT_FOUND
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(launch.cwd)
    os.execve(program, launch.argv, launch.env)
    return 0  # pragma: no cover - execve does not return


def _task_cwd(root_dir: str, worktree: Worktree) -> str:
    """Where the agent starts: the worktree, at the same place the root has inside its repository."""
    root = Path(root_dir).expanduser().resolve()
    if worktree.in_place or worktree.repo is None:
        return str(root)
    try:
        relative = root.relative_to(Path(worktree.repo).resolve())
    except ValueError:
        return worktree.path
    candidate = Path(worktree.path) / relative
    return str(candidate if candidate.is_dir() else worktree.path)
