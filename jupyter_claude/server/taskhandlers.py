"""The task board's routes (described in docs/api.md): the listing's options, create, one task,
move, and the board's columns.

Thin skins over :class:`~jupyter_claude.core.manager.ClaudeSessions` like the other handlers:
every verb ``@web.authenticated`` + ``@authorized`` (GET read, POST/PATCH write, so XSRF applies
to cookie-authenticated browsers); bad input is a JSON 400 before any file is touched.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.overview import MAX_QUERY, parse_fields
from .base import ClaudeAPIHandler, bad_request

#: The body keys of ``POST claude/tasks``, and of ``PATCH claude/tasks/{id}``.
CREATE_KEYS = ("title", "body", "status", "priority", "id")
MOVE_KEYS = ("status", "if_match")


class TaskListing(ClaudeAPIHandler):
    """What ``GET claude/tasks`` and ``POST claude/tasks`` share: their options and bodies."""

    def listing_options(self) -> dict[str, Any]:
        """``fields`` (comma-separated row keys) and ``q`` (text search), checked."""
        fields = self.get_query_argument("fields", None)
        query = self.get_query_argument("q", None)
        try:
            chosen = parse_fields(fields)
        except ValueError as error:
            raise bad_request(str(error)) from None
        if query is not None and len(query) > MAX_QUERY:
            raise bad_request(f"'q' is longer than {MAX_QUERY} characters")
        return {"fields": chosen, "query": query or None}

    def text_options(self, body: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str | None]:
        """The body's values for ``keys``: each a string or null/absent (the core checks them)."""
        return {key: self.option(body, key, str) for key in keys}


class TaskHandler(ClaudeAPIHandler):
    """``GET claude/tasks/{id}`` (one task with its body) and ``PATCH`` (move: set its status)."""

    @web.authenticated
    @authorized
    async def get(self, raw_id: str) -> None:
        """The task's row, its session and its body text (404 when no task file has the id)."""
        task_id = self.valid_id(raw_id)
        task = await self.call(self.sessions.task, task_id)
        self.finish(await self.call(self.sessions.task_row, task, True))

    @web.authenticated
    @authorized
    async def patch(self, raw_id: str) -> None:
        """``{"status": …, "if_match": version}``: rewrite the front matter's status (409 when the
        file is not that version any more)."""
        task_id, body = self.valid_id(raw_id), self.body()
        options = {key: self.option(body, key, str) for key in MOVE_KEYS}
        if options["status"] is None:
            raise bad_request("'status' is required: the status to write")
        task = await self.call(self.sessions.set_status, task_id, options["status"], options["if_match"])
        self.finish(await self.call(self.sessions.task_row, task))


class BoardHandler(ClaudeAPIHandler):
    """``GET claude/board``: the board's columns."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``{"columns": [...], "other": "Other"}``."""
        self.finish(self.sessions.board())
