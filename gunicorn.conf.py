"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py bot.wsgi:app`.

Every value can be overridden from the environment (GUNICORN_*), so a service unit or a
container sets them without editing this file.
"""

import multiprocessing
import os
from pathlib import Path

from dotenv import dotenv_values

# Behind a reverse proxy that terminates HTTPS; set GUNICORN_BIND=0.0.0.0:8000 to expose it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


def _default_workers() -> int:
    """2 x cores + 1 on PostgreSQL, one per core (at least 2) on SQLite."""
    # SQLite has one writer lock: extra processes only queue for it, and its busy handler
    # sleeps 1, 2, 5, 10... ms between tries (measured: 5 workers were slower than 2).
    url = os.environ.get("DATABASE_URL") or dotenv_values(Path.cwd() / ".env").get("DATABASE_URL")
    cores = multiprocessing.cpu_count()
    return cores * 2 + 1 if url and url.startswith("postgres") else max(2, cores)


# Requests spend part of their time waiting on the database and on LINE's API: threads
# overlap that wait, processes use every core.
workers = int(os.environ.get("GUNICORN_WORKERS") or _default_workers())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# LINE gives up on a webhook after 2 seconds; nothing legitimate takes 30.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# LINE reuses connections: keep them open a little longer than the default 2 s.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Each worker builds its own app and database pool after the fork; none is shared.
preload_app = False
# Recycle workers now and then, so a slow leak never becomes an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10

# gunicorn >= 25 can open a control socket (for gunicornc) at a path shared by every server
# of the user; it is opt-in here: GUNICORN_CONTROL_SOCKET=/run/fundbot/gunicorn.ctl.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None

accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "fundbot-web"
