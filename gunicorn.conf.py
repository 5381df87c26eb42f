"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py bot.wsgi:app`.

Every value can be overridden from the environment (GUNICORN_*), so a service unit or a
container sets them without editing this file.
"""

import multiprocessing
import os

# Behind a reverse proxy that terminates HTTPS; set GUNICORN_BIND=0.0.0.0:8000 to expose it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


def _default_workers() -> int:
    """One process per core, plus one to work while another waits on the database."""
    # Measured with bench/webhook_bench.py on 2 cores: 3 workers beat 2 and 5 on SQLite (its
    # single writer lock makes extra processes queue) and on PostgreSQL alike.
    return multiprocessing.cpu_count() + 1


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


# Handler threads per worker. Every worker handles, and handling is CPU work that a second
# thread of the same process only contends for (the GIL): bench/webhook_bench.py, six runs in
# pairs on 2 cores, each engine faster with one (SQLite 168-234 against 158-213 events/s,
# PostgreSQL 218-272 against 181-245), at less CPU per event. A lone process (`fundbot
# serve`) keeps the pool's own default of two, so one slow reply does not stop its handling.
HANDLER_THREADS_PER_WORKER = 1


def post_worker_init(worker):
    """Start the worker's handler pool: stored webhook events are handled on its own bounded
    threads (FUNDBOT_HANDLER_THREADS, default 1 here), never on the threads that answer LINE."""
    app = worker.wsgi
    if "fundbot" in getattr(app, "extensions", {}):
        from bot.handler_pool import start_pool

        threads = os.environ.get("FUNDBOT_HANDLER_THREADS") or HANDLER_THREADS_PER_WORKER
        start_pool(app, int(threads))
