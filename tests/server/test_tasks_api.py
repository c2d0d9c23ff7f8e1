"""The task board's REST routes: create, one task, move (with if_match), compact and searched
listings, the board's columns; bad input is a JSON 4xx and changes no file; writes need XSRF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support.server import DenyWrite, Fetch, body, error_of, server_config


@pytest.fixture
def tasks_dir(jp_root_dir: Path) -> Path:
    """tasks/ under the server's root with a TOML task and a YAML one."""
    folder = jp_root_dir / "tasks"
    folder.mkdir()
    (folder / "42.md").write_text('+++\nid = "42"\ntitle = "Fix login"\nstatus = "🟡 To Do"\n+++\nneedle\n')
    (folder / "7.md").write_text("---\ntitle: Seven\nstatus: Review # keep\n---\nbody\n")
    return folder


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


async def send(jp_fetch: Fetch, method: str, *parts: str, payload: Any = None, **kwargs: Any) -> Any:
    return await jp_fetch(
        *parts, method=method, body=json.dumps(payload if payload is not None else {}), **kwargs
    )


async def test_create_then_list_then_open(jp_fetch: Fetch, tasks_dir: Path) -> None:
    payload = {"title": "Speed up the report", "body": "It *is* slow.\n", "priority": "High"}
    created = await send(jp_fetch, "POST", "claude", "tasks", payload=payload)
    assert created.code == 201
    row = body(created)
    assert (row["id"], row["path"], row["status"], row["priority"]) == (
        "speed-up-the-report",
        "tasks/speed-up-the-report.md",
        "To Do",
        "High",
    )
    assert row["session"]["state"] == "stopped" and row["version"]
    again = body(await send(jp_fetch, "POST", "claude", "tasks", payload={"title": "Speed up the report!"}))
    assert again["id"] == "speed-up-the-report-2"
    listing = body(await jp_fetch("claude", "tasks"))
    assert {task["id"] for task in listing["tasks"]} == {
        "42",
        "7",
        "speed-up-the-report",
        "speed-up-the-report-2",
    }
    detail = body(await jp_fetch("claude", "tasks", "speed-up-the-report"))
    assert detail["body"] == "It *is* slow.\n" and detail["title"] == "Speed up the report"
    assert detail["metadata"]["priority"] == "High" and detail["version"] == row["version"]


async def test_move_rewrites_the_status_and_checks_the_version(jp_fetch: Fetch, tasks_dir: Path) -> None:
    listed = {task["id"]: task for task in body(await jp_fetch("claude", "tasks"))["tasks"]}
    version = listed["7"]["version"]
    moved = body(
        await send(jp_fetch, "PATCH", "claude", "tasks", "7", payload={"status": "Done", "if_match": version})
    )
    assert (
        moved["status"] == "Done" and moved["version"] != version and moved["session"]["state"] == "stopped"
    )
    assert (tasks_dir / "7.md").read_text() == "---\ntitle: Seven\nstatus: Done # keep\n---\nbody\n"
    # The board read the old version: refused, and the file stays as it is.
    code, error = await error_of(
        send(jp_fetch, "PATCH", "claude", "tasks", "7", payload={"status": "To Do", "if_match": version})
    )
    assert code == 409 and error["error"] == "conflict" and "reload" in error["reason"]
    assert (tasks_dir / "7.md").read_text() == "---\ntitle: Seven\nstatus: Done # keep\n---\nbody\n"
    # Without if_match the move is made over whatever the file holds.
    assert body(await send(jp_fetch, "PATCH", "claude", "tasks", "7", payload={"status": "Review"}))[
        "status"
    ] == ("Review")


@pytest.mark.parametrize(
    ("method", "parts", "payload", "code", "error"),
    [
        ("PATCH", ("nope",), {"status": "Done"}, 404, "not_found"),
        ("PATCH", ("a.b",), {"status": "Done"}, 400, "invalid_task_id"),
        ("PATCH", ("42",), {"status": "Done\nrm -rf"}, 400, "bad_request"),
        ("PATCH", ("42",), {"status": ""}, 400, "bad_request"),
        ("PATCH", ("42",), {}, 400, "bad_request"),
        ("PATCH", ("42",), {"status": 3}, 400, "bad_request"),
        ("PATCH", ("42",), {"status": "Done", "if_match": 5}, 400, "bad_request"),
        ("POST", (), {"title": "☃"}, 400, "invalid_task_id"),
        ("POST", (), {"title": ""}, 400, "bad_request"),
        ("POST", (), {}, 400, "bad_request"),
        ("POST", (), {"title": ["x"]}, 400, "bad_request"),
        ("POST", (), {"title": "ok", "id": "42"}, 409, "conflict"),
        ("POST", (), {"title": "ok", "id": "../x"}, 400, "invalid_task_id"),
        ("POST", (), {"title": "ok", "status": "a\u2028b"}, 400, "bad_request"),
        ("POST", (), {"title": "ok", "body": "\x1b[2J"}, 400, "bad_request"),
        ("GET", ("nope",), None, 404, "not_found"),
    ],
)
async def test_bad_input_changes_no_file(
    jp_fetch: Fetch,
    tasks_dir: Path,
    method: str,
    parts: tuple[str, ...],
    payload: Any,
    code: int,
    error: str,
) -> None:
    before = files_in(tasks_dir)
    if method == "GET":
        request = jp_fetch("claude", "tasks", *parts)
    else:
        request = send(jp_fetch, method, "claude", "tasks", *parts, payload=payload)
    status, reply = await error_of(request)
    assert (status, reply["error"]) == (code, error) and reply["reason"]
    assert files_in(tasks_dir) == before


async def test_a_status_that_cannot_be_rewritten_is_422(jp_fetch: Fetch, tasks_dir: Path) -> None:
    (tasks_dir / "odd.md").write_text("+++\nstatus.kind = 'x'\n+++\n")
    code, error = await error_of(
        send(jp_fetch, "PATCH", "claude", "tasks", "odd", payload={"status": "Done"})
    )
    assert code == 422 and error["error"] == "not_editable"
    assert (tasks_dir / "odd.md").read_text() == "+++\nstatus.kind = 'x'\n+++\n"


async def test_compact_and_searched_listings(jp_fetch: Fetch, tasks_dir: Path) -> None:
    await send(jp_fetch, "POST", "claude", "42", "start")
    compact = body(await jp_fetch("claude", "tasks", params={"fields": "id,title,status,version"}))
    assert compact["tasks"][0].keys() == {"id", "title", "status", "version"}
    assert [session["id"] for session in compact["sessions"]] == ["42"]
    found = body(await jp_fetch("claude", "tasks", params={"fields": "id", "q": "NEEDLE"}))
    assert found["tasks"] == [{"id": "42"}]
    for params in ({"fields": "id,body"}, {"q": "x" * 101}):
        code, error = await error_of(jp_fetch("claude", "tasks", params=params))
        assert code == 400 and error["error"] == "bad_request"


async def test_the_board_columns(jp_fetch: Fetch) -> None:
    assert body(await jp_fetch("claude", "board")) == {
        "columns": ["To Do", "In Progress", "Review", "Done"],
        "other": "Other",
    }


async def test_cookie_without_xsrf_cannot_create_or_move(
    jp_fetch: Fetch, jp_serverapp: Any, tasks_dir: Path
) -> None:
    token = jp_serverapp.identity_provider.token
    response = await jp_fetch("api", "status", params={"token": token}, headers={"Authorization": ""})
    login = next(
        v.split(";", 1)[0] for v in response.headers.get_list("Set-Cookie") if v.startswith("username-")
    )
    headers = {"Authorization": "", "Cookie": login}
    before = files_in(tasks_dir)
    assert body(await jp_fetch("claude", "tasks", "42", headers=headers))["id"] == "42"  # reading works
    for method, parts, payload in (
        ("POST", ("claude", "tasks"), {"title": "x"}),
        ("PATCH", ("claude", "tasks", "42"), {"status": "Done"}),
    ):
        code, error = await error_of(send(jp_fetch, method, *parts, payload=payload, headers=headers))
        assert code == 403 and error["error"] == "forbidden" and "_xsrf" in error["reason"]
    assert files_in(tasks_dir) == before


class TestAuthorizerDeniesWrite:
    """Creating and moving are writes."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        """The extension with the DenyWrite authorizer."""
        config = server_config(tmux_socket, tmp_path)
        config["ServerApp"]["authorizer_class"] = DenyWrite
        return config

    async def test_writes_are_forbidden(self, jp_fetch: Fetch, tasks_dir: Path) -> None:
        before = files_in(tasks_dir)
        for method, parts, payload in (
            ("POST", ("claude", "tasks"), {"title": "x"}),
            ("PATCH", ("claude", "tasks", "42"), {"status": "Done"}),
        ):
            code, error = await error_of(send(jp_fetch, method, *parts, payload=payload))
            assert code == 403 and "write" in error["reason"]
        assert files_in(tasks_dir) == before
        assert body(await jp_fetch("claude", "tasks", "42"))["body"] == "needle\n"
