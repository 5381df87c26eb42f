"""`python -m bot.cli`: the same as the `fundbot` command (the demo starts its scheduler so)."""

import sys

from bot.cli import main

sys.exit(main())
