"""``GET claude/{id}/diff``, ``GET claude/conflicts``, ``POST claude/{id}/land`` and the conflicts
pushed on ``claude/events``, against a real server whose root is a real git repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support.repos import NUMBERS, Repo, line, write
from ..support.server import Fetch, body, collect, error_of, post, read_frames, server_config, wait_until


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Tasks a and b change line 2 of f.txt differently; c changes line 9."""
    repo = Repo(tmp_path / "git")
    repo.task("a", {"f.txt": line(2, "two-a")})
    repo.task("b", {"f.txt": line(2, "two-b")})
    repo.task("c", {"f.txt": line(9, "nine-c"), "c.txt": "c\n"})
    return repo


@pytest.fixture
def jp_server_config(tmux_socket: str, tmp_path: Path, repo: Repo) -> dict[str, Any]:
    """The extension with the repository's main checkout as its root."""
    return server_config(tmux_socket, tmp_path, root_dir=str(repo.root))


def conflict_messages(frames: list[str | bytes]) -> list[dict[str, Any]]:
    """The conflicts messages among events frames."""
    messages = [json.loads(frame) for frame in frames if isinstance(frame, str)]
    return [message for message in messages if message["type"] == "conflicts"]


async def test_diff_answers_the_issues_shape(jp_fetch: Fetch, repo: Repo) -> None:
    write(repo.worktree("c"), {"wip.txt": "not yet\n"})
    diff = body(await jp_fetch("claude", "c", "diff"))
    keys = {"base", "branch", "ahead", "behind", "commits", "files", "uncommitted", "patch", "truncated"}
    assert keys <= set(diff)
    assert (diff["base"], diff["branch"], diff["ahead"], diff["behind"]) == ("main", "task/c", 1, 0)
    assert [c["subject"] for c in diff["commits"]] == ["c: step 1"]
    assert set(diff["commits"][0]) == {"sha", "subject", "author", "time"}
    assert [(f["path"], f["status"], f["added"], f["deleted"]) for f in diff["files"]] == [
        ("c.txt", "added", 1, 0),
        ("f.txt", "modified", 1, 1),
    ]
    assert [(f["path"], f["status"]) for f in diff["uncommitted"]] == [("wip.txt", "untracked")]
    assert "+nine-c\n" in diff["patch"] and diff["truncated"] is False

    versions = body(await jp_fetch("claude", "c", "diff", params={"path": "f.txt"}))
    assert versions == {
        "path": "f.txt",
        "old_path": None,
        "original": NUMBERS,
        "modified": line(9, "nine-c"),
        "binary": False,
        "too_large": False,
    }


async def test_a_task_without_a_worktree_is_404_with_the_reason(jp_fetch: Fetch) -> None:
    for request in (jp_fetch("claude", "7", "diff"), post(jp_fetch, "claude", "7", "land")):
        code, error = await error_of(request)
        assert code == 404 and error["error"] == "not_found"
        assert "task 7 has no worktree" in error["reason"] and "tw-start" in error["reason"]
    code, error = await error_of(jp_fetch("claude", "c", "diff", params={"path": "/etc/passwd"}))
    assert code == 400 and "not a path inside the repository" in error["reason"]


async def test_conflicts_lists_the_colliding_pairs(jp_fetch: Fetch, repo: Repo) -> None:
    report = body(await jp_fetch("claude", "conflicts"))
    assert report["conflicts"] == [{"tasks": ["a", "b"], "files": ["f.txt"], "base": False}]
    assert report["checked_at"].endswith("Z") and report["base"] == "main"
    repo.commit(repo.root, {"f.txt": line(9, "nine-main")}, "main collides with c")
    report = body(await jp_fetch("claude", "conflicts"))
    assert report["conflicts"] == [
        {"tasks": ["a", "b"], "files": ["f.txt"], "base": False},
        {"tasks": ["c", "BASE"], "files": ["f.txt"], "base": True},
    ]


async def test_land_merges_or_refuses_with_409_and_changes_nothing(jp_fetch: Fetch, repo: Repo) -> None:
    landed = body(await post(jp_fetch, "claude", "a", "land"))
    assert landed["landed"] is True and landed["strategy"] == "merge" and landed["target"] == "main"
    assert landed["commit"] == repo.head("main") and [f["path"] for f in landed["files"]] == ["f.txt"]

    before = repo.state()
    code, error = await error_of(post(jp_fetch, "claude", "b", "land", payload={"strategy": "squash"}))
    assert code == 409 and error["error"] == "land_refused"
    assert error["reason"].startswith("task/b conflicts with main in f.txt") and error["paths"] == ["f.txt"]
    assert repo.state() == before

    write(repo.root, {"README.md": "dirty\n"})
    code, error = await error_of(post(jp_fetch, "claude", "c", "land"))
    assert code == 409 and error["paths"] == ["README.md"] and "uncommitted changes" in error["reason"]
    (repo.root / "README.md").write_text("# demo\n")

    write(repo.worktree("c"), {"wip.txt": "wip\n"})
    code, error = await error_of(post(jp_fetch, "claude", "c", "land", payload={"strategy": "rebase"}))
    assert code == 409 and error["paths"] == ["wip.txt"]
    payload = {"strategy": "rebase", "commit_uncommitted": True, "message": "wip", "cleanup": True}
    landed = body(await post(jp_fetch, "claude", "c", "land", payload=payload))
    assert landed["committed_uncommitted"] and landed["cleanup"]["branch_deleted"] is True
    assert (repo.root / "wip.txt").read_text() == "wip\n" and not repo.worktree("c").exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"strategy": "octopus"},
        {"strategy": 1},
        {"cleanup": "yes"},
        {"commit_uncommitted": 1},
        {"message": ["m"]},
        {"commit_uncommitted": True, "message": "  "},
    ],
)
async def test_a_bad_land_body_is_400_and_changes_nothing(jp_fetch: Fetch, repo: Repo, payload: Any) -> None:
    before = repo.state()
    code, error = await error_of(post(jp_fetch, "claude", "c", "land", payload=payload))
    assert code == 400 and error["error"] == "bad_request"
    assert repo.state() == before


async def test_conflicts_are_pushed_on_events_when_they_change(
    jp_ws_fetch: Any, jp_serverapp: Any, repo: Repo
) -> None:
    watcher = jp_serverapp.web_app.settings["claude_watcher"]
    notifier = jp_serverapp.web_app.settings["claude_conflicts"]
    ws = await jp_ws_fetch("claude", "events")
    frames = await read_frames(ws, lambda f: bool(conflict_messages(f)), timeout=10)
    assert json.loads(frames[0])["type"] == "snapshot"  # the snapshot first, then the conflicts
    (first,) = conflict_messages(frames)
    assert first["conflicts"] == [{"tasks": ["a", "b"], "files": ["f.txt"], "base": False}]
    assert set(first) >= {"type", "conflicts", "checked_at", "base"}

    # Steady state: ticks go on, no check runs, nothing is pushed.
    checks, ticks = notifier.checks, watcher.ticks
    await wait_until(lambda: watcher.ticks >= ticks + 6, timeout=10)
    assert notifier.checks <= checks + 1  # at most the one check the first snapshot's tick asked for

    # A commit in c's worktree that collides with a: pushed without anyone asking.
    repo.commit(repo.worktree("c"), {"f.txt": line(2, "two-c")}, "c collides now")
    frames = await read_frames(ws, lambda f: bool(conflict_messages(f)), timeout=10)
    (second,) = conflict_messages(frames)
    assert [c["tasks"] for c in second["conflicts"]] == [["a", "b"], ["a", "c"], ["b", "c"]]

    # A second listener gets the last report right after its snapshot.
    other = await jp_ws_fetch("claude", "events")
    frames = await read_frames(other, lambda f: bool(conflict_messages(f)), timeout=10)
    assert conflict_messages(frames)[0]["conflicts"] == second["conflicts"]
    other.close()

    # The conflicts go away (two worktrees removed): an empty list is pushed, clearing the badges.
    for task_id in ("b", "c"):
        repo.git("worktree", "remove", "--force", str(repo.worktree(task_id)))
    frames = await read_frames(ws, lambda f: bool(conflict_messages(f)), timeout=10)
    assert conflict_messages(frames)[-1]["conflicts"] == []
    ws.close()


async def test_a_repository_without_conflicts_pushes_none(
    jp_ws_fetch: Any, jp_serverapp: Any, repo: Repo
) -> None:
    repo.git("worktree", "remove", str(repo.worktree("b")))
    notifier = jp_serverapp.web_app.settings["claude_conflicts"]
    ws = await jp_ws_fetch("claude", "events")
    await read_frames(ws, lambda f: len(f) >= 1)
    await wait_until(lambda: notifier.checks >= 1, timeout=10)
    assert conflict_messages(await collect(ws, 0.5)) == [] and notifier.last is None
    ws.close()
