"""Where settings come from: the user's Jupyter config files, and the pane's environment.

Inside ``jupyter server`` / ``jupyter lab`` the server's own config (files and ``--ClaudeSessions.x=``
on its command line) reaches :class:`~jupyter_claude.core.manager.ClaudeSessions` through its
parent. A kernel or the CLI builds the manager with ``ClaudeSessions.from_config()``, which reads
the same files the server reads, through :func:`load_jupyter_config`: ``jupyter_claude_config`` and
``jupyter_server_config`` (``.json`` and ``.py``) in every Jupyter config directory and the current
directory, lowest priority first.

A task's pane gets the tmux server's environment, not the manager's: the manager that starts a
session passes the settings the built-in workflow needs in ``JUPYTER_CLAUDE_SETTINGS``
(:func:`encode_pane_settings`), and the workflow applies them over the config files
(:func:`apply_pane_settings`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_config_path
from traitlets import HasTraits
from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, JSONFileConfigLoader, PyFileConfigLoader

from .errors import InvalidSetting

CONFIG_FILE_STEMS = ("jupyter_server_config", "jupyter_claude_config")

#: The only section taken from those files: a kernel must not pick up unrelated server settings.
SECTION = "ClaudeSessions"

#: Environment variable carrying the starting manager's settings into the pane (JSON object).
SETTINGS_VARIABLE = "JUPYTER_CLAUDE_SETTINGS"

#: Longest settings JSON passed inline; longer goes through a file under the state folder
#: (tmux refuses commands of about 16 KB: a long prompt template would not fit).
INLINE_SETTINGS_LIMIT = 8000


def default_log_dir() -> str:
    """``$XDG_CACHE_HOME/jupyter-claude/logs``, else ``~/.cache/jupyter-claude/logs``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache) / "jupyter-claude" / "logs")


def state_dir() -> Path:
    """``$XDG_STATE_HOME/jupyter-claude``, else ``~/.local/state/jupyter-claude``: what is kept
    between runs outside tmux (conversation ids, agent settings files, pending answers)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "jupyter-claude"


def config_directories() -> list[str]:
    """Jupyter's config path plus the current directory, highest priority first."""
    return [os.getcwd(), *jupyter_config_path()]


def load_jupyter_config(directories: list[str] | None = None) -> Config:
    """The ``ClaudeSessions`` settings found in the Jupyter config files."""
    merged = Config()
    for directory in reversed(directories if directories is not None else config_directories()):
        for stem in CONFIG_FILE_STEMS:
            for loader_class, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
                if not os.path.isfile(os.path.join(directory, stem + suffix)):
                    continue
                try:
                    loaded = loader_class(stem + suffix, path=directory).load_config()
                except ConfigFileNotFound:
                    continue
                if SECTION in loaded:
                    merged.merge(Config({SECTION: loaded[SECTION]}))
    return merged


def encode_pane_settings(values: dict[str, Any]) -> str:
    """``values`` as JSON for ``JUPYTER_CLAUDE_SETTINGS``, or ``@file`` when too long for one
    tmux command."""
    text = json.dumps(values, separators=(",", ":"))
    if len(text.encode()) <= INLINE_SETTINGS_LIMIT:
        return text
    path = state_dir() / "pane-settings" / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return "@" + str(path)


def apply_pane_settings(target: HasTraits, environ: Mapping[str, str] | None = None) -> None:
    """Set ``target``'s traits from ``JUPYTER_CLAUDE_SETTINGS`` (what the starting manager used)."""
    raw = (os.environ if environ is None else environ).get(SETTINGS_VARIABLE)
    if not raw:
        return
    try:
        if raw.startswith("@"):
            raw = Path(raw[1:]).read_text(encoding="utf-8")
        values = json.loads(raw)
    except OSError as error:
        raise InvalidSetting(f"{SETTINGS_VARIABLE} names a file that cannot be read: {error}") from error
    except ValueError as error:
        raise InvalidSetting(f"{SETTINGS_VARIABLE} is not valid JSON: {error}") from error
    if not isinstance(values, dict):
        raise InvalidSetting(f"{SETTINGS_VARIABLE} must be a JSON object")
    for name, value in values.items():
        if target.has_trait(name):
            setattr(target, name, value)


def split_settings(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate ``--Class.name=value`` settings from a command line's own arguments."""
    settings: list[str] = []
    rest: list[str] = []
    for argument in argv:
        name = argument[2:].split("=", 1)[0]
        if argument.startswith("--") and "." in name and name[:1].isupper():
            settings.append(argument)
        else:
            rest.append(argument)
    return settings, rest
