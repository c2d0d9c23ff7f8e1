"""``python -m jupyter_claude``: the same command line as ``jupyter claude``."""

import sys

from .cli import main

sys.exit(main())
