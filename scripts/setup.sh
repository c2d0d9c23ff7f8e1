#!/usr/bin/env bash
# Installs what jupyter-claude needs on a fresh Debian/Ubuntu machine, then the package itself into
# .venv (editable). Safe to re-run: it installs only what is missing.
#   scripts/setup.sh          run-time needs (tmux, git, Python venv, Node for the lab extension)
#   scripts/setup.sh --test   plus what the test suite uses (Xvfb, xterm, GNOME Terminal, Chromium,
#                             Claude Code CLI, JupyterHub's proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
want_tests=${1:-}

apt_packages=(tmux git)
[ "$want_tests" = "--test" ] && apt_packages+=(xvfb xterm gnome-terminal dbus-x11 kitty alacritty xfce4-terminal wmctrl xdotool chromium fonts-noto-color-emoji)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing with apt-get: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$want_tests" = "--test" ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  # The real Claude Code CLI, for the test that runs it in a pane (it cannot reach its service here).
  if [ ! -x .cache/claude-code/node_modules/.bin/claude ]; then
    npm install --silent --no-audit --no-fund --prefix .cache/claude-code @anthropic-ai/claude-code
  fi
else
  .venv/bin/python -m pip install -q -e ".[lab]"
fi
