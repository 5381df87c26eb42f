"""The dashboard's blueprint, and what runs around each of its requests."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

from flask import Blueprint, current_app, g, make_response, render_template, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from bot.i18n import LOCALES, _, format_date, format_money, normalize, use_locale

log = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/staff")
csrf = CSRFProtect()
login_manager = LoginManager()
LANG_COOKIE = "fundbot_staff_lang"
LANGUAGES = (("th", "ไทย"), ("en", "English"))
# The only endpoints reachable without logging in.
PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.static"})


def page_language() -> str:
    """?lang=, else the language chosen before, else FUNDBOT_LOCALE (Thai by default)."""
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen and normalize(chosen) == chosen.lower():
        return chosen.lower()
    return current_app.extensions["fundbot"].settings.locale


@bp.before_request
def _require_login_and_language():
    language: AbstractContextManager = use_locale(page_language())
    language.__enter__()
    g.dashboard_language = language
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    csrf.protect()  # every POST of the dashboard carries the form's token
    return None


@bp.teardown_request
def _end_language(_exc):
    language = g.pop("dashboard_language", None)
    if language is not None:
        language.__exit__(None, None, None)


@bp.after_request
def _headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Pages and files carry debtors' data: no shared or browser cache keeps them.
    response.headers.setdefault("Cache-Control", "no-store")
    if request.args.get("lang") in LOCALES:
        response.set_cookie(
            LANG_COOKIE, request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


@bp.app_template_global("_")
def _translate(message: str, **values) -> str:
    return _(message, **values)


bp.add_app_template_filter(format_money, "money")
bp.add_app_template_filter(format_date, "thai_date")


@bp.app_template_global("languages")
def _languages():
    return [(code, label) for code, label in LANGUAGES if code in LOCALES]


def render_page(template: str, status: int = 200, **context):
    """A dashboard page in the request's language."""
    from bot.i18n import current_locale

    return make_response(render_template(template, lang=current_locale(), **context), status)


@bp.errorhandler(CSRFError)
def _csrf_failed(_exc):
    message = _("The form had expired or was not sent from this site. Please try again.")
    return render_page("dashboard/error.html", 400, message=message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    messages = {
        404: _("There is no such page, or it lies outside your areas."),
        405: _("That cannot be done on this page."),
    }
    message = messages.get(
        exc.code or 500, _("Sorry, something went wrong. Please try again later.")
    )
    return render_page("dashboard/error.html", exc.code or 500, message=message)


@bp.errorhandler(Exception)
def _unexpected(_exc: Exception):
    log.exception("dashboard: unhandled error")
    message = _("Sorry, something went wrong. Please try again later.")
    return render_page("dashboard/error.html", 500, message=message)
