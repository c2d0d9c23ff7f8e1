"""The demo notebook runs headless (nbclient) on the demo tasks, against a private tmux socket."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from ..support.data import REPO

NOTEBOOKS = REPO / "notebooks"
DEMO = NOTEBOOKS / "demo.ipynb"

#: What the demo's sessions run here: says hello and waits, like a harmless agent.
DEMO_COMMAND = [
    sys.executable,
    "-c",
    "import time; print('working on task {id}', flush=True); time.sleep(600)",
]


def outputs_text(cell: Any) -> str:
    """Everything a cell showed, as text (streams, plain text and HTML)."""
    parts: list[str] = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        for mime in ("text/plain", "text/html"):
            if mime in output.get("data", {}):
                parts.append(output["data"][mime])
    return "".join(parts)


def cell_with(nb: Any, source: str) -> Any:
    """The code cell whose source contains ``source``."""
    return next(cell for cell in nb.cells if cell.cell_type == "code" and source in cell.source)


def test_demo_notebook_has_a_kernelspec() -> None:
    nb = nbformat.read(DEMO, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"  # else Lab blocks on "Select Kernel"
    assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "saved with outputs"


def test_demo_notebook_runs_without_errors(
    tmux_socket: str, tmux: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    settings = {"command": DEMO_COMMAND, "log_dir": str(tmp_path / "logs"), "headless": True}
    (config_dir / "jupyter_claude_config.json").write_text(json.dumps({"ClaudeSessions": settings}))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("JUPYTER_CLAUDE_TMUX_SOCKET", tmux_socket)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DISPLAY", raising=False)

    nb = nbformat.read(DEMO, as_version=4)
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            assert output["output_type"] != "error", (cell.source, output)
            text = output.get("text", "")
            assert "Traceback" not in text, (cell.source, text)
            if output["output_type"] == "stream" and output["name"] == "stderr":
                assert "expected-stderr" in cell.metadata.get("tags", []), (cell.source, text)
                assert len(text.strip().splitlines()) == 1, text

    assert "🟢 running" in outputs_text(cell_with(nb, "%claude start 42"))
    assert "working on task 42" in outputs_text(cell_with(nb, "%claude log 42"))
    assert "attach-session -t =claude-42" in outputs_text(cell_with(nb, "%claude attach 42"))
    assert "claude-42 stopped" in outputs_text(cell_with(nb, "%claude stop 42"))
    assert "invalid task id" in outputs_text(cell_with(nb, "%claude start ../../etc/passwd"))
    assert tmux("has-session", "-t", "=claude-42").returncode != 0

    widget_state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    rows = [
        model["state"]["value"]
        for model in widget_state.values()
        if model["model_name"] == "HTMLModel" and 'data-task-id="' in model["state"].get("value", "")
    ]
    assert any('data-task-id="42"' in row and "⚫ stopped" in row for row in rows)
    assert any('data-task-id="fix-login-redirect"' in row for row in rows)
