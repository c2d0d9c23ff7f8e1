"""How usage figures read, the same in the CLI, the magic and the TaskTable (the lab extension's
``usage.ts`` words them the same way): token counts, dollars, working time, one line per task, and
the total of several tasks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def amount(tokens: int) -> str:
    """A token count as people read it: 950, 12.3k, 4.1M."""
    if tokens < 1000:
        return str(tokens)
    if tokens < 1_000_000:
        return f"{tokens / 1000:.1f}k".replace(".0k", "k")
    return f"{tokens / 1_000_000:.1f}M".replace(".0M", "M")


def dollars(cost: float | None) -> str:
    """A cost: "$0.42", "$12.50", "<$0.01", or "cost unknown" when a model has no price."""
    if cost is None:
        return "cost unknown"
    if 0 < cost < 0.01:
        return "<$0.01"
    return f"${cost:,.2f}"


def duration(seconds: float) -> str:
    """Working time: "45s", "3m 12s", "2h 05m"."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def usage_line(usage: dict[str, Any] | None) -> str:
    """One line for a task's usage (the JSON shape), as the sidebar, the table and the CLI show
    it: "$0.42 · 12.3k tokens · 14 turns"; "" before the first turn."""
    if not usage:
        return ""
    tokens = sum(
        usage[key] for key in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    )
    turns = usage["turns"]
    return f"{dollars(usage['cost'])} · {amount(tokens)} tokens · {turns} turn{'s' if turns != 1 else ''}"


def total(usages: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The sum of several tasks' usage (the JSON shape); its cost is unknown when one is."""
    known = [usage for usage in usages if usage]
    if not known:
        return None
    summed: dict[str, Any] = {
        key: sum(usage[key] for usage in known)
        for key in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "turns")
    }
    summed["models"] = list(dict.fromkeys(model for usage in known for model in usage["models"]))
    summed["working_seconds"] = round(sum(usage["working_seconds"] for usage in known), 3)
    costs = [usage["cost"] for usage in known]
    summed["cost"] = None if any(cost is None for cost in costs) else round(sum(costs), 10)
    return summed
