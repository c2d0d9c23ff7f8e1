"""Answering the real Claude Code CLI from outside its terminal: permission requests, typed messages,
waiting for states — through the REST API and events, the Python API, the CLI and the magic.

The agent is the real ``claude`` program in a task's pane (built-in workflow, our hooks), talking to
the scripted model server on loopback (tests/support/model_server.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.permissions import NotPending

from ..support.agents import Agents
from ..support.claude import RealClaude
from ..support.data import wait_for
from ..support.model_server import Slow, Text, ToolUse
from ..support.processes import running
from ..support.server import Fetch, body, error_of, post, read_frames, server_config

DIALOG = "Do you want to"


def worktree(git_root: Path) -> Path:
    return git_root.parent / f"{git_root.name}.worktrees" / "42"


def hook_processes(task_id: str = "42") -> list[int]:
    """PIDs of permission hooks still running for a task."""
    return running(b"permission_hook.py\0", f"/permissions/{task_id}\0".encode())


def pending_of(frames: list[str | bytes]) -> Any:
    """The last ``pending`` pushed for task 42 (a dict, or None), or ... when none was pushed."""
    last: Any = ...
    for frame in frames:
        message = json.loads(frame)
        for session in message.get("sessions") or ([message["session"]] if message.get("session") else []):
            if session["id"] == "42":
                last = session.get("pending")
    return last


@pytest.fixture
def jp_server_config(
    tmux_socket: str, tmp_path: Path, git_root: Path, real_claude: RealClaude
) -> dict[str, Any]:
    return server_config(tmux_socket, tmp_path, command=[], root_dir=str(git_root), agent_quiet_seconds=2)


async def test_allow_from_rest_then_deny_with_a_reason(
    jp_fetch: Fetch, jp_ws_fetch: Any, real_claude: RealClaude, git_root: Path, tmp_path: Path
) -> None:
    model = real_claude.model
    model.script(
        ToolUse("Bash", {"command": "touch made.txt", "description": "Make a file"}),
        Slow(1.5, Text("Made it.")),
    )
    events = await jp_ws_fetch("claude", "events")
    frames = await read_frames(events, lambda frames: len(frames) >= 1)
    await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
    real_claude.wait_for_screen(DIALOG)
    # The request is pushed on claude/events and answers GET permission in full.
    frames += await read_frames(events, lambda f: isinstance(pending_of(f), dict), timeout=10)
    summary = pending_of(frames)
    assert summary["tool"] == "Bash" and summary["summary"] == "touch made.txt"
    full = body(await jp_fetch("claude", "42", "permission"))["pending"]
    assert full["request"] == summary["request"] and full["input"]["command"] == "touch made.txt"
    assert isinstance(full["suggestions"], list) and full["asked_at"].endswith("Z")
    assert body(await jp_fetch("claude", "42", "status"))["state"] == "waiting"
    answer = {"request": summary["request"], "decision": "allow"}
    assert body(await post(jp_fetch, "claude", "42", "permission", payload=answer)) == {"answered": True}
    # A second answer to the same request changes nothing.
    code, error = await error_of(
        post(jp_fetch, "claude", "42", "permission", payload={**answer, "decision": "deny"})
    )
    assert code == 409 and error["error"] == "conflict"
    frames += await read_frames(events, lambda f: pending_of(f) is None, timeout=10)
    real_claude.wait_for_screen("Made it.")
    assert (worktree(git_root) / "made.txt").exists()
    wait_for(lambda: not hook_processes(), 10)

    # Deny with a reason: the tool does not run, and the agent's next request carries the reason.
    model.script(ToolUse("Bash", {"command": "rm -rf build", "description": "Clean"}), Text("Understood."))
    await post(jp_fetch, "claude", "42", "input", payload={"text": "clean up"})
    real_claude.wait_for_screen(DIALOG)
    frames += await read_frames(events, lambda f: isinstance(pending_of(f), dict), timeout=10)
    request = pending_of(frames)["request"]
    deny = {"request": request, "decision": "deny", "message": "Not the build folder, it holds the release."}
    await post(jp_fetch, "claude", "42", "permission", payload=deny)
    real_claude.wait_for_screen("Understood.")
    denial = [r for r in model.main_requests() if "it holds the release" in r.last_user_text()]
    assert denial, [r.last_user_text()[-300:] for r in model.main_requests()]
    assert any("clean up" in r.all_text() for r in model.main_requests())  # the typed message reached it
    # Every decision is in the audit file beside the task log.
    audit = [json.loads(line) for line in (tmp_path / "logs" / "42.audit.jsonl").read_text().splitlines()]
    assert [(a["decision"], a["tool"]) for a in audit] == [("allow", "Bash"), ("deny", "Bash")]
    assert all(a["by"] != "unknown" for a in audit)
    wait_for(lambda: not hook_processes(), 10)
    events.close()


def test_answered_in_the_terminal_clears_the_request(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents, git_root: Path
) -> None:
    model = real_claude.model
    model.script(
        ToolUse("Bash", {"command": "touch yes.txt", "description": "First"}),
        ToolUse("Bash", {"command": "touch no.txt", "description": "Second"}),
        Text("unreachable"),
    )
    workflow.start("42")
    real_claude.wait_for_screen(DIALOG)
    first = wait_for(lambda: workflow.pending("42"), 10)
    assert first.summary == "touch yes.txt" and hook_processes()
    real_claude.type("Enter")  # Yes, in the terminal
    # The next request follows at once; the first is gone and its hook ended.
    second = wait_for(lambda: (p := workflow.pending("42")) and p.request != first.request and p, 10)
    assert second.summary == "touch no.txt"
    with pytest.raises(NotPending):
        workflow.answer("42", first.request, "deny")
    real_claude.type("Escape")  # No, in the terminal: Claude Code ends the hook
    wait_for(lambda: workflow.status("42").pending is None, 10)
    wait_for(lambda: not hook_processes(), 10)
    assert (worktree(git_root) / "yes.txt").exists() and not (worktree(git_root) / "no.txt").exists()
    audit = [json.loads(line) for line in workflow.audit_path("42").read_text().splitlines()]
    assert [(a["decision"], a["by"]) for a in audit] == [("allowed", "terminal"), ("denied", "terminal")]


def test_stopping_while_a_request_is_pending_leaves_nothing(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents
) -> None:
    real_claude.model.script(ToolUse("Write", {"file_path": "a.md", "content": "a"}))
    workflow.start("42")
    wait_for(lambda: workflow.pending("42"), 60)
    workflow.stop("42")
    assert workflow.pending("42") is None
    wait_for(lambda: not hook_processes(), 10)


def test_cli_verbs_pending_approve_deny_send_wait(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents, git_root: Path, tmux_socket: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    env["JUPYTER_CLAUDE_TMUX_SOCKET"] = tmux_socket
    settings = [
        f"--ClaudeSessions.log_dir={workflow.log_dir}",
        f"--ClaudeSessions.root_dir={workflow.root_dir}",
    ]

    def cli(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "jupyter_claude", *args, *settings],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        return done

    model = real_claude.model
    model.script(Text("Hi."))
    workflow.start("42")
    cli("wait", "42", "--until", "idle", "--timeout", "60")
    assert cli("pending").stdout.strip() == "nothing pending"
    # wait times out with exit 4 (the agent is idle, not waiting).
    assert "timed out" in cli("wait", "42", "--until", "waiting", "--timeout", "0.5", code=4).stderr
    model.script(ToolUse("Bash", {"command": "touch cli.txt", "description": "Make"}), Slow(1, Text("Yes.")))
    cli("send", "42", "please make cli.txt")
    cli("wait", "42", "--until", "waiting", "--timeout", "60")
    listed = json.loads(cli("pending", "--json").stdout)["pending"]
    assert [(p["id"], p["request"]["summary"]) for p in listed] == [("42", "touch cli.txt")]
    assert cli("approve", "42").stdout.strip() == "allowed Bash: touch cli.txt"
    cli("wait", "42", "--until", "idle", "--timeout", "60")
    assert (worktree(git_root) / "cli.txt").exists()
    assert any("please make cli.txt" in r.all_text() for r in model.main_requests())
    model.script(ToolUse("Bash", {"command": "touch nope.txt", "description": "No"}), Text("Fine."))
    cli("send", "42", "and nope.txt")
    cli("wait", "42", "--until", "waiting", "--timeout", "60")
    cli("deny", "42", "-m", "no more files today")
    cli("wait", "42", "--until", "idle", "--timeout", "60")
    assert any("no more files today" in r.last_user_text() for r in model.main_requests())
    assert "asks for nothing" in cli("approve", "42", code=1).stderr
    workflow.stop("42")


def test_magic_verbs_and_the_python_api(
    workflow: ClaudeSessions,
    real_claude: RealClaude,
    agents: Agents,
    git_root: Path,
    tmux_socket: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from IPython.testing.globalipapp import get_ipython

    config = tmp_path / "jupyter-config"
    config.mkdir()
    settings = {"log_dir": workflow.log_dir, "root_dir": workflow.root_dir, "headless": True}
    (config / "jupyter_claude_config.json").write_text(json.dumps({"ClaudeSessions": settings}))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config))
    monkeypatch.setenv("JUPYTER_CLAUDE_TMUX_SOCKET", tmux_socket)
    ip = get_ipython()
    ip.run_line_magic("load_ext", "jupyter_claude")
    model = real_claude.model
    model.script(
        ToolUse("Bash", {"command": "touch magic.txt", "description": "Make"}), Slow(1, Text("Done."))
    )
    workflow.start("42")
    reached = workflow.wait(["42"], until="waiting", timeout=60)
    assert reached["42"].pending and reached["42"].pending["summary"] == "touch magic.txt"
    pending = ip.run_line_magic("claude", "pending")
    assert "touch magic.txt" in pending.text and "<td>" in pending._repr_html_()
    allowed = ip.run_line_magic("claude", "approve 42")
    assert allowed.text == "allowed Bash: touch magic.txt"
    workflow.wait(["42"], until="idle", timeout=60)
    model.script(ToolUse("Bash", {"command": "touch never.txt", "description": "No"}), Text("Ok."))
    ip.run_line_magic("claude", "send 42 'one more'")
    ip.run_line_magic("claude", "wait 42 --until waiting --timeout 60")
    ip.run_line_magic("claude", "deny 42 -m 'not now'")
    workflow.wait(["42"], until="idle", timeout=60)
    assert (worktree(git_root) / "magic.txt").exists() and not (worktree(git_root) / "never.txt").exists()
    assert any("not now" in r.last_user_text() for r in model.main_requests())
    workflow.stop("42")


def test_task_table_rows_show_the_request_with_allow_and_deny(
    workflow: ClaudeSessions, real_claude: RealClaude, agents: Agents, git_root: Path
) -> None:
    from jupyter_claude import TaskTable

    model = real_claude.model
    model.script(
        ToolUse("Bash", {"command": "touch table.txt", "description": "Make"}),
        Slow(1, Text("Done.")),
        ToolUse("Bash", {"command": "touch refused.txt", "description": "No"}),
        Text("Ok."),
    )
    table = TaskTable(workflow, open_terminal=False)
    try:
        table.run("42")
        row = wait_for(lambda: (r := table.row("42")) and r.asks and r, 60)
        assert row.asks == "Bash: touch table.txt" and not row.allow_button.disabled
        assert "🟡 asks to run Bash: touch table.txt" in row.cells.value
        row.allow_button.click()
        assert "allowed Bash: touch table.txt" in table.item("42").message  # type: ignore[union-attr]
        wait_for(lambda: workflow.status("42").state == "idle", 60)
        wait_for(lambda: row.allow_button.disabled and not row.asks, 10)
        workflow.send("42", "and one more")
        wait_for(lambda: row.asks == "Bash: touch refused.txt", 60)
        row.deny_button.click()
        wait_for(lambda: workflow.status("42").state == "idle", 60)
        made = worktree(git_root)
        assert (made / "table.txt").exists() and not (made / "refused.txt").exists()
        assert any("Denied from the notebook" in r.last_user_text() for r in model.main_requests())
    finally:
        table.close()
        workflow.stop("42")
