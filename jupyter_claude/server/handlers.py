"""The REST API of the Jupyter server extension (described in docs/api.md), and its route table.

Every handler is a thin skin over the shared :class:`~jupyter_claude.core.manager.ClaudeSessions`:
it checks the id and the body, runs the manager's (blocking) call off the event loop and writes
JSON. Every verb is ``@web.authenticated`` + ``@authorized`` on ``jupyter_claude:sessions`` (GET
read, POST write); state changes are POST only, so XSRF protects browsers that authenticate with a
cookie. The route table is at the bottom.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import ClaudeAPIHandler, bad_request
from .taskhandlers import CREATE_KEYS, BoardHandler, TaskHandler, TaskListing
from .websockets import EventsWebSocket, StreamWebSocket


class TasksHandler(TaskListing):
    """``GET claude/tasks``: task files merged with live sessions; ``POST``: a new task."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Tasks, sessions without a task file, and the files that could not be read
        (``?fields=`` keeps only those row keys, ``?q=`` only the tasks holding that text)."""
        self.finish(await self.call(self.sessions.overview_text, **self.listing_options()))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """``{"title", "body"?, "status"?, "priority"?, "id"?}``: write a new task file (201)."""
        options = self.text_options(self.body(), CREATE_KEYS)
        task = await self.call(
            self.sessions.create_task,
            options["title"],
            options["body"] or "",
            options["status"],
            options["priority"],
            options["id"],
        )
        self.set_status(201)
        self.finish(await self.call(self.sessions.task_row, task))


class SessionsHandler(ClaudeAPIHandler):
    """``GET claude/sessions``: every session of ours."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """All sessions, live and exited."""
        sessions = await self.call(self.sessions.list)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish('{"sessions":[' + ",".join(session.json_text for session in sessions) + "]}")


class StatusHandler(ClaudeAPIHandler):
    """``GET claude/{id}/status``."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """One session (a never-started id is "stopped", not 404)."""
        task_id = self.valid_id(raw_id)
        self.finish((await self.call(self.sessions.status, task_id)).to_json())


class StartHandler(ClaudeAPIHandler):
    """``POST claude/{id}/start``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Create or re-use the session, then open or focus a terminal on it unless headless."""
        task_id, body = self.valid_id(raw_id), self.body()
        command = self.command_override(task_id, body)
        cwd = self.option(body, "cwd", str)  # the core keeps it inside the root
        headless, new_window = self.option(body, "headless", bool), self.option(body, "new_window", bool)
        attach = self.option(body, "attach", bool, True) is not False
        session, terminal = await self.call(
            self.sessions.start_and_attach,
            task_id,
            cwd,
            command,
            attach=attach,
            new_window=bool(new_window),
            headless=headless,
        )
        self.watcher.note(session)
        self.finish(
            {
                "started": session.created,
                "session": session.to_json(),
                "terminal": terminal.to_json() if terminal else None,
            }
        )

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: starting changes state, so it is POST only."""
        self.not_allowed("POST")


class StopHandler(ClaudeAPIHandler):
    """``POST claude/{id}/stop``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Kill the session (its log is kept)."""
        task_id = self.valid_id(raw_id)
        stopped = await self.call(self.sessions.stop, task_id)
        session = await self.call(self.sessions.status, task_id)
        self.watcher.note(session)
        self.finish({"stopped": stopped, "session": session.to_json()})

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: stopping changes state, so it is POST only."""
        self.not_allowed("POST")


class AttachHandler(ClaudeAPIHandler):
    """``POST claude/{id}/attach``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Open (or bring to the front) the user's terminal on the session."""
        task_id, body = self.valid_id(raw_id), self.body()
        headless, new_window = self.option(body, "headless", bool), self.option(body, "new_window", bool)
        result = await self.call(self.sessions.attach, task_id, bool(new_window), headless)
        self.watcher.poke()
        self.finish(result.to_json())

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: attaching opens a window, so it is POST only."""
        self.not_allowed("POST")


class LogHandler(ClaudeAPIHandler):
    """``GET claude/{id}/log?tail=N&format=text|raw``."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """The persisted log as the screen showed it (``format=raw``, or ``raw=1``: the bytes as
        written, to replay); kept after stop and restarts."""
        task_id, tail = self.valid_id(raw_id), self.query_tail()
        form = self.get_query_argument("format", "raw" if self.query_flag("raw") else "text")
        if form not in ("text", "raw"):
            raise bad_request("'format' must be text or raw")
        read = self.sessions.read_log if form == "raw" else self.sessions.log_text
        self.finish(await self.call(read, task_id, tail), set_content_type="text/plain; charset=utf-8")

    def query_tail(self) -> int | None:
        """``tail``: a number of lines, or absent for the whole log."""
        value = self.get_query_argument("tail", None)
        if value is None or value == "":
            return None
        if not value.isascii() or not value.isdigit():
            raise bad_request("'tail' must be a non-negative whole number of lines")
        return int(value)

    def query_flag(self, name: str) -> bool:
        """A 0/1 query flag."""
        value = self.get_query_argument(name, "0")
        if value not in ("0", "1", "true", "false"):
            raise bad_request(f"{name!r} must be 0 or 1")
        return value in ("1", "true")


class PermissionHandler(ClaudeAPIHandler):
    """``GET`` / ``POST claude/{id}/permission``: the agent's pending permission request."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """The pending request in full, or null."""
        request = await self.call(self.sessions.pending, self.valid_id(raw_id))
        self.finish({"pending": request.to_json() if request else None})

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Answer it: allow, or deny with a message (409 when it is no longer pending)."""
        task_id, body = self.valid_id(raw_id), self.body()
        request = self.option(body, "request", str)
        if not request:
            raise bad_request("'request' (the pending request's id) is required")
        decision, message = body.get("decision"), self.option(body, "message", str)
        await self.call(self.sessions.answer, task_id, request, decision, message, by=self.user_name())
        self.watcher.poke()
        self.finish({"answered": True})


class InputHandler(ClaudeAPIHandler):
    """``POST claude/{id}/input``: type text into the agent's pane (then Enter)."""

    @web.authenticated
    @authorized("execute")  # it drives the agent, as the live views' websockets do
    async def post(self, raw_id: str) -> None:
        """Literal text, never tmux key names; 403 when ``allow_input`` is off."""
        task_id, body = self.valid_id(raw_id), self.body()
        text = self.option(body, "text", str)
        if not text:
            raise bad_request("'text' must be a non-empty string")
        await self.call(self.sessions.send, task_id, text)
        self.log.info("jupyter-claude: %s typed into task %s", self.user_name(), task_id)
        self.finish({"sent": True})

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: typing changes state, so it is POST only."""
        self.not_allowed("POST")


class DiffHandler(ClaudeAPIHandler):
    """``GET claude/{id}/diff`` (``?path=P[&old_path=Q]``: one file's two sides)."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """The task branch's commits, files and patch, and its uncommitted work (404: no worktree)."""
        task_id, path = self.valid_id(raw_id), self.get_query_argument("path", None)
        if path is None:
            self.finish((await self.call(self.sessions.diff, task_id)).to_json())
            return
        old_path = self.get_query_argument("old_path", None) or None
        self.finish((await self.call(self.sessions.diff_file, task_id, path, old_path)).to_json())


class ConflictsHandler(ClaudeAPIHandler):
    """``GET claude/conflicts``."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Every pair of live task branches (and each against the base) that does not merge cleanly."""
        self.finish((await self.call(self.sessions.conflicts)).to_json())


class LandHandler(ClaudeAPIHandler):
    """``POST claude/{id}/land``."""

    @web.authenticated
    @authorized
    async def post(self, raw_id: str) -> None:
        """Merge the task into the main checkout's branch, or 409 with the reason (nothing changed)."""
        task_id, body = self.valid_id(raw_id), self.body()
        strategy = self.option(body, "strategy", str, "merge") or "merge"
        cleanup, commit = self.option(body, "cleanup", bool), self.option(body, "commit_uncommitted", bool)
        message = self.option(body, "message", str)
        landing = await self.call(self.sessions.land, task_id, strategy, bool(cleanup), bool(commit), message)
        if landing.cleanup and landing.cleanup["stopped"]:
            self.watcher.note(await self.call(self.sessions.status, task_id))
        self.watcher.poke()
        self.finish(landing.to_json())

    @web.authenticated
    @authorized
    def get(self, raw_id: str) -> None:
        """405: landing changes the repository, so it is POST only."""
        self.not_allowed("POST")


class StartManyHandler(ClaudeAPIHandler):
    """``POST claude/start``: several tasks at once, their agents' launches spaced (the queue)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Create every session now; each agent launches when its turn comes (state "queued")."""
        body = self.body()
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise bad_request("'ids' must be a non-empty JSON array of task ids")
        if len(ids) > MAX_START_IDS:
            raise bad_request(f"start at most {MAX_START_IDS} tasks at once")
        task_ids = [self.valid_id(task_id) for task_id in ids]
        cwd = self.option(body, "cwd", str)
        command = self.command_override(",".join(task_ids), body)
        started = await self.call(self.sessions.start_many, task_ids, cwd, command)
        for session in started:
            self.watcher.note(session)
        self.finish({"sessions": [session.to_json() for session in started]})

    @web.authenticated
    @authorized
    def get(self) -> None:
        """405: starting changes state, so it is POST only."""
        self.not_allowed("POST")


#: Most ids one ``POST claude/start`` takes.
MAX_START_IDS = 500

#: Anything between ``claude/`` and the verb is taken as the id, so every malformed id (slashes,
#: dots, percent-encoded bytes) gets the JSON 400, not an HTML 404.
_ID = r"(.*)"

default_handlers: list[tuple[str, type[Any]]] = [
    (r"claude/tasks", TasksHandler),
    (r"claude/tasks/([^/]*)", TaskHandler),
    (r"claude/board", BoardHandler),
    (r"claude/sessions", SessionsHandler),
    (r"claude/conflicts", ConflictsHandler),
    (r"claude/events", EventsWebSocket),
    (r"claude/start", StartManyHandler),
    (rf"claude/{_ID}/status", StatusHandler),
    (rf"claude/{_ID}/start", StartHandler),
    (rf"claude/{_ID}/stop", StopHandler),
    (rf"claude/{_ID}/attach", AttachHandler),
    (rf"claude/{_ID}/log", LogHandler),
    (rf"claude/{_ID}/permission", PermissionHandler),
    (rf"claude/{_ID}/input", InputHandler),
    (rf"claude/{_ID}/diff", DiffHandler),
    (rf"claude/{_ID}/land", LandHandler),
    (rf"claude/{_ID}/stream", StreamWebSocket),
]
