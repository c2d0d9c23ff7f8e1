"""A task's diff as HTML in a notebook: the summary, the files with +/- counts, and the patch with
added lines green and deleted lines red (``%claude diff`` and the TaskTable's Diff button). Every
text is escaped; the patch scrolls inside a box of bounded height."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.review import STATUS_LETTERS
from .html import escape

ADDED = "var(--jp-success-color1, #388e3c)"
DELETED = "var(--jp-error-color1, #d32f2f)"
HUNK = "var(--jp-info-color1, #0288d1)"
MUTED = "var(--jp-ui-font-color2, #666)"


def counts_html(change: dict[str, Any]) -> str:
    """ "+3 −1" in colour, or "binary"."""
    if change.get("binary"):
        return f"<span style='color:{MUTED}'>binary</span>"
    if change.get("added") is None:
        return ""
    return (
        f"<span style='color:{ADDED}'>+{change['added']}</span> "
        f"<span style='color:{DELETED}'>−{change.get('deleted') or 0}</span>"
    )


def files_html(changes: Sequence[dict[str, Any]], title: str) -> str:
    """A table of files: status letter, path (old -> new for a rename), counts."""
    if not changes:
        return ""
    letter = STATUS_LETTERS.get
    rows = "".join(
        "<tr>"
        f"<td style='padding:0 6px'><code>{escape(letter(c['status'], c['status'][:1]))}</code></td>"
        f"<td style='padding:0 6px'><code>{escape((c['old_path'] + ' → ') if c.get('old_path') else '')}"
        f"{escape(c['path'])}</code></td>"
        f"<td style='padding:0 6px;text-align:right'>{counts_html(c)}</td>"
        "</tr>"
        for c in changes
    )
    return f"<div><b>{escape(title)}</b></div><table class='jc-diff-files'>{rows}</table>"


def patch_html(patch: str) -> str:
    """The patch in a scrolling box, a line per span, coloured like ``git diff --color``."""
    lines, in_header = [], False
    for line in patch.splitlines():
        style = ""
        if line.startswith("diff --git"):
            in_header = True
        elif line.startswith("@@"):
            in_header, style = False, f"color:{HUNK}"
        if in_header:
            style = "font-weight:600"
        elif not style and line.startswith("+"):
            style = f"color:{ADDED}"
        elif not style and line.startswith("-"):
            style = f"color:{DELETED}"
        lines.append(f"<span style='{style}'>{escape(line)}</span>" if style else escape(line))
    return (
        "<pre class='jc-diff-patch' style='max-height:32em;overflow:auto;margin:4px 0;padding:4px;"
        "border:1px solid var(--jp-border-color2, #ccc);font-size:12px;line-height:1.35'>"
        + "\n".join(lines)
        + "</pre>"
    )


def diff_html(data: dict[str, Any], lines: Sequence[str]) -> str:
    """The whole diff: the summary's first line, the commits, the files, the uncommitted work and
    (unless ``--stat``) the patch."""
    commits = "".join(
        f"<li><code>{escape(c['sha'][:8])}</code> {escape(c['subject'])} "
        f"<span style='color:{MUTED}'>({escape(c['author'])}, {escape(c['time'][:10])})</span></li>"
        for c in data.get("commits", [])
    )
    parts = [f"<div class='jc-diff-summary'><b>{escape(lines[0] if lines else '')}</b></div>"]
    if commits:
        parts.append(f"<div><b>commits</b></div><ul style='margin:0 0 4px 0'>{commits}</ul>")
    parts.append(files_html(data.get("files", []), f"files ({len(data.get('files', []))})"))
    parts.append(files_html(data.get("uncommitted", []), "uncommitted in the worktree"))
    if data.get("patch"):
        parts.append(patch_html(data["patch"]))
    if data.get("truncated"):
        parts.append(f"<div style='color:{MUTED}'>(the patch is cut: it is longer than diff_max_bytes)</div>")
    return f"<div class='jc-diff' data-task-id='{escape(data.get('id', ''))}'>{''.join(parts)}</div>"
