"""The REST routes of the server extension against a real server and a real tmux on a private socket."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_claude import ClaudeSessions

from ..support.data import INVALID_IDS, SESSION_KEYS
from ..support.server import (
    POST_ONLY_ROUTES,
    REST_ROUTES,
    Fetch,
    body,
    error_of,
    no_tmux_server,
    post,
    print_in_pane,
    quoted,
    server_config,
    tmux_run,
)


@pytest.fixture
def tasks_dir(jp_root_dir: Path) -> Path:
    """tasks/ under the server's root, with one good file, one sessionless id and one broken file."""
    folder = jp_root_dir / "tasks"
    folder.mkdir()
    (folder / "42.md").write_text('+++\nid = "42"\ntitle = "Fix login"\nstatus = "🟡 To Do"\n+++\n# x\n')
    (folder / "7.md").write_text("---\ntitle: Seven\n---\nbody\n")
    (folder / "broken.md").write_text("+++\nid = \n+++\n")
    return folder


async def test_sessions_empty_then_listed(jp_fetch: Fetch, tmux_socket: str) -> None:
    assert body(await jp_fetch("claude", "sessions")) == {"sessions": []}
    await post(jp_fetch, "claude", "42", "start")
    reply = await jp_fetch("claude", "sessions")
    assert reply.headers["Content-Type"].startswith("application/json")
    (session,) = body(reply)["sessions"]
    assert set(session) >= SESSION_KEYS
    assert session["id"] == "42" and session["running"] and session["state"] == "running"
    assert session == body(await jp_fetch("claude", "42", "status"))


async def test_status_of_never_started_id_is_stopped_not_404(jp_fetch: Fetch, tmux_socket: str) -> None:
    status = body(await jp_fetch("claude", "7", "status"))
    assert status["running"] is False and status["state"] == "stopped" and status["name"] == "claude-7"
    # Nothing was started on the way: no tmux server exists on the socket.
    assert no_tmux_server(tmux_socket)


async def test_start_twice_reuses_and_answers_the_contract(jp_fetch: Fetch, tmux_socket: str) -> None:
    first = body(await post(jp_fetch, "claude", "42", "start"))
    assert first["started"] is True
    assert first["session"]["running"] and first["session"]["command"][0] == sys.executable
    assert first["terminal"]["launched"] is False and "attach-session" in first["terminal"]["attach_command"]
    second = body(await post(jp_fetch, "claude", "42", "start", payload={"attach": False}))
    assert second["started"] is False and second["terminal"] is None
    assert second["session"]["pid"] == first["session"]["pid"]
    assert tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout.split() == ["claude-42"]
    status = body(await jp_fetch("claude", "42", "status"))
    assert status["running"] is True and status["pid"] == first["session"]["pid"]


async def test_twenty_concurrent_starts_make_one_session(jp_fetch: Fetch, tmux_socket: str) -> None:
    answers = await asyncio.gather(*(post(jp_fetch, "claude", "42", "start") for _ in range(20)))
    started = [body(answer)["started"] for answer in answers]
    assert started.count(True) == 1, started
    assert tmux_run(tmux_socket, "list-sessions", "-F", "#{session_name}").stdout.split() == ["claude-42"]
    assert len({body(answer)["session"]["pid"] for answer in answers}) == 1


async def test_stop_then_stop_again(jp_fetch: Fetch) -> None:
    await post(jp_fetch, "claude", "42", "start")
    stopped = body(await post(jp_fetch, "claude", "42", "stop"))
    assert stopped["stopped"] is True and stopped["session"]["state"] == "stopped"
    again = body(await post(jp_fetch, "claude", "42", "stop"))
    assert again["stopped"] is False


async def test_attach_answers_the_terminal_result(jp_fetch: Fetch) -> None:
    code, error = await error_of(post(jp_fetch, "claude", "42", "attach"))
    assert code == 404 and error["error"] == "not_found"
    await post(jp_fetch, "claude", "42", "start", payload={"attach": False})
    result = body(await post(jp_fetch, "claude", "42", "attach", payload={"new_window": True}))
    assert set(result) == {"launched", "focused", "terminal", "attach_command", "reason"}
    assert result["launched"] is False and result["reason"]


class TestAttachOpensATerminal:
    """With a terminal configured (here a stand-in that exits at once), start and attach launch it."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        """Not headless; the terminal is ``true {attach}``."""
        return server_config(tmux_socket, tmp_path, headless=False, terminal="true {attach}")

    async def test_launched(self, jp_fetch: Fetch) -> None:
        started = body(await post(jp_fetch, "claude", "42", "start"))
        assert started["terminal"]["launched"] is True and started["terminal"]["terminal"] == "true"
        headless = body(await post(jp_fetch, "claude", "42", "attach", payload={"headless": True}))
        assert headless["launched"] is False and "attach-session" in headless["attach_command"]
        again = body(await post(jp_fetch, "claude", "42", "attach", payload={"new_window": True}))
        assert again["launched"] is True


async def test_tasks_merge_files_and_sessions(jp_fetch: Fetch, tasks_dir: Path) -> None:
    await post(jp_fetch, "claude", "42", "start")
    await post(jp_fetch, "claude", "orphan", "start")
    listing = body(await jp_fetch("claude", "tasks"))
    rows = {row["id"]: row for row in listing["tasks"]}
    assert rows["42"]["title"] == "Fix login" and rows["42"]["session"]["running"] is True
    assert rows["7"]["session"]["state"] == "stopped"
    assert rows["orphan"]["path"] is None and rows["orphan"]["session"]["running"] is True
    assert [problem["path"] for problem in listing["problems"]] == ["tasks/broken.md"]


async def test_log_after_stop_tail_and_raw(jp_fetch: Fetch, tmux_socket: str) -> None:
    await post(jp_fetch, "claude", "42", "start")

    async def logged(text: str) -> None:
        for _ in range(250):
            if text in (await jp_fetch("claude", "42", "log")).body.decode():
                return
            await asyncio.sleep(0.02)

    await logged("ready 42")
    print_in_pane(tmux_socket, "42", b"\x1b[31mred line\x1b[0m\n")
    await logged("red line")
    await post(jp_fetch, "claude", "42", "stop")
    response = await jp_fetch("claude", "42", "log", params={"tail": "1"})
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.body.decode() == "red line\n"
    assert (await jp_fetch("claude", "42", "log")).body.decode() == "ready 42\nred line\n"
    raw = (await jp_fetch("claude", "42", "log", params={"raw": "1"})).body.decode()
    assert raw == "ready 42\r\n\x1b[31mred line\x1b[0m\r\n"
    assert (await jp_fetch("claude", "42", "log", params={"tail": "0"})).body == b""
    assert (await jp_fetch("claude", "never", "log")).body == b""


@pytest.mark.parametrize("params", [{"tail": "-1"}, {"tail": "x"}, {"raw": "2"}])
async def test_log_rejects_bad_query(jp_fetch: Fetch, params: dict[str, str]) -> None:
    code, error = await error_of(jp_fetch("claude", "42", "log", params=params))
    assert code == 400 and error["error"] == "bad_request"


async def test_start_cwd_must_stay_inside_the_root(
    jp_fetch: Fetch, jp_root_dir: Path, tmp_path: Path
) -> None:
    (jp_root_dir / "sub").mkdir()
    (jp_root_dir.parent / "root_dir-evil").mkdir()
    inside = body(await post(jp_fetch, "claude", "1", "start", payload={"cwd": "sub", "attach": False}))
    assert inside["session"]["cwd"] == str((jp_root_dir / "sub").resolve())
    for cwd in ["..", "../root_dir-evil", str(tmp_path), "/"]:
        code, error = await error_of(post(jp_fetch, "claude", "2", "start", payload={"cwd": cwd}))
        assert code == 400 and error["error"] == "bad_request", cwd
    (jp_root_dir / "link").symlink_to(tmp_path)
    code, _ = await error_of(post(jp_fetch, "claude", "2", "start", payload={"cwd": "link"}))
    assert code == 400
    code, error = await error_of(post(jp_fetch, "claude", "2", "start", payload={"cwd": "missing"}))
    assert code == 400 and "not a directory" in error["reason"]


@pytest.mark.parametrize(
    "payload",
    ['{"cwd": 3}', '{"attach": "yes"}', '{"headless": 1}', "[1]", "{not json", '{"new_window": "x"}'],
)
async def test_start_rejects_a_malformed_body(jp_fetch: Fetch, payload: str, tmux_socket: str) -> None:
    code, error = await error_of(jp_fetch("claude", "42", "start", method="POST", body=payload))
    assert code == 400 and error["error"] == "bad_request" and error["reason"]
    assert no_tmux_server(tmux_socket)


async def test_command_override_is_refused_by_default(jp_fetch: Fetch, tmux_socket: str) -> None:
    code, error = await error_of(post(jp_fetch, "claude", "42", "start", payload={"cmd": ["sh", "-c", "id"]}))
    assert code == 403 and error["error"] == "forbidden" and "allow_command_override" in error["reason"]
    assert no_tmux_server(tmux_socket)


class TestCommandOverrideAllowed:
    """With ``allow_command_override`` the body's ``cmd`` runs, as an argv list only, and is logged."""

    @pytest.fixture
    def jp_server_config(self, tmux_socket: str, tmp_path: Path) -> dict[str, Any]:
        """Overrides allowed."""
        return server_config(tmux_socket, tmp_path, allow_command_override=True)

    async def test_override_runs_and_is_logged(
        self, jp_fetch: Fetch, caplog: pytest.LogCaptureFixture
    ) -> None:
        command = ["sh", "-c", "echo override; sleep 60"]
        answer = body(await post(jp_fetch, "claude", "42", "start", payload={"cmd": command}))
        assert answer["session"]["command"] == command
        assert any("command override" in record.getMessage() for record in caplog.records)

    @pytest.mark.parametrize("command", ["sh -c id", [], ["sh", 1], {"argv": ["sh"]}])
    async def test_override_must_be_a_list_of_strings(self, jp_fetch: Fetch, command: Any) -> None:
        code, error = await error_of(post(jp_fetch, "claude", "42", "start", payload={"cmd": command}))
        assert code == 400 and error["error"] == "bad_request"


@pytest.mark.parametrize("verb", POST_ONLY_ROUTES)
async def test_get_on_a_post_route_is_405_with_a_hint(jp_fetch: Fetch, verb: str) -> None:
    code, error = await error_of(jp_fetch("claude", "42", verb))
    assert code == 405 and error["error"] == "method_not_allowed" and "use POST" in error["reason"]


@pytest.mark.parametrize("task_id", INVALID_IDS)
async def test_invalid_ids_are_400_before_tmux(
    task_id: str, http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str], tmux_socket: str
) -> None:
    for method, verb in REST_ROUTES:
        url = f"{jp_base_url}claude/{quoted(task_id)}/{verb}"
        with pytest.raises(HTTPClientError) as caught:
            await http_server_client.fetch(
                url, method=method, headers=jp_auth_header, body="{}" if method == "POST" else None
            )
        assert caught.value.code == 400, (verb, task_id)
        assert body(caught.value.response) == {  # type: ignore[arg-type]
            "error": "invalid_task_id",
            "reason": body(caught.value.response)["reason"],  # type: ignore[arg-type]
        }
        assert "1 to 64 ASCII letters" in body(caught.value.response)["reason"]  # type: ignore[arg-type]
    assert no_tmux_server(tmux_socket)


async def test_tmux_missing_is_503_with_the_hint(jp_fetch: Fetch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    for request in (jp_fetch("claude", "sessions"), post(jp_fetch, "claude", "42", "start")):
        code, error = await error_of(request)
        assert code == 503 and error["error"] == "tmux_not_found" and "install" in error["reason"]


async def test_the_manager_is_the_shared_core(jp_serverapp: Any, jp_root_dir: Path, tmux_socket: str) -> None:
    manager = jp_serverapp.web_app.settings["claude_sessions"]
    assert isinstance(manager, ClaudeSessions)
    assert Path(manager.root_dir) == jp_root_dir and manager.tmux_socket == tmux_socket
