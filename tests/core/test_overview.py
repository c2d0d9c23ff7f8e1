"""The listing's JSON text (what GET claude/tasks sends) is the listing, made once per file version:
the full shape by default, compact with ``fields``, searched with ``query``; live sessions fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.overview import ROW_FIELDS, parse_fields

COMPACT = ["id", "title", "status", "priority", "path", "valid", "invalid_reason", "version"]


@pytest.fixture
def listed(manager: ClaudeSessions, task_root: Path) -> ClaudeSessions:
    tasks = task_root / "tasks"
    (tasks / "t1.md").write_text('+++\ntitle = "First </script>"\nstatus = "To Do"\n+++\nneedle in body\n')
    (tasks / "t2.md").write_text("---\ntitle: Second\ncreated: 2025-05-16\n---\nplain\n")
    (tasks / "bad id.md").write_text("# Invalid id\n")
    (tasks / "broken.md").write_text("+++\nid = \n+++\n")
    return manager


def test_the_text_is_the_overview(listed: ClaudeSessions) -> None:
    assert json.loads(listed.overview_text()) == json.loads(json.dumps(listed.overview()))
    listed.start("t2")
    listed.start("orphan")
    full = json.loads(listed.overview_text())
    assert full == json.loads(json.dumps(listed.overview()))
    states = {row["id"]: row["session"] and row["session"]["state"] for row in full["tasks"]}
    assert states == {"t1": "stopped", "t2": "running", "bad id": None, "orphan": "running"}
    assert "<\\/script>" in listed.overview_text()  # no task text can close a script tag
    listed.stop("t2")
    rows = {row["id"]: row for row in json.loads(listed.overview_text())["tasks"]}
    assert rows["t2"]["session"]["state"] == "stopped" and "orphan" in rows


def test_compact_rows_and_the_sessions_once(listed: ClaudeSessions) -> None:
    listed.start("t1")
    compact = json.loads(listed.overview_text(fields=COMPACT))
    assert [list(row) for row in compact["tasks"]][:3] == [COMPACT] * 3
    assert [session["id"] for session in compact["sessions"]] == ["t1"]
    assert compact["problems"] == [{"path": "tasks/broken.md", "reason": compact["problems"][0]["reason"]}]
    only_ids = json.loads(listed.overview_text(fields=["title"]))
    assert {"id": "t1", "title": "First </script>"} in only_ids["tasks"]


def test_search_looks_in_the_body_too(listed: ClaudeSessions) -> None:
    found = json.loads(listed.overview_text(fields=["id"], query="NEEDLE"))
    assert found["tasks"] == [{"id": "t1"}]
    assert [row["id"] for row in json.loads(listed.overview_text(query="second"))["tasks"]] == ["t2"]
    assert json.loads(listed.overview_text(query="nothing like it"))["tasks"] == []


def test_fields_are_checked() -> None:
    assert parse_fields(None) is None
    assert parse_fields("title, status,,") == ("id", "title", "status")
    assert parse_fields(",".join(reversed(ROW_FIELDS))) == ROW_FIELDS
    with pytest.raises(ValueError, match="unknown field 'body'"):
        parse_fields("id,body")


def test_sessions_unknown_without_tmux(listed: ClaudeSessions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    text = json.loads(listed.overview_text(fields=["session"]))
    assert text["sessions_error"]["error"] == "tmux_not_found"
    assert [row["session"] for row in text["tasks"]] == [None, None, None]
    assert text == json.loads(json.dumps({**listed.overview(), "tasks": text["tasks"]}))


def test_an_unchanged_listing_is_not_made_again(listed: ClaudeSessions, task_root: Path) -> None:
    first = listed.overview_text(fields=COMPACT)
    assert listed.overview_text(fields=COMPACT) is first  # same files, same sessions: same text
    assert listed.overview_text(fields=["id"]) is not first
    listed.start("t1")
    with_session = listed.overview_text(fields=COMPACT)
    assert with_session != first and '"id": "t1"' in with_session.split('"sessions"')[1]
    (task_root / "tasks" / "t2.md").write_text("---\ntitle: Second, edited\n---\n")
    assert "Second, edited" in listed.overview_text(fields=COMPACT)
