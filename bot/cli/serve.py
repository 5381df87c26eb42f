"""`fundbot serve`: the web app (webhook, or the chat simulator) under a real WSGI server.

Development and small sites run it this way; production runs gunicorn with
gunicorn.conf.py and bot.wsgi:app (see the README). Neither starts scheduler jobs: the
scheduler is its own process.
"""

from __future__ import annotations

import errno
import socket

import click
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.cli import pass_runtime, runtime_of
from bot.errors import UserError
from bot.i18n import _
from bot.runtime import Runtime
from bot.simulator.access import is_loopback_address
from models import migrate

DEFAULT_PORT = 5000
LOCALHOST = "127.0.0.1"
PUBLIC = "0.0.0.0"  # noqa: S104 - with LINE credentials the webhook must be reachable


def serve(
    runtime: Runtime,
    host: str | None,
    port: int,
    workers: int = 1,
    listener: socket.socket | None = None,
) -> None:
    """Check the address and the schema, say what is served where, then serve."""
    host = host or default_host(runtime)
    listener = listener or open_listener(runtime, host, port)
    try:
        ensure_schema(runtime)
        for line in startup_lines(runtime, host, port):
            click.echo(line)
    except BaseException:
        listener.close()
        raise
    # Workers open their own connections; none may be shared across the fork.
    runtime.db.dispose()
    _Server(runtime, listener, workers).run()


def default_host(runtime: Runtime) -> str:
    """All interfaces for the webhook; this machine only for the simulator."""
    return PUBLIC if runtime.settings.line_configured else LOCALHOST


def open_listener(runtime: Runtime, host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is printed: a taken port is one clear line.

    gunicorn is handed this very socket (fd://), so nothing can take the port in between.
    """
    if not runtime.settings.line_configured and not is_loopback_bind(host):
        raise UserError(
            _(
                "Without LINE credentials fundbot serves the chat simulator, which lets anyone "
                "act as any debtor, so it listens only on this computer (127.0.0.1, localhost "
                "or ::1), not on %(host)s.",
                host=host,
            )
        )
    try:
        return _bound(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                _(
                    "Port %(port)d is already in use on %(host)s: stop the program using it, "
                    "or choose another port with --port, for example --port %(other)d.",
                    port=port,
                    host=host,
                    other=_free_port_near(host, port),
                )
            ) from None
        raise UserError(
            _(
                "Cannot listen on %(host)s port %(port)d (%(reason)s): choose another address "
                "with --host or another port with --port.",
                host=host,
                port=port,
                reason=exc.strerror or exc,
            )
        ) from None


def is_loopback_bind(host: str) -> bool:
    """True for an address only this machine can reach: localhost, 127.x.x.x, ::1."""
    bare = host.strip("[]")
    return bare.lower() == "localhost" or is_loopback_address(bare)


def _bound(host: str, port: int) -> socket.socket:
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As gunicorn does: a port left in TIME_WAIT by the last run is free to reuse.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bare, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _free_port_near(host: str, port: int) -> int:
    for candidate in range(port + 1, min(port + 20, 65535) + 1):
        try:
            _bound(host, candidate).close()
        except OSError:
            continue
        return candidate
    return port + 1


def ensure_schema(runtime: Runtime) -> None:
    """Create the schema in an empty database; refuse to serve an outdated one."""
    engine = runtime.db.engine
    head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
    current = migrate.current(engine)
    if current == head:
        return
    if current is None and not inspect(engine).get_table_names():
        # A fresh database (the first run of a demo): creating it loses nothing.
        click.echo(_("The database is empty: creating its tables."))
        migrate.upgrade(engine)
        return
    # Upgrading a live database is a deliberate step, taken after a backup.
    raise UserError(
        _(
            "The database schema is at revision %(current)s, not %(head)s: "
            "run `fundbot db upgrade` first.",
            current=current or "-",
            head=head,
        )
    )


def startup_lines(runtime: Runtime, host: str, port: int) -> list[str]:
    """What the operator is told before the server starts."""
    shown = LOCALHOST if host in (PUBLIC, "::", "") else host
    base = f"http://{shown}:{port}"
    if runtime.settings.line_configured:
        return [
            _("LINE webhook: POST %(url)s/callback (listening on %(host)s)", url=base, host=host),
            _(
                "Set the webhook URL in the LINE console to this server's public HTTPS address "
                "followed by /callback."
            ),
        ]
    return [_("No LINE credentials: the chat simulator is at %(url)s/simulator", url=base)]


class _Server:
    """gunicorn, driven from code: gthread workers that each build their own app."""

    def __init__(self, runtime: Runtime, listener: socket.socket, workers: int) -> None:
        from gunicorn.app.base import BaseApplication

        # gunicorn takes the socket over and closes this descriptor itself.
        fd = listener.detach()

        class Application(BaseApplication):
            def load_config(self) -> None:
                options = {
                    "bind": f"fd://{fd}",
                    "workers": workers,
                    "worker_class": "gthread",
                    "threads": 8,
                    "timeout": 30,
                    "keepalive": 5,
                    "accesslog": "-",
                    "preload_app": False,
                    # gunicorn >= 25 opens a control socket at one fixed path per user;
                    # two servers on one machine would fight over it.
                    "control_socket_disable": True,
                }
                for key, value in options.items():
                    if key in self.cfg.settings:
                        self.cfg.set(key, value)

            def load(self):
                from bot.app import create_app
                from bot.handler_pool import start_pool

                app = create_app(runtime)
                if runtime.settings.line_configured:
                    # Webhook events are handled on this pool, never on the request threads.
                    start_pool(app)
                return app

        self._application = Application()

    def run(self) -> None:
        """Serve until Ctrl-C or SIGTERM."""
        self._application.run()


@click.command("serve")
@click.option(
    "--host",
    default=None,
    help=(
        "Address to listen on (default: 127.0.0.1 without LINE credentials, 0.0.0.0 with "
        "them; without them only a loopback address is allowed)."
    ),
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each with 8 threads).",
)
@pass_runtime
def serve_command(lazy, host: str | None, port: int, workers: int) -> None:
    """Serve the LINE webhook, or the chat simulator when no LINE credentials are set."""
    serve(runtime_of(lazy), host, port, workers)


def register(main: click.Group) -> None:
    """Add `serve` to the command line."""
    main.add_command(serve_command)
