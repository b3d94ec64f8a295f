"""Entry point for ``python -m monitors``."""

from __future__ import annotations

import sys

from monitors.cli import main

sys.exit(main())
