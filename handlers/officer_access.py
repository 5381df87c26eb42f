"""What every officer command shares: who may use it, where, on which debtors, and postbacks.

- Only linked staff (a Staff row with this LINE user id, active) use officer commands; anyone
  else is told politely that they are for officers.
- In a 1:1 chat, or in a registered working-team group (where the team may read details).
  Refused in any other group: a debtor reminder group never sees a name or an amount.
- An officer acts only on debtors inside their areas (Staff.areas; a district head's area
  is their district), so every query takes `scope(ctx)`.
- Buttons are postbacks `officer=<command>&..`; a postback LINE delivers twice is stored
  once (bot/inbound.py), and a second tap finds the work already done and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select

from bot.i18n import _
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.router import When
from models.borrower import Borrower
from models.debtor_lookup import Lookup, find_debtor  # noqa: F401 - the officers' finder
from models.identity import GROUP_TEAM, LineGroup

POSTBACK_KEY = "officer"
MAX_CANDIDATES = 13


# ------------------------------------------------------------------ who and where


def allowed(ctx: ChatContext) -> bool:
    """True when the sender may use officer commands here; otherwise the refusal is replied."""
    if ctx.staff is None:
        if ctx.borrower is not None:
            ctx.reply(_("Sorry, this command is for officers of the funds only"))
        else:
            ctx.reply(
                _(
                    "Sorry, this command is for officers of the funds only. Officers: first "
                    "send me your registration code in a private chat."
                )
            )
        return False
    if ctx.in_group and not in_team_group(ctx):
        ctx.reply(
            _(
                "Officer commands work in a private chat with me or in a working-team group; "
                "nothing about debtors is shown in this group."
            )
        )
        return False
    return True


def in_team_group(ctx: ChatContext) -> bool:
    """True in a registered, active working-team group."""
    if "team_group" not in ctx.memo:
        group = (
            ctx.session.scalar(select(LineGroup).where(LineGroup.group_id == ctx.chat_id))
            if ctx.chat_id
            else None
        )
        ctx.memo["team_group"] = bool(group and group.active and group.kind == GROUP_TEAM)
    return ctx.memo["team_group"]


def scope(ctx: ChatContext) -> list[str]:
    """The officer's area paths: every debtor query is limited to them."""
    return ctx.staff.area_paths if ctx.staff is not None else []


def officer_command(action: Callable[[ChatContext], None]) -> Callable[[ChatContext], None]:
    """`action`, run only for a linked officer in a place officer commands may answer."""

    def guarded(ctx: ChatContext) -> None:
        if allowed(ctx):
            action(ctx)

    guarded.__name__ = getattr(action, "__name__", "officer_command")
    return guarded


# ------------------------------------------------------------------ postbacks


def postback_data(command: str, **values: object) -> str:
    """The data of an officer button: `officer=<command>&key=value..`."""
    return urlencode({POSTBACK_KEY: command, **{k: str(v) for k, v in values.items()}})


def postback(ctx: ChatContext) -> dict[str, str]:
    """The fields of this postback's data (empty for anything else)."""
    if ctx.kind != "postback":
        return {}
    data = (ctx.event.get("postback") or {}).get("data")
    if not isinstance(data, str):
        return {}
    return dict(parse_qsl(data, keep_blank_values=True))


def on_postback(command: str, action: Callable[[ChatContext], None]) -> When:
    """A postback route for the buttons of `command`, guarded like the commands."""
    return When(lambda ctx: postback(ctx).get(POSTBACK_KEY) == command, officer_command(action))


def int_field(ctx: ChatContext, key: str) -> int | None:
    """A whole-number field of the postback, None when missing or malformed."""
    value = postback(ctx).get(key, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def button(label: str, data: str, display: str | None = None) -> dict:
    """A postback quick-reply action."""
    return line_messages.postback_action(label, data, display)


# ------------------------------------------------------------------ finding a debtor


def debtor_label(borrower: Borrower) -> str:
    """A debtor as officers read them: title and name, and the village."""
    return f"{borrower.display_name} ({borrower.area.path})"


# ------------------------------------------------------------------ telling the debtor


def reachable(borrower: Borrower) -> bool:
    """True when the debtor can be told on LINE (linked, and has not blocked the bot)."""
    return bool(borrower.line_user_id and borrower.line_reachable)
