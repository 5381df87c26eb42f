"""The chat simulator at /simulator: act as any debtor, officer or group without LINE.

It lets anyone act as anyone, so create_app registers it only while no LINE credentials
are set, `fundbot serve` then refuses any address but loopback, and every request must come
from this machine and name it (bot/simulator/access.py). What a person does on the page
becomes the webhook event LINE would send, handled by the same pipeline as /callback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, make_response, render_template, request

from bot.i18n import LOCALES, _, normalize, use_locale
from bot.simulator import access
from handlers.debtor_menu import debtor_menu

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
bp.before_request(access.guard)
LANG_COOKIE = "fundbot_simulator_lang"
LANGUAGES = (("th", "ไทย"), ("en", "English"))


def init_app(app: Flask, login_check: access.Check | None = None) -> None:
    """Serve the simulator from `app` (only ever called without LINE credentials).

    `login_check` is the seam for the dashboard's login: a callable run on every simulator
    request after the loopback check, returning a response to refuse or None to let it in.
    """
    from bot.simulator import api  # noqa: F401 - registers the JSON routes on bp

    access.install(app, login_check)
    app.register_blueprint(bp)


def page_language() -> str:
    """The page's language: ?lang=, else the one chosen before, else FUNDBOT_LOCALE."""
    from flask import current_app

    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen and normalize(chosen) == chosen.lower():
        return chosen.lower()
    return current_app.extensions["fundbot"].settings.locale


def localized(view: Callable) -> Callable:
    """Run a view with the page's language (the bot's own answers use each user's)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with use_locale(page_language()):
            return view(*args, **kwargs)

    return wrapper


@bp.get("/")
@localized
def page():
    """The simulator page."""
    lang = page_language()
    response = make_response(
        render_template(
            "simulator.html",
            lang=lang,
            languages=[(code, label) for code, label in LANGUAGES if code in LOCALES],
            t=page_text(),
            js_text=script_text(),
            menu=debtor_menu(),
        )
    )
    if request.args.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def page_text() -> dict[str, str]:
    """The strings of the page itself."""
    return {
        "title": _("Chat simulator"),
        "note": _("No LINE account needed: act as a debtor, an officer or a group."),
        "pick": _("Who you are"),
        "debtors": _("Debtors"),
        "officers": _("Officers"),
        "groups": _("Groups"),
        "search": _("Search a name, village or contract no."),
        "chat": _("Chat"),
        "no_chat": _("Nobody picked yet"),
        "placeholder": _("Pick a debtor, an officer or a group on the left to start chatting."),
        "send_image": _("Send a photo (a transfer slip)"),
        "type_here": _("Type a message"),
        "send": _("Send"),
        "menu_help": _("The rich menu debtors see under the chat on LINE: a tap sends its text."),
        "remind_at": _("Reminders as of"),
        "remind": _("Send the reminders"),
        "remind_help": _(
            "Plan and send the reminders as if it were this moment, as `fundbot remind --at` "
            "does; they appear in the chats of linked debtors."
        ),
    }


def script_text() -> dict[str, str]:
    """The strings the page's script shows."""
    return {
        "failed": _("That did not work. Please try again."),
        "new_group": _("+ A new group"),
        "nothing_found": _("Nothing found."),
        "more": _("Show more"),
        "speaking_as": _("speaking as %(name)s"),
        "pick_speaker": _("Pick a debtor or an officer to speak as first."),
        "link_borrower": _("Link this LINE user to the borrower"),
        "link_staff": _("Register this LINE user as the officer"),
        "follow": _("Add the bot as a friend"),
        "unfollow": _("Block the bot"),
        "join": _("Add the bot to this group"),
        "member_joined": _("Join this group"),
        "leave": _("Remove the bot"),
        "no_chat": _("Nobody picked yet"),
        "pushed": _("(pushed)"),
        "empty_chat": _("No messages yet."),
        "photo": _("photo"),
        "sticker": _("(sticker)"),
        "unsupported": _("The simulator cannot do a %(type)s action."),
    }
