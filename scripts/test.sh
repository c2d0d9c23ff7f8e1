#!/usr/bin/env bash
# Installs everything the tests need (see scripts/setup.sh --test) and runs the whole suite:
# ruff, mypy, the lab extension's unit tests, then pytest (real tmux, a real Jupyter server, Chromium,
# Xvfb terminals, JupyterHub, the real Claude Code CLI against a scripted model server).
# Quick check while working: .venv/bin/python -m pytest -m "not e2e" -n 4
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export JUPYTER_CLAUDE_TEST_CLAUDE_BIN="$PWD/.cache/claude-code/node_modules/.bin/claude"
.venv/bin/ruff check jupyter_claude tests bench
.venv/bin/ruff format --check jupyter_claude tests bench
.venv/bin/mypy
# The lab extension's own unit tests (vitest), with the venv's jlpm and node tools on PATH.
(cd labextension && PATH="$PWD/../.venv/bin:$PATH" jlpm test)
.venv/bin/python -m pytest "$@"
