"""Where settings come from outside a Jupyter server: the user's Jupyter config files.

Inside ``jupyter server`` / ``jupyter lab`` the server's own config (files and ``--ClaudeSessions.x=``
on its command line) reaches :class:`~jupyter_claude.sessions.ClaudeSessions` through its parent.
A kernel or the CLI builds the manager on its own, so this module reads the same files the server
reads: ``jupyter_claude_config`` and ``jupyter_server_config`` (``.json`` and ``.py``) in every Jupyter
config directory and the current directory, lowest priority first.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, JSONFileConfigLoader, PyFileConfigLoader

CONFIG_FILE_STEMS = ("jupyter_server_config", "jupyter_claude_config")

#: The only section taken from those files: a kernel must not pick up unrelated server settings.
SECTION = "ClaudeSessions"


def default_log_dir() -> str:
    """``$XDG_CACHE_HOME/jupyter-claude/logs``, else ``~/.cache/jupyter-claude/logs``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache) / "jupyter-claude" / "logs")


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
