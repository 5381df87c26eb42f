"""The staff dashboard at /staff: log in, see the zone's figures, who paid, one debtor.

Every route but the login page and the language switch needs a logged-in member of staff,
and every query is scoped to their areas (the whole province for an admin).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from bot.dashboard.auth import simulator_login_check
from bot.dashboard.blueprint import bp, csrf, login_manager

__all__ = ["init_app", "simulator_login_check"]


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, marked Secure whenever the request came over HTTPS."""

    def open_session(self, app: Flask, request):
        # A request without our cookie (every webhook from LINE) gets an empty session
        # without building the cookie signer first.
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        forced = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return forced or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    """Set up logins, sessions and CSRF protection, and serve the dashboard from `app`."""
    from bot.dashboard import (  # noqa: F401 - routes register on bp
        auth,
        debtor_actions,
        exports,
        funds,
        officers,
        outbox,
        slips,
        views,
        visit_photos,
    )

    # Flask's defaults exist already (no SameSite, 31 days): these replace them.
    app.config.update(
        SESSION_COOKIE_NAME="fundbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    # The webhook and the simulator's JSON API have no forms: only the dashboard checks
    # CSRF tokens (its blueprint calls csrf.protect before each request).
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.session_interface = _SessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "dashboard.login"
    login_manager.login_message = None
    login_manager.user_loader(auth.load_user)
    app.register_blueprint(bp)
