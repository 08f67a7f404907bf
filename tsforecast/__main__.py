"""``python -m tsforecast``: the same as the ``tsforecast`` command."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
