"""Hostile task files: what a branch or a pull request could put in a task folder."""

from __future__ import annotations

import os
from pathlib import Path


def billion_laughs() -> str:
    """456 bytes of YAML whose aliases expand to 10^9 strings."""
    lines = ["---", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    return "\n".join([*lines, "---", "# laughs", ""])


def plant_hostile_files(tasks: Path, outside: Path) -> dict[str, str]:
    """Every hostile file of the reliability issue, and the word its reported reason must hold."""
    (tasks / "laughs.md").write_text(billion_laughs())
    os.mkfifo(tasks / "fifo.md")
    (tasks / "huge.md").write_bytes(b"# " + b"A" * (50 * 1024 * 1024) + b"\n")
    (tasks / "long-title.md").write_bytes(b"# " + b"B " * 300_000 + b"\n")  # 600 KB: read, title cut
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tasks / "evil.md").symlink_to(outside)
    (tasks / "deep.md").write_text("+++\nx = " + "[" * 5000 + "]" * 5000 + "\n+++\n")
    (tasks / "wide.md").write_text("---\n" + "".join(f"k{i}: {i}\n" for i in range(3000)) + "---\n")
    (tasks / "big-front.md").write_text("---\nx: '" + "y" * (70 * 1024) + "'\n---\n")
    (tasks / "dangling.md").symlink_to(tasks / "nowhere.md")
    (tasks / "good.md").write_text("+++\nid = 'good'\n+++\n# Good\n")
    return {
        "tasks/laughs.md": "aliases",
        "tasks/fifo.md": "not a regular file",
        "tasks/huge.md": "larger than",
        "tasks/evil.md": "outside the root",
        "tasks/deep.md": "nested",
        "tasks/wide.md": "more than",
        "tasks/big-front.md": "longer than",
        "tasks/dangling.md": "cannot read",
    }
