"""The board's rules (core/board.py) answer the table of cases the lab extension's tests read too
(labextension/test/board-cases.json), so the server and the board put every task in one column."""

from __future__ import annotations

import json

import pytest

from jupyter_claude import ClaudeSessions
from jupyter_claude.core.board import DEFAULT_COLUMNS, OTHER, card_key, column_key, column_of
from jupyter_claude.core.errors import InvalidSetting
from jupyter_claude.core.vocabulary import natural_key

from ..support.data import REPO

CASES = json.loads((REPO / "labextension" / "test" / "board-cases.json").read_text(encoding="utf-8"))


def test_the_defaults_are_the_shared_ones() -> None:
    assert list(DEFAULT_COLUMNS) == CASES["columns"] and CASES["other"] == OTHER
    assert ClaudeSessions().board_columns == CASES["columns"]


@pytest.mark.parametrize("case", CASES["column_of"], ids=lambda case: repr(case["status"]))
def test_column_of(case: dict[str, str]) -> None:
    assert column_of(case["status"], CASES["columns"]) == case["column"]


@pytest.mark.parametrize("case", CASES["column_of_custom"]["cases"], ids=lambda case: repr(case["status"]))
def test_column_of_custom_columns(case: dict[str, str]) -> None:
    assert column_of(case["status"], CASES["column_of_custom"]["columns"]) == case["column"]


@pytest.mark.parametrize("case", CASES["column_key"], ids=lambda case: case["text"])
def test_column_key(case: dict[str, str]) -> None:
    assert column_key(case["text"]) == case["key"]


def test_card_order_and_natural_order() -> None:
    cards = sorted(CASES["card_order"]["cards"], key=lambda card: card_key(card["priority"], card["id"]))
    assert [card["id"] for card in cards] == CASES["card_order"]["order"]
    assert sorted(CASES["natural_order"]["ids"], key=natural_key) == CASES["natural_order"]["order"]


@pytest.mark.parametrize(
    ("columns", "word"),
    [([], "at least one"), (["To Do", "to-do"], "twice"), (["Other"], "Other"), (["a\nb"], "line break")],
)
def test_bad_board_columns_are_refused(columns: list[str], word: str) -> None:
    with pytest.raises(InvalidSetting, match=word):
        ClaudeSessions(board_columns=columns)


def test_the_manager_names_its_columns() -> None:
    sessions = ClaudeSessions(board_columns=["Backlog", "Doing", "Done"])
    assert sessions.board() == {"columns": ["Backlog", "Doing", "Done"], "other": "Other"}
