"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py bot.wsgi:app`.

Every value can be overridden from the environment (GUNICORN_*), so a service unit or a
container sets them without editing this file.
"""

import multiprocessing
import os

# Behind a reverse proxy that terminates HTTPS; set GUNICORN_BIND=0.0.0.0:8000 to expose it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


# Stored webhook events are handled by processes of their own, started and watched by the
# master (FUNDBOT_HANDLER_PROCESSES; 0 handles them on a thread inside each worker instead).
# A handler thread inside a worker fought its request threads for the interpreter lock:
# bench/webhook_bench.py on 2 cores, PostgreSQL 421-431 events/s with a thread in each of 3
# workers, 450-470 with 2 handler processes beside 2 workers (server CPU per event 3.0 -> 2.7
# ms); SQLite 436-474 -> 517-521 with one. SQLite has one writer: a second handler process
# (or thread) only waits for it.
def _default_handler_processes() -> int:
    database = os.environ.get("DATABASE_URL", "")
    if not database or database.startswith("sqlite"):
        return 1
    return multiprocessing.cpu_count()


handler_processes = int(os.environ.get("FUNDBOT_HANDLER_PROCESSES") or _default_handler_processes())


def _default_workers() -> int:
    """One process per core (plus one while they also handle events)."""
    # Measured with bench/webhook_bench.py on 2 cores: with handler processes, 2 workers
    # answered as many webhooks as 3 at less CPU; with handling inside the workers, 3 beat 2
    # and 5 on both engines.
    cores = multiprocessing.cpu_count()
    return cores if handler_processes > 0 else cores + 1


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


# With handlers in workers: one thread each. Handling is CPU work that a second thread of
# the same process only contends for (six runs in pairs: each engine faster with one).
HANDLER_THREADS_PER_WORKER = 1


def when_ready(server):
    """Start the handler processes once the master is up."""
    if handler_processes > 0:
        from bot.handler_process import Supervisor

        server.fundbot_handlers = Supervisor(handler_processes).start()


def on_exit(server):
    """Stop the handler processes with the server (each finishes its batch first)."""
    handlers = getattr(server, "fundbot_handlers", None)
    if handlers is not None:
        handlers.stop()


def post_worker_init(worker):
    """Connect the worker's webhook to the handling: it wakes a handler process when it
    stored events (or, without handler processes, starts the worker's own handler thread:
    FUNDBOT_HANDLER_THREADS, default 1 here). Never on the threads that answer LINE."""
    app = worker.wsgi
    if "fundbot" not in getattr(app, "extensions", {}):
        return
    if handler_processes > 0:
        from bot.handler_wakeup import Waker, wakeup_folder
        from bot.webhook import POOL

        runtime = app.extensions["fundbot"]
        app.extensions[POOL] = Waker(wakeup_folder(runtime.settings.instance_path))
        return
    from bot.handler_pool import start_pool

    threads = os.environ.get("FUNDBOT_HANDLER_THREADS") or HANDLER_THREADS_PER_WORKER
    start_pool(app, int(threads))
