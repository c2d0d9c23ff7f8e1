"""The ``jupyter claude`` command line: :func:`main` (see :mod:`.main`)."""

from .main import main

__all__ = ["main"]
