"""The Flask application factory: the webhook, the health check, and no traces for users."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, jsonify
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from bot.i18n import _
from bot.runtime import Runtime

log = logging.getLogger(__name__)

RUNTIME = "fundbot"
MESSENGER = "fundbot.messenger"


def create_app(runtime: Runtime | None = None, test_config: dict | None = None) -> Flask:
    """A new app serving `runtime` (default: built from the environment)."""
    from bot.line.messenger import build_messenger

    runtime = runtime or Runtime.from_env()
    instance = Path(runtime.settings.instance_path).resolve()
    app = Flask(__name__, instance_path=str(instance))
    app.config.from_mapping(
        SECRET_KEY=runtime.settings.secret_key,
        # LINE's webhook bodies are small; anything far larger is not LINE.
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions[RUNTIME] = runtime
    app.extensions[MESSENGER] = build_messenger(runtime)
    _register_blueprints(app, runtime)
    _register_error_handlers(app)
    app.add_url_rule("/healthz", "healthz", _healthz)
    return app


def _register_blueprints(app: Flask, runtime: Runtime) -> None:
    from bot import dashboard
    from bot.qr_image import bp as qr_image
    from bot.webhook import bp as webhook

    app.register_blueprint(webhook)
    app.register_blueprint(qr_image)
    dashboard.init_app(app)
    if not runtime.settings.line_configured:
        # The simulator lets anyone act as anyone: it exists only while LINE is not set up.
        # It answers only to this machine, and only to staff logged in to the dashboard.
        from bot import simulator

        simulator.init_app(app, login_check=dashboard.simulator_login_check)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.name, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return jsonify(error=_("Sorry, something went wrong. Please try again later.")), 500


def _healthz():
    """200 when the database answers, 503 when it does not."""
    from flask import current_app

    runtime: Runtime = current_app.extensions[RUNTIME]
    try:
        with runtime.db.engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception:  # noqa: BLE001 - any failure means unreachable
        log.warning("health check: database unreachable", exc_info=True)
        return jsonify(database="unreachable"), 503
    return jsonify(database="ok"), 200
