"""What model tokens cost: the ``prices`` setting over the built-in table, and a task's cost from it.

Prices are dollars per million tokens, per model: ``input``, ``output``, ``cache_read`` and
``cache_write``. The built-in table is Claude Code's own (2.1.197, read on :data:`CHECKED`); the
``prices`` setting adds models or replaces the built-in entry of one (``None`` removes it). A model
name is looked up as given, then without a date suffix (``claude-sonnet-4-5-20250929`` is
``claude-sonnet-4-5``) or a context marker (``claude-opus-4-8[1m]``), and nothing else: a model
the table does not name has no price, and the cost of any usage that includes it is ``None`` — never
a guess from a similar name. A bad entry in the setting is dropped and reported (:attr:`PriceTable.
problems`); it never breaks a listing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: When the built-in prices were read from Claude Code (docs/usage.md says so too).
CHECKED = "2026-11-29"

#: The four figures of a price, dollars per million tokens.
PRICE_KEYS = ("input", "output", "cache_read", "cache_write")


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of one model."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    def to_json(self) -> dict[str, float]:
        """As the ``prices`` setting takes it."""
        return {key: getattr(self, key) for key in PRICE_KEYS}


_SONNET = Price(3, 15, 0.3, 3.75)
_OPUS_4 = Price(15, 75, 1.5, 18.75)
_OPUS_45 = Price(5, 25, 0.5, 6.25)
_FABLE = Price(10, 50, 1, 12.5)

#: Claude Code 2.1.197's price table (5-minute cache writes; no long-context or fast-mode surcharge), with
#: the undated names of Claude Sonnet 4 and Opus 4 ("claude-sonnet-4-20250514" drops its date).
DEFAULT_PRICES: dict[str, Price] = {
    "claude-3-5-haiku": Price(0.8, 4, 0.08, 1),
    "claude-haiku-4-5": Price(1, 5, 0.1, 1.25),
    "claude-3-5-sonnet": _SONNET,
    "claude-3-7-sonnet": _SONNET,
    "claude-sonnet-4": _SONNET,
    "claude-sonnet-4-0": _SONNET,
    "claude-sonnet-4-5": _SONNET,
    "claude-sonnet-4-6": _SONNET,
    "claude-sonnet-5": _SONNET,
    "claude-opus-4": _OPUS_4,
    "claude-opus-4-0": _OPUS_4,
    "claude-opus-4-1": _OPUS_4,
    "claude-opus-4-5": _OPUS_45,
    "claude-opus-4-6": _OPUS_45,
    "claude-opus-4-7": _OPUS_45,
    "claude-opus-4-8": _OPUS_45,
    "claude-fable-5": _FABLE,
    "claude-mythos-5": _FABLE,
}

_DATED = re.compile(r"^(.+)-\d{8}$")
_MARKER = re.compile(r"^(.+)\[[0-9a-z]+\]$")


class PriceTable:
    """Prices by model name, with the problems found in the setting they came from."""

    def __init__(self, prices: Mapping[str, Price], problems: tuple[str, ...] = ()) -> None:
        self.prices = dict(prices)
        self.problems = problems

    @classmethod
    def from_setting(cls, setting: Any) -> PriceTable:
        """The built-in table with the ``prices`` setting over it; bad entries are dropped and
        reported, never raised."""
        prices = dict(DEFAULT_PRICES)
        problems: list[str] = []
        if not isinstance(setting, Mapping):
            problems.append(
                f"prices must be a mapping of model names to prices, not {type(setting).__name__}"
            )
            return cls(prices, tuple(problems))
        for model, entry in setting.items():
            if not isinstance(model, str) or not model.strip():
                problems.append(f"prices: {model!r} is not a model name: ignored")
                continue
            if entry is None:
                prices.pop(model, None)
                continue
            price, problem = _price(entry)
            if price is None:
                problems.append(f"prices[{model!r}] {problem}: ignored (its cost is unknown)")
                prices.pop(model, None)
            else:
                prices[model] = price
        return cls(prices, tuple(problems))

    def price(self, model: str) -> Price | None:
        """The price of ``model``: its own entry, or its undated / unmarked name's; else None."""
        found = self.prices.get(model)
        if found is not None:
            return found
        for pattern in (_MARKER, _DATED):
            match = pattern.match(model)
            if match:
                return self.price(match.group(1))
        return None

    def cost(self, tokens: Mapping[str, tuple[int, int, int, int]]) -> float | None:
        """Dollars for (input, output, cache read, cache write) tokens by model; None when any
        model with tokens has no price."""
        total = 0.0
        for model, (input_tokens, output_tokens, cache_read, cache_write) in tokens.items():
            price = self.price(model)
            if price is None:
                return None
            total += (
                input_tokens * price.input
                + output_tokens * price.output
                + cache_read * price.cache_read
                + cache_write * price.cache_write
            ) / 1_000_000
        return total


def _price(entry: Any) -> tuple[Price | None, str]:
    """A Price from a setting's entry, or None and what is wrong with it."""
    if not isinstance(entry, Mapping):
        return None, f"must be a mapping of {', '.join(PRICE_KEYS)} (dollars per million tokens)"
    missing = [key for key in PRICE_KEYS if key not in entry]
    if missing:
        return None, f"lacks {', '.join(missing)}"
    unknown = sorted(str(key) for key in entry if key not in PRICE_KEYS)
    if unknown:
        return None, f"has unknown keys {', '.join(unknown)} (use {', '.join(PRICE_KEYS)})"
    values = {}
    for key in PRICE_KEYS:
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None, f"{key} must be a number of dollars, not {value!r}"
        if value < 0:
            return None, f"{key} must not be negative ({value})"
        values[key] = float(value)
    return Price(**values), ""
