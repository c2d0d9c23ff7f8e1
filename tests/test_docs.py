"""The documentation stays true: every setting documented, the Quick start has its two commands."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_claude import ClaudeSessions

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    for name in ClaudeSessions.class_traits(config=True):
        assert f"| `{name}` |" in README, f"README's settings table lacks {name}"


def test_quick_start_has_exactly_two_commands_that_exist() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["bash scripts/run.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (REPO / command.split()[1]).is_file()
    ci = (REPO / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci


def test_linked_documents_exist() -> None:
    for target in re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)\)", README):
        assert (REPO / target).exists(), target
