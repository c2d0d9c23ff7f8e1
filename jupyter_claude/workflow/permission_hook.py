"""Claude Code's ``PermissionRequest`` hook: a permission request anyone can answer, from anywhere.

Claude Code runs this while its permission dialog is on screen (``python -I -S`` by path: it needs
only the standard library and starts in milliseconds). It makes the request a pending request of the
task at once: the full record (tool, input, Claude Code's suggestions) in a file of the task's
permission folder, a one-line summary in the session's ``@jc_pending`` option (every listing, and so
every front end, shows it) and the state ``waiting``. Then it waits for whichever answer comes first:

- an answer from outside (browser, notebook, CLI, REST): the manager writes ``{request}.answer``
  beside the record; the hook prints Claude Code's decision (``allow``, or ``deny`` with the
  person's message, which the agent then reads) and exits;
- the person answers in the terminal: "Yes" makes Claude Code go on and its ``PostToolUse`` hook
  clears ``@jc_pending``, which this hook notices (it checks every 0.2 s); "No"/Esc makes Claude
  Code end this hook with SIGTERM. Either way it clears the request and exits, printing nothing;
- nobody answers within ``--timeout`` seconds, or the session or Claude Code went away: it clears
  the request and exits without a decision (the terminal dialog stands).

Every outcome that is not an answer from outside (those the manager records) is appended to the
task's audit file. The hook never breaks the agent: any failure ends it silently, without a
decision, and the terminal dialog still works.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

OPTION_PENDING = "@jc_pending"
OPTION_STATE = "@jc_agent_state"

#: Seconds between two looks for an outside answer, and between two checks of tmux.
ANSWER_POLL = 0.05
TMUX_POLL = 0.2

#: How long a hook ended by Claude Code waits to see whether the tool ran (answered "Yes").
TERMINAL_ANSWER_WAIT = 1.0

#: Longest summary (one line).
SUMMARY_CHARS = 200


def summarize(tool: str, tool_input: Any) -> str:
    """One line about what the tool would do: the command, the file path, the URL."""
    value: Any = ""
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "notebook_path", "url", "path", "pattern", "query", "prompt"):
            if tool_input.get(key):
                value = tool_input[key]
                break
        else:
            value = json.dumps(tool_input, ensure_ascii=False, sort_keys=True)
    text = " ".join(str(value).split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Hook:
    """One permission request, from asking to its answer."""

    def __init__(self, options: dict[str, str]) -> None:
        self.tmux = [options["tmux"], "-S", options["socket"]]
        self.target = f"={options['session']}:"
        self.folder = options["folder"]
        self.audit_path = options.get("audit", "")
        self.task_id = options.get("task", "")
        self.timeout = float(options.get("timeout") or 3600)
        self.request: dict[str, Any] = {}
        self.parent = os.getppid()

    def tmux_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.tmux, *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )

    @property
    def record_path(self) -> str:
        return os.path.join(self.folder, f"{self.request['request']}.json")

    @property
    def answer_path(self) -> str:
        return os.path.join(self.folder, f"{self.request['request']}.answer")

    def ask(self, payload: dict[str, Any]) -> None:
        """Make the request pending: the record file, then the summary and the state in tmux."""
        tool = str(payload.get("tool_name") or "?")
        tool_input = payload.get("tool_input") if isinstance(payload.get("tool_input"), dict) else {}
        self.request = {
            "request": uuid.uuid4().hex[:16],
            "tool": tool,
            "summary": summarize(tool, tool_input),
            "input": tool_input,
            "suggestions": payload.get("permission_suggestions") or [],
            "asked_at": _now(),
        }
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        temporary = self.record_path + f".{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.request, handle)
        os.replace(temporary, self.record_path)
        short = {key: self.request[key] for key in ("request", "tool", "summary", "asked_at")}
        self.tmux_run(
            "set-option", "-t", self.target, OPTION_PENDING, json.dumps(short),
            ";", "set-option", "-t", self.target, OPTION_STATE, "waiting",
        )  # fmt: skip

    def still_pending(self) -> bool | None:
        """True while ``@jc_pending`` names this request; None when the session is gone."""
        done = self.tmux_run("show-options", "-qv", "-t", self.target, OPTION_PENDING)
        if done.returncode != 0:
            return None
        return f'"{self.request["request"]}"' in done.stdout

    def clear(self, state: str | None = None) -> None:
        """Take the request away (only if it is still ours), and set ``state`` if given."""
        if self.still_pending():
            commands = ["set-option", "-u", "-t", self.target, OPTION_PENDING]
            if state:
                commands += [";", "set-option", "-t", self.target, OPTION_STATE, state]
            self.tmux_run(*commands)
        for path in (self.record_path, self.answer_path):
            try:
                os.unlink(path)
            except OSError:
                pass

    def audit(self, decision: str, by: str) -> None:
        """One line in the task's audit file."""
        if not self.audit_path:
            return
        line = {
            "time": _now(),
            "task": self.task_id,
            "request": self.request.get("request"),
            "tool": self.request.get("tool"),
            "summary": self.request.get("summary"),
            "decision": decision,
            "by": by,
        }
        try:
            with open(self.audit_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError:
            pass

    def wait(self) -> dict[str, Any] | None:
        """The outside answer, or None when the request ended otherwise (already cleaned up)."""
        deadline = time.monotonic() + self.timeout
        next_check = 0.0
        while True:
            try:
                with open(self.answer_path, encoding="utf-8") as handle:
                    answer = json.load(handle)
                if isinstance(answer, dict):
                    return answer
            except (OSError, ValueError):
                pass
            now = time.monotonic()
            if now >= next_check:
                next_check = now + TMUX_POLL
                pending = self.still_pending()
                if pending is None or os.getppid() != self.parent:
                    self.clear()
                    self.audit("ended", "the session or the agent went away")
                    return None
                if not pending:
                    self.clear()
                    self.audit("allowed", "terminal")
                    return None
            if now >= deadline:
                self.clear()
                self.audit("timed out", "nobody")
                return None
            time.sleep(ANSWER_POLL)

    def decide(self, answer: dict[str, Any]) -> str:
        """Claude Code's decision for an outside answer (printed on stdout)."""
        allow = answer.get("decision") == "allow"
        decision: dict[str, Any] = {"behavior": "allow" if allow else "deny"}
        if not allow:
            decision["message"] = str(answer.get("message") or "The user denied this from jupyter-claude.")
        self.clear("working")
        output = {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}}
        return json.dumps(output)


def _options(argv: list[str]) -> dict[str, str]:
    options = {}
    for flag, value in zip(argv[::2], argv[1::2]):
        if flag.startswith("--"):
            options[flag[2:]] = value
    return options


def main(argv: list[str]) -> int:
    """Entry point (Claude Code runs it with the event's JSON on stdin)."""
    hook = Hook(_options(argv[1:]))
    try:
        payload = json.loads(sys.stdin.read() or "{}")
        if not isinstance(payload, dict):
            return 0
        hook.ask(payload)
    except Exception:  # never break the agent: no decision, the dialog stands
        return 0

    def answered_in_terminal(_signal: int, _frame: Any) -> None:
        """Claude Code ends the hook: the person answered in the terminal. A "Yes" runs the tool,
        whose PostToolUse hook clears the request within moments; a "No"/Esc runs nothing."""
        try:
            deadline = time.monotonic() + TERMINAL_ANSWER_WAIT
            while hook.still_pending() and time.monotonic() < deadline:
                time.sleep(ANSWER_POLL)
            if hook.still_pending():
                hook.clear("idle")  # refused: Claude Code stops and waits for the next prompt
                hook.audit("denied", "terminal")
            else:
                hook.clear()
                hook.audit("allowed", "terminal")
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, answered_in_terminal)
    signal.signal(signal.SIGHUP, answered_in_terminal)
    try:
        answer = hook.wait()
        if answer is not None:
            sys.stdout.write(hook.decide(answer) + "\n")
            sys.stdout.flush()
    except Exception:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
