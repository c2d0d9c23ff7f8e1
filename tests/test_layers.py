"""The package's shape: imports only go down the layers, and no module imports itself round a cycle.

Every import of every module is read with ``ast`` (imports inside functions included). Layers:
``core`` imports nothing of ours from above it; ``workflow`` imports only ``core``; the front ends
``server``, ``notebook`` and ``cli`` import ``core`` and ``workflow`` and never each other. The
package's own ``__init__`` and ``__main__`` sit above everything (they are the public entry points).
The log writer (``core/logpipe.py``) runs by path with ``python -I -S``: it imports nothing of ours.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from .support.data import REPO

PACKAGE = REPO / "jupyter_claude"

#: Which layers each layer may import (itself included).
ALLOWED = {
    "core": {"core"},
    "workflow": {"core", "workflow"},
    "server": {"core", "workflow", "server"},
    "notebook": {"core", "workflow", "notebook"},
    "cli": {"core", "workflow", "cli"},
}

#: Longest module allowed (lines), so that each reads in one sitting.
MAX_LINES = 520


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "labextension" not in path.relative_to(PACKAGE).parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``name`` imports, anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            # "from .core import logs" names a module; "from .core.logs import x" names its module.
            while target and target not in known:
                target = target.rpartition(".")[0]
            # A module's own packages are imported before it anyway: not an edge of its own.
            if target and not f"{name}.".startswith(f"{target}.") and target.startswith("jupyter_claude"):
                found.add(target)
    return found


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_every_module_is_in_a_layer() -> None:
    loose = [name for name in modules() if layer_of(name) is None and name.count(".") > 0]
    assert sorted(loose) == ["jupyter_claude.__main__"], loose


def test_imports_only_go_down() -> None:
    upward = []
    for name, targets in graph().items():
        layer = layer_of(name)
        if layer is None:
            continue  # the package's entry points
        for target in targets:
            target_layer = layer_of(target)
            if target_layer is None or target_layer not in ALLOWED[layer]:
                upward.append(f"{name} imports {target}")
    assert not upward, "imports that go up or sideways:\n" + "\n".join(sorted(upward))


def test_no_import_cycles() -> None:
    edges = graph()
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_log_writer_imports_nothing_of_ours() -> None:
    assert graph()["jupyter_claude.core.logpipe"] == set()


def test_no_module_is_too_long() -> None:
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_every_public_name_imports_in_a_fresh_interpreter() -> None:
    script = "import jupyter_claude as j; [getattr(j, n) for n in j.__all__]; print(len(j.__all__))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 18


def test_the_lab_extension_reads_the_same_vocabulary() -> None:
    from jupyter_claude.core import vocabulary

    shipped = json.loads((REPO / "labextension" / "src" / "vocabulary.json").read_text(encoding="utf-8"))
    assert shipped == vocabulary.to_json(), (
        "labextension/src/vocabulary.json differs from jupyter_claude.core.vocabulary: "
        "write it again with python -m jupyter_claude.core.vocabulary > labextension/src/vocabulary.json"
    )
