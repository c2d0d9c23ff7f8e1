"""Usage from transcripts: answers counted once, read incrementally, malformed files reported (never
raised), subagents counted, limits recorded and cleared; the price table; the reset time read from
the agent's words only; the figures as people read them."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest

from jupyter_claude.core import figures, usage
from jupyter_claude.core.conversations import TranscriptList, transcripts_file
from jupyter_claude.core.limits import reset_time
from jupyter_claude.core.prices import DEFAULT_PRICES, Price, PriceTable
from jupyter_claude.core.usage import TaskUsage, Transcript, UsageBook

from ..support import transcripts as t

PRICES = PriceTable.from_setting({})


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Conversation records under the test's own state folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def book_for(tmp_path: Path, *transcripts: Path, task_id: str = "42") -> UsageBook:
    for transcript in transcripts:
        t.register(task_id, tmp_path, transcript)
    return UsageBook(str(tmp_path.resolve()), logging.getLogger("test"))


def test_an_answer_is_counted_once_and_synthetic_entries_not_at_all(tmp_path: Path) -> None:
    path = t.write(
        tmp_path / "a.jsonl",
        [
            t.prompt("hello"),
            *t.answer("msg_1", (100, 20, 5, 7), blocks=3),  # three content blocks, one answer
            t.tool_result("(Bash completed)"),
            *t.answer("msg_2", (1, 2, 3, 4)),
            t.turn(623),
            t.prompt("again"),
            t.refusal(),  # <synthetic>, no tokens, no turn
            t.turn(39),
        ],
    )
    book = book_for(tmp_path, path)
    book.refresh(["42"])
    used = book.usage("42", PRICES)
    assert used is not None
    assert used.to_json() == {
        "input_tokens": 101,
        "output_tokens": 22,
        "cache_read_tokens": 8,
        "cache_write_tokens": 11,
        "turns": 2,
        "models": [t.SONNET],
        "working_seconds": 0.662,
        "cost": pytest.approx((101 * 3 + 22 * 15 + 8 * 0.3 + 11 * 3.75) / 1e6),
    }
    assert book.problems("42") == []


def test_no_usage_before_the_first_answer(tmp_path: Path) -> None:
    book = book_for(tmp_path, t.write(tmp_path / "a.jsonl", [t.prompt("hello")]))
    book.refresh(["42", "7"])  # 7 has no transcript list at all
    assert book.usage("42", PRICES) is None and book.usage("7", PRICES) is None


def test_reads_only_what_was_appended_and_a_partial_line_next_time(tmp_path: Path) -> None:
    path = t.write(tmp_path / "a.jsonl", [t.prompt("hello"), *t.answer("msg_1")])
    transcript = Transcript(str(path))
    first = transcript.refresh(1 << 30)
    assert first == path.stat().st_size and transcript.turns == 1
    assert transcript.refresh(1 << 30) == 0  # nothing new: not even opened again
    line = t.answer("msg_2", (10, 10, 10, 10))[0]
    with path.open("a", encoding="utf-8") as file:
        file.write(line[:40])  # Claude Code is still writing this line
    assert transcript.refresh(1 << 30) == 40 and transcript.turns == 1
    with path.open("a", encoding="utf-8") as file:
        file.write(line[40:] + "\n")
    transcript.refresh(1 << 30)
    assert transcript.turns == 2 and transcript.models[t.SONNET] == [110, 30, 15, 17]
    assert transcript.offset == path.stat().st_size and not transcript.problems


def test_a_replaced_or_truncated_transcript_is_read_again(tmp_path: Path) -> None:
    path = t.write(tmp_path / "a.jsonl", [*t.answer("msg_1"), *t.answer("msg_2")])
    transcript = Transcript(str(path))
    transcript.refresh(1 << 30)
    assert transcript.turns == 2
    t.write(tmp_path / "b.jsonl", t.answer("msg_3", (1, 1, 1, 1))).replace(path)  # a new file
    transcript.refresh(1 << 30)
    assert transcript.turns == 1 and transcript.models[t.SONNET] == [1, 1, 1, 1]


def test_later_lines_of_an_answer_with_other_figures_replace_the_first(tmp_path: Path) -> None:
    first = t.answer("msg_1", (100, 1, 0, 0))[0]
    last = t.answer("msg_1", (100, 50, 0, 0))[0]
    transcript = Transcript(str(t.write(tmp_path / "a.jsonl", [first, t.tool_result("x"), last])))
    transcript.refresh(1 << 30)
    assert transcript.turns == 1 and transcript.models[t.SONNET] == [100, 50, 0, 0]


def test_garbage_and_cut_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    good = t.answer("msg_1")[0]
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        good[:55].encode()  # a line cut short: Claude Code was killed while writing it
        + b"\n\x00\xff\xfe binary garbage\n"
        + b"[1, 2]\n"
        + (t.answer("msg_2", (1, 2, 3, 4))[0] + "\n").encode()
        + b'{"type": "assistant", "message": \n'  # cut inside an assistant entry
    )
    book = book_for(tmp_path, path)
    book.refresh(["42"])
    used = book.usage("42", PRICES)
    assert used is not None and used.turns == 1 and used.input_tokens == 1
    [problem] = book.problems("42")
    assert "4 line(s) are not JSON objects, skipped (first: line 1)" in problem and str(path) in problem


def test_an_overlong_line_is_skipped_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usage, "MAX_LINE", 1024 * 1024)
    monkeypatch.setattr(usage, "CHUNK", 256 * 1024)
    path = tmp_path / "a.jsonl"
    with path.open("w", encoding="utf-8") as file:
        file.write(t.answer("msg_1")[0] + "\n")
        file.write('{"type": "user", "junk": "' + "x" * (3 * 1024 * 1024) + '"}\n')
        file.write(t.answer("msg_2")[0] + "\n")
    transcript = Transcript(str(path))
    transcript.refresh(1 << 30)
    assert transcript.turns == 2 and transcript.offset == path.stat().st_size
    assert "1 line(s) longer than 1 MiB skipped" in transcript.problems["long"]


def test_a_huge_transcript_is_read_in_pieces_within_a_budget(tmp_path: Path) -> None:
    lines = [line for n in range(20_000) for line in (t.tool_result("y" * 2000), *t.answer(f"msg_{n}"))]
    path = t.write(tmp_path / "big.jsonl", lines)  # about 60 MB
    size = path.stat().st_size
    assert size > 50 * 1024 * 1024
    book = book_for(tmp_path, path)
    task = TaskUsage(transcripts_file("42", str(tmp_path.resolve())))
    read = task.refresh(16 * 1024 * 1024)  # one listing's budget: the rest waits for the next
    assert read <= 16 * 1024 * 1024 and 0 < (task.usage(PRICES) or usage.Usage()).turns < 20_000
    while task.refresh(16 * 1024 * 1024):
        pass
    used = task.usage(PRICES)
    assert used is not None and used.turns == 20_000 and used.input_tokens == 2_000_000
    book.refresh(["42"])  # the book reads it whole (its budget is larger)
    assert (book.usage("42", PRICES) or usage.Usage()).turns == 20_000


def test_sums_over_every_transcript_of_the_task_and_its_subagents(tmp_path: Path) -> None:
    before_clear = t.write(tmp_path / "p" / "s1.jsonl", t.answer("msg_1", (10, 0, 0, 0)))
    after_clear = t.write(tmp_path / "p" / "s2.jsonl", t.answer("msg_2", (20, 0, 0, 0)))
    subagent = t.write(
        tmp_path / "p" / "s2" / "subagents" / "agent-a1.jsonl", t.answer("msg_3", (40, 0, 0, 0))
    )
    book = book_for(tmp_path, before_clear, after_clear, before_clear)  # a resume names s1 again
    book.refresh(["42"])
    used = book.usage("42", PRICES)
    assert used is not None and used.input_tokens == 70 and used.turns == 3
    t.write(subagent, t.answer("msg_4", (80, 0, 0, 0)), mode="a")
    t.write(after_clear, [t.turn(1000)], mode="a")
    book.refresh(["42"])
    assert (book.usage("42", PRICES) or usage.Usage()).input_tokens == 150


def test_a_refusal_stands_until_the_person_asks_again_or_an_answer_comes(tmp_path: Path) -> None:
    path = t.write(tmp_path / "a.jsonl", [t.prompt("go"), t.refusal(), t.turn(30)])
    book = book_for(tmp_path, path)
    book.refresh(["42"])
    limit = book.limit("42")
    assert limit is not None and limit.reason == "API Error: Request rejected (429) · Too many"
    assert limit.resets_at is None and limit.key  # an API key names no reset time: never a guess
    # A tool's result or a local command's output is not the person asking again.
    t.write(path, [t.tool_result("done"), json.dumps({"type": "user", "isMeta": True, "message": {}})], "a")
    book.refresh(["42"])
    assert book.limit("42") is not None
    t.write(path, [t.prompt("continue")], "a")
    book.refresh(["42"])
    assert book.limit("42") is None
    t.write(
        path, [t.refusal("You've hit your session limit · resets 11:44pm (UTC)"), *t.answer("msg_9")], "a"
    )
    book.refresh(["42"])
    assert book.limit("42") is None  # an answer came after it


def test_the_transcript_list_names_each_transcript_once_and_reports_bad_lines(tmp_path: Path) -> None:
    listing = transcripts_file("42", str(tmp_path))
    listing.parent.mkdir(parents=True)
    listing.write_text(
        '{"session_id": "a", "transcript_path": "/x/a.jsonl"}\n\n'
        '{"session_id": "a", "transcript_path": "/x/a.jsonl", "source": "resume"}\n'
        "not json\n"
        '{"transcript_path": "relative.jsonl"}\n'
        '{"session_id": "b", "transcript_path": "/x/b.jsonl"}',  # the last line, without its newline
        encoding="utf-8",
    )
    found = TranscriptList(listing)
    assert found.refresh() == ["/x/a.jsonl", "/x/b.jsonl"]
    assert found.problem is not None and "2 line(s) name no transcript" in found.problem
    assert transcripts_file("42", str(tmp_path)) != transcripts_file("42", str(tmp_path / "other"))


# -- prices ------------------------------------------------------------------------------------------


def test_the_price_table_knows_dated_and_marked_names_and_never_guesses() -> None:
    table = PriceTable.from_setting({})
    assert table.price("claude-sonnet-4-5-20250929") == DEFAULT_PRICES["claude-sonnet-4-5"]
    assert table.price("claude-opus-4-8[1m]") == Price(5, 25, 0.5, 6.25)
    assert table.price("claude-sonnet-4-20250514") == Price(3, 15, 0.3, 3.75)
    for unknown in ("claude-opus-4-9", "claude-sonnet-4-5-2025", "gpt-5", "claude-opus-4-8-fast"):
        assert table.price(unknown) is None, unknown
    assert table.cost({"claude-haiku-4-5": (1_000_000, 1_000_000, 0, 0)}) == pytest.approx(6.0)
    assert table.cost({t.SONNET: (1, 1, 1, 1), "mystery-model": (1, 0, 0, 0)}) is None


def test_the_setting_adds_replaces_and_removes_and_bad_entries_are_reported() -> None:
    table = PriceTable.from_setting(
        {
            "mine": {"input": 1, "output": 2, "cache_read": 0, "cache_write": 1.5},
            "claude-sonnet-4-5": {"input": 30, "output": 150, "cache_read": 3, "cache_write": 37.5},
            "claude-haiku-4-5": None,
            "bad-key": {"input": 1, "output": 2, "cache_read": 0, "cache_writes": 1},
            "negative": {"input": -1, "output": 2, "cache_read": 0, "cache_write": 1},
            "text": {"input": "1", "output": 2, "cache_read": 0, "cache_write": 1},
            "not-a-mapping": 3,
            "claude-opus-4-8": {"input": True, "output": 2, "cache_read": 0, "cache_write": 1},
        }
    )
    assert table.price("mine") == Price(1, 2, 0, 1.5)
    assert table.price("claude-sonnet-4-5-20250929") == Price(30, 150, 3, 37.5)
    assert table.price("claude-haiku-4-5") is None
    assert table.price("claude-opus-4-8") is None  # a bad entry leaves the model without a price
    assert len(table.problems) == 5
    assert any("prices['bad-key'] lacks cache_write" in p for p in table.problems)
    assert any("negative" in p and "must not be negative" in p for p in table.problems)
    assert PriceTable.from_setting(["not", "a", "dict"]).problems[0].startswith("prices must be a mapping")


# -- reset times ---------------------------------------------------------------------------------------


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(
    ("words", "said", "resets"),
    [
        (
            "You've hit your session limit · resets 11:44pm (UTC)",
            "2026-11-29T23:43:07+00:00",
            "2026-11-29T23:44:00+00:00",
        ),
        ("resets 12am (UTC)", "2026-11-29T23:59:51+00:00", "2026-11-30T00:00:00+00:00"),
        ("resets 9:05am (UTC)", "2026-11-29T23:10:00+00:00", "2026-11-30T09:05:00+00:00"),
        ("resets 5pm (Europe/Berlin)", "2026-11-29T10:00:00+00:00", "2026-11-29T16:00:00+00:00"),
        (
            "You've hit your weekly limit · resets Dec 3, 5pm (UTC)",
            "2026-11-29T10:00:00+00:00",
            "2026-12-03T17:00:00+00:00",
        ),
        (
            "resets Jan 2, 2027, 8:30am (America/New_York)",
            "2026-12-30T10:00:00+00:00",
            "2027-01-02T13:30:00+00:00",
        ),
        ("resets Jan 2, 8:30am (UTC)", "2026-12-30T10:00:00+00:00", "2027-01-02T08:30:00+00:00"),
    ],
)
def test_the_reset_time_is_read_in_the_time_zone_the_agent_named(words: str, said: str, resets: str) -> None:
    assert reset_time(words, at(said)) == at(resets)


@pytest.mark.parametrize(
    "words",
    [
        "API Error: Request rejected (429) · Too many",
        "resets 11:44pm (Mars/Olympus)",
        "resets 13:44pm (UTC)",
        "resets Feb 30, 5pm (UTC)",
        "resets soon",
    ],
)
def test_no_reset_time_unless_the_agent_named_a_real_one(words: str) -> None:
    assert reset_time(words, datetime(2026, 11, 29, tzinfo=timezone.utc).timestamp()) is None


# -- figures -------------------------------------------------------------------------------------------


def test_figures_read_as_people_count() -> None:
    assert [figures.amount(n) for n in (950, 12_345, 12_000, 4_100_000)] == ["950", "12.3k", "12k", "4.1M"]
    assert [figures.dollars(c) for c in (0.4215, 0.004, 0, 1234.5, None)] == [
        "$0.42",
        "<$0.01",
        "$0.00",
        "$1,234.50",
        "cost unknown",
    ]
    assert [figures.duration(s) for s in (45, 192.4, 7500)] == ["45s", "3m 12s", "2h 05m"]
    one = usage.Usage(12_000, 300, 0, 45, 14, (t.SONNET,), 192.4, 0.4215).to_json()
    assert figures.usage_line(one) == "$0.42 · 12.3k tokens · 14 turns"
    assert figures.usage_line(None) == ""
    unknown = {**one, "cost": None, "models": ["x"]}
    summed = figures.total([one, None, unknown])
    assert summed is not None and summed["turns"] == 28 and summed["cost"] is None
    assert summed["models"] == [t.SONNET, "x"] and summed["working_seconds"] == pytest.approx(384.8)
    assert figures.total([one, one]) == {**one, **{k: one[k] * 2 for k in one if k not in ("models",)}}
    assert figures.total([None]) is None


def test_a_new_process_goes_on_from_the_record_on_disk(tmp_path: Path) -> None:
    from jupyter_claude.core import usagecache

    lines = [
        line for n in range(3000) for line in (t.tool_result("z" * 500), *t.answer(f"m{n}", (1, 2, 3, 4)))
    ]
    path = t.write(tmp_path / "a.jsonl", [*lines, t.prompt("go"), t.refusal(), t.turn(1500)])
    first = Transcript(str(path))
    assert first.refresh(1 << 30) == path.stat().st_size  # over SAVE_BYTES: the record is written
    assert usagecache.cache_file(str(path)).exists()
    t.write(path, t.answer("m-new", (10, 0, 0, 0)), mode="a")
    later = Transcript(str(path))  # a new process: the CLI, a kernel, a restarted server
    assert later.refresh(1 << 30) < 2000  # only the new line
    assert later.turns == 3001 and later.models[t.SONNET] == [3010, 6000, 9000, 12000]
    assert later.working_ms == 1500 and later.limit is None  # an answer came after the refusal
    # A record of another file (the transcript was replaced) or a damaged one is not used.
    t.write(tmp_path / "b.jsonl", t.answer("m1")).replace(path)
    assert Transcript(str(path)).refresh(1 << 30) == path.stat().st_size
    usagecache.cache_file(str(path)).write_text('{"version": 1, "path": "x"')
    fresh = Transcript(str(path))
    fresh.refresh(1 << 30)
    assert fresh.turns == 1
    record = usagecache.cache_file(str(path))
    data = json.loads(record.read_text()) if record.exists() else None
    assert data is None or usagecache.fields({**data, "models": {"m": [1, 2]}}) is None
