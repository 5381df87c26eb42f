"""The production entry point: `gunicorn -c gunicorn.conf.py bot.wsgi:app`.

Each gunicorn worker imports this module after the fork and builds its own app (and its
own database pool) from the environment. No scheduler job starts here: the scheduler runs
as its own process.
"""

from __future__ import annotations

from bot.app import create_app
from bot.config import ConfigError
from bot.i18n import _
from bot.runtime import Runtime


def build_app():
    """The app for a production server; refuses to expose the chat simulator."""
    runtime = Runtime.from_env()
    if not runtime.settings.line_configured:
        # The simulator lets anyone act as any debtor: it never runs behind gunicorn.
        raise ConfigError(
            _(
                "LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN must be set for a "
                "production server; without them use `fundbot serve` (the chat simulator, "
                "on localhost)."
            )
        )
    # The handler pool is started by gunicorn.conf.py (post_worker_init), in each worker.
    return create_app(runtime)


app = build_app()
