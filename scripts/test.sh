#!/usr/bin/env bash
# Installs everything the tests need (see scripts/setup.sh --test) and runs the whole suite:
# ruff, mypy, then pytest (real tmux, a real Jupyter server, Chromium, Xvfb terminals, JupyterHub).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export JUPYTER_CLAUDE_TEST_CLAUDE_BIN="$PWD/.cache/claude-code/node_modules/.bin/claude"
.venv/bin/ruff check jupyter_claude tests bench
.venv/bin/ruff format --check jupyter_claude tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
