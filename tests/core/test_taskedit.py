"""The status rewrite is byte-exact: only the value of the top-level ``status`` changes, in TOML and
YAML, with emoji, CRLF line ends, a byte order mark, comments, tables, and files without the key
or without front matter; what cannot be rewritten exactly is refused, never half-written."""

from __future__ import annotations

import pytest

from jupyter_claude.core.errors import InvalidSetting, TaskNotEditable
from jupyter_claude.core.taskedit import check_body, check_line, new_task_text, with_status
from jupyter_claude.core.tasks import parse_task, split_front_matter

TOML = """\
+++
# The task, as the team writes it
id = "fix-login"
title = "Login redirects to /404"   # reported twice
status = "🟡 To Do"    # the board moves this
priority = "🔼 High"
tags = ["auth", "web"]
created_date = 2025-05-16

[links]
status = "not the task's status"
+++

# Login redirects to /404

status = "this line is body text"
"""

YAML = """\
---
id: fix-login
# comment line
title: "Login redirects to /404"
status: 🟡 To Do # trailing comment
priority: High
tags:
  - auth
  - web
---
Body with status: words
"""


def rewrite(text: str, status: str) -> str:
    return with_status(text.encode("utf-8"), status).decode("utf-8")


@pytest.mark.parametrize("status", ["Done", "🟢 In Progress", "✅ Done", 'say "hi" \\ back', "it's"])
def test_toml_only_the_value_changes(status: str) -> None:
    result = rewrite(TOML, status)
    line = next(line for line in result.splitlines() if line.startswith("status"))
    assert line.endswith("    # the board moves this")
    assert result.replace(line, 'status = "🟡 To Do"    # the board moves this') == TOML
    metadata, body = split_front_matter(result)
    assert metadata["status"] == status and metadata["links"]["status"] == "not the task's status"
    assert body == split_front_matter(TOML)[1]


def test_toml_emoji_to_emoji_is_exact() -> None:
    assert rewrite(TOML, "🔴 Blocked") == TOML.replace('status = "🟡 To Do"', 'status = "🔴 Blocked"')


def test_toml_literal_string_stays_literal_when_it_can() -> None:
    text = "+++\nid = 'a'\nstatus = 'To Do'\n+++\n"
    assert rewrite(text, "Done") == "+++\nid = 'a'\nstatus = 'Done'\n+++\n"
    assert rewrite(text, "Bob's") == "+++\nid = 'a'\nstatus = \"Bob's\"\n+++\n"


def test_toml_multiline_and_non_string_values() -> None:
    assert rewrite('+++\nstatus = """To\nDo"""\nx = 1\n+++\n', "Done") == '+++\nstatus = "Done"\nx = 1\n+++\n'
    assert rewrite("+++\nstatus = 3 # c\n+++\n", "Done") == '+++\nstatus = "Done" # c\n+++\n'


@pytest.mark.parametrize("status", ["Done", "🟢 In Progress", "yes", "1.5", "a: b", "#tag", "it's", "- item"])
def test_yaml_only_the_value_changes(status: str) -> None:
    result = rewrite(YAML, status)
    old_lines, new_lines = YAML.splitlines(), result.splitlines()
    changed = [(old, new) for old, new in zip(old_lines, new_lines) if old != new]
    assert len(old_lines) == len(new_lines) and len(changed) == 1
    assert changed[0][1].startswith("status: ") and changed[0][1].endswith(" # trailing comment")
    metadata, body = split_front_matter(result)
    assert metadata["status"] == status and metadata["tags"] == ["auth", "web"]
    assert body == "Body with status: words\n"


def test_yaml_plain_when_it_reads_back_else_quoted() -> None:
    assert "status: Done # trailing comment" in rewrite(YAML, "Done")
    assert 'status: "yes" # trailing comment' in rewrite(YAML, "yes")
    assert "status: 'Done'\n" in rewrite("---\nstatus: 'To Do'\n---\n", "Done")
    assert 'status: "Done"\n' in rewrite('---\nstatus: "To Do"\n---\n', "Done")


def test_yaml_values_over_several_lines_become_one() -> None:
    text = "---\nid: a\nstatus: |\n  two\n  lines\nnext: 1\n---\nbody\n"
    assert rewrite(text, "Done") == "---\nid: a\nstatus: Done\nnext: 1\n---\nbody\n"
    text = "---\nstatus:\n  To Do\nnext: 1\n---\n"
    assert rewrite(text, "Done") == "---\nstatus: Done\nnext: 1\n---\n"


def test_crlf_and_byte_order_mark_are_kept() -> None:
    toml = "\ufeff" + TOML.replace("\n", "\r\n")
    result = rewrite(toml, "Done")
    assert result == toml.replace('status = "🟡 To Do"', 'status = "Done"')
    yaml = YAML.replace("\n", "\r\n")
    assert rewrite(yaml, "Done") == yaml.replace("status: 🟡 To Do", "status: Done")


def test_a_missing_key_is_added_at_the_end_of_the_top_level() -> None:
    toml = '+++\nid = "a"  # keep\n\n[links]\nurl = "x"\n+++\nbody\n'
    expected = '+++\nid = "a"  # keep\n\nstatus = "Done"\n[links]\nurl = "x"\n+++\nbody\n'
    assert rewrite(toml, "Done") == expected
    assert rewrite('+++\r\nid = "a"\r\n+++\r\n', "Done") == '+++\r\nid = "a"\r\nstatus = "Done"\r\n+++\r\n'
    assert rewrite("---\nid: a\n---\nbody\n", "Done") == "---\nid: a\nstatus: Done\n---\nbody\n"
    assert rewrite("+++\n+++\n", "Done") == '+++\nstatus = "Done"\n+++\n'


def test_a_file_without_front_matter_gets_a_toml_block() -> None:
    plain = "# Speed up the report\n\nIt is slow.\n"
    result = rewrite(plain, "🟢 Doing")
    assert result == '+++\nstatus = "🟢 Doing"\n+++\n' + plain
    task = parse_task(result.encode(), "tasks/42.md", "42")
    assert (task.id, task.title, task.status, task.body) == ("42", "Speed up the report", "🟢 Doing", plain)
    crlf = "\ufeff# Title\r\nbody\r\n"
    assert rewrite(crlf, "Done") == '\ufeff+++\r\nstatus = "Done"\r\n+++\r\n# Title\r\nbody\r\n'


@pytest.mark.parametrize(
    "text",
    [
        "+++\nstatus.kind = 'x'\n+++\n",  # status is a table
        "---\n{id: a, status: x}\n---\n",  # flow mapping
        "+++\nid = \n+++\n",  # not a task at all
        "---\nid: [\n---\n",
    ],
)
def test_what_cannot_be_rewritten_exactly_is_refused(text: str) -> None:
    with pytest.raises(TaskNotEditable):
        with_status(text.encode(), "Done")


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("two\nlines", "line break"),
        ("cr\rhere", "line break"),
        ("line\u2028separator", "line break"),
        ("bell\x07", "control character"),
        ("esc\x1b[31m", "control character"),
        ("rtl\u202eevil", "control character"),
        ("x" * 101, "longer than 100"),
        (3, "must be text"),
    ],
)
def test_bad_status_values(value: object, word: str) -> None:
    with pytest.raises(InvalidSetting, match=word):
        check_line(value, "the status")


def test_good_status_values_are_trimmed() -> None:
    assert check_line("  🟢 In Progress  ", "the status") == "🟢 In Progress"
    assert check_line("👩‍💻 Coding", "the status") == "👩‍💻 Coding"  # a ZWJ sequence is fine


def test_bodies_keep_tabs_and_line_ends_only() -> None:
    assert check_body("a\tb\r\nc\n") == "a\tb\r\nc\n"
    assert check_body(None) == ""
    with pytest.raises(InvalidSetting, match="control character"):
        check_body("colour \x1b[31m red")


def test_new_task_text_reads_back() -> None:
    text = new_task_text("fix-login", 'Say "hi" \\ there', "To Do", "High", "# Notes\n\nbody", "2026-01-02")
    task = parse_task(text.encode(), "tasks/fix-login.md", "fix-login")
    assert (task.id, task.title) == ("fix-login", 'Say "hi" \\ there')
    assert (task.status, task.priority) == ("To Do", "High")
    assert task.body == "# Notes\n\nbody\n" and task.metadata["created_date"] == "2026-01-02"
    assert new_task_text("a", "A", "To Do") == '+++\nid = "a"\ntitle = "A"\nstatus = "To Do"\n+++\n'
