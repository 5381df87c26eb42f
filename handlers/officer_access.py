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
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import _, use_locale
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.router import When
from models.borrower import Borrower
from models.contact_rules import next_contact_time
from models.contract import contract_number_key
from models.directory import find_debtors
from models.identity import GROUP_TEAM, LineGroup
from models.reminders import PURPOSE_NOTICE
from models.thai_text import name_key

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


@dataclass(frozen=True)
class Lookup:
    """Debtors found for what an officer typed: candidates best first, and whether one is
    exactly what was typed (a contract number, or the whole name)."""

    borrowers: list[Borrower]
    exact: bool


def find_debtor(session: Session, area_scope: list[str] | None, text: str) -> Lookup:
    """The debtor finder until models.debtor_lookup.find_debtor (issue 9) lands.

    At merge time this becomes `from models.debtor_lookup import find_debtor`.
    """
    page = find_debtors(session, area_scope, text, limit=MAX_CANDIDATES)
    key = contract_number_key(text)
    try:
        wanted = name_key(text)
    except ValueError:
        wanted = None
    exact = [
        b
        for b in page.borrowers
        if b.name_key == wanted
        or any(contract_number_key(n) == key for n in page.contract_numbers.get(b.id, []))
    ]
    if len(exact) == 1:
        rest = [b for b in page.borrowers if b is not exact[0]]
        return Lookup([exact[0], *rest], True)
    return Lookup(page.borrowers, page.total == 1)


def debtor_label(borrower: Borrower) -> str:
    """A debtor as officers read them: title and name, and the village."""
    return f"{borrower.display_name} ({borrower.area.path})"


# ------------------------------------------------------------------ telling the debtor


def notify_debtor(ctx: ChatContext, borrower: Borrower, words: Callable[[], str], key: str) -> bool:
    """Queue a 1:1 push to a linked debtor, in their language, within the contact hours.

    Returns False when the debtor cannot be reached on LINE (not linked, or blocked the bot).
    """
    if not borrower.line_user_id or not borrower.line_reachable:
        return False
    with use_locale(borrower.locale):
        message = line_messages.text(words())
    row = ctx.messenger.queue_push(ctx.session, borrower.line_user_id, [message], dedupe_key=key)
    if row is not None and row.purpose is None:
        row.purpose = PURPOSE_NOTICE
        zone = ctx.runtime.settings.timezone
        row.next_attempt_at = max(row.next_attempt_at, _earliest(ctx.now, zone))
        ctx.queued += 1
    return True


def _earliest(now: datetime, zone) -> datetime:
    return next_contact_time(now, zone)
