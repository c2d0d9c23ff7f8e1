#!/usr/bin/env bash
# Quick start: install, then JupyterLab with jupyter-claude on 127.0.0.1, on the demo task folder
# (notebooks/tasks). Extra arguments go to `jupyter lab`, e.g. --port=9999 or --ClaudeSessions.agent=claude.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
args=(--ip=127.0.0.1 --ServerApp.root_dir="$PWD/notebooks")
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
# Without tw-start or Claude Code on this machine, the demo tasks open an interactive shell in
# their worktree with the task's prompt printed, so every button does something real.
if ! command -v tw-start >/dev/null && ! command -v claude >/dev/null; then
  args+=(--ClaudeSessions.agent=shell)
fi
exec .venv/bin/jupyter lab "${args[@]}" "$@"
