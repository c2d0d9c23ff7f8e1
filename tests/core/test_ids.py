"""The task-id gate: exactly the grammar, and nothing it rejects ever reaches tmux."""

from __future__ import annotations

import string
import subprocess
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_claude import ClaudeSessions, InvalidTaskId, is_valid_task_id, validate_task_id
from jupyter_claude.core import tmux as tmux_module

from ..support.data import INVALID_IDS

ALLOWED_FIRST = set(string.ascii_letters + string.digits)
ALLOWED_REST = ALLOWED_FIRST | {"_", "-"}


def oracle(value: str) -> bool:
    """The grammar written out by hand, independently of the regular expression."""
    return (
        1 <= len(value) <= 64
        and value[0] in ALLOWED_FIRST
        and all(character in ALLOWED_REST for character in value[1:])
    )


@pytest.mark.parametrize("value", ["42", "TASK-20250516T024757", "fix_login-2", "a", "9" * 64])
def test_accepts(value: str) -> None:
    assert validate_task_id(value) == value


@pytest.mark.parametrize("value", INVALID_IDS)
def test_rejects_with_the_rule(value: str) -> None:
    with pytest.raises(InvalidTaskId) as caught:
        validate_task_id(value)
    assert "1 to 64 ASCII letters, digits, '_' or '-'" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("value", [None, 42, b"42", ["42"]])
def test_rejects_non_strings(value: Any) -> None:
    with pytest.raises(InvalidTaskId):
        validate_task_id(value)


@settings(max_examples=5000, deadline=None)
@given(st.text(max_size=80))
def test_gate_is_exactly_the_grammar(value: str) -> None:
    assert is_valid_task_id(value) == oracle(value)


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True))
def test_every_grammatical_id_passes(value: str) -> None:
    assert oracle(value)
    assert validate_task_id(value) == value


NASTY = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["", "42", "claude-", "x"]),
        st.sampled_from(["\n", ".", ":", "#(touch f)", "$1", " ", "/..", ";", "=", "٣", "é"]),
    ),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NASTY)
def test_nothing_rejected_reaches_tmux(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(list(argv))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(tmux_module.subprocess, "run", recording_run)
    sessions = ClaudeSessions(tmux_socket="jc-never-started", command=["true"], log_dir="/nonexistent")
    if oracle(value):
        return
    for call in (
        lambda: sessions.start(value),
        lambda: sessions.stop(value),
        lambda: sessions.status(value),
        lambda: sessions.read_log(value),
        lambda: sessions.session_name(value),
        lambda: sessions.log_path(value),
    ):
        with pytest.raises(InvalidTaskId):
            call()
    assert calls == []
