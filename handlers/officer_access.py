"""Who may use the officer commands, where, on which debtors, and the officers' buttons.

- Only linked staff (a Staff row with this LINE user id, active) use officer commands; anyone
  else is told politely that they are for officers.
- In a 1:1 chat, or in a registered working-team group (where the team may read details).
  Refused in any other group: a debtor reminder group never sees a name or an amount.
- An officer acts only on debtors inside their areas (a district head's area is their
  district, an admin's the province), so every query takes `scope(ctx)`.
- Buttons are postbacks `officer=<command>&..`; a postback LINE delivers twice is stored
  once (bot/inbound.py), and a second tap finds the work already done and says so.

Finding the debtor a command names, and the pick and yes/no that may follow, are in
handlers/officer_debtor.py.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select

from bot.i18n import _
from bot.line import messages as line_messages
from handlers.context import ChatContext, normalize_text
from handlers.router import When, _original_args
from models.identity import GROUP_TEAM, LineGroup
from models.staff_login import scope_of

POSTBACK_KEY = "officer"


# ------------------------------------------------------------------ who and where


def allowed(ctx: ChatContext) -> bool:
    """True when the sender may use officer commands here; otherwise the refusal is replied."""
    if ctx.staff is None:
        ctx.reply(refusal(ctx))
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


def refusal(ctx: ChatContext) -> str:
    """What someone who is not an officer is told."""
    if ctx.borrower is not None:
        return _("Sorry, this command is for officers of the funds only")
    return _(
        "Sorry, this command is for officers of the funds only. Officers: first "
        "send me your registration code in a private chat."
    )


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
    """The area paths the officer acts in: every debtor query is limited to them."""
    if ctx.staff is None:
        return []
    return scope_of(ctx.staff, ctx.runtime.settings.province)


def in_scope(path: str, paths: list[str]) -> bool:
    """True when the area `path` lies inside one of `paths`."""
    return any(path == p or path.startswith(p + "/") for p in paths)


def officer_command(action: Callable[[ChatContext], None]) -> Callable[[ChatContext], None]:
    """`action`, run only for a linked officer in a place officer commands may answer."""

    def guarded(ctx: ChatContext) -> None:
        if allowed(ctx):
            action(ctx)

    guarded.__name__ = getattr(action, "__name__", "officer_command")
    return guarded


class OfficerCommand:
    """A text command of the officers: Thai words first, English aliases after, a leading
    `/` optional, guarded by `allowed`. `staff_only` words are left to others' commands when
    the sender is not staff (`paid`, `help` and `ยกเลิก` are debtors' too)."""

    def __init__(
        self,
        words: tuple[str, ...],
        action: Callable[[ChatContext], None],
        *,
        staff_only: tuple[str, ...] = (),
    ) -> None:
        self.words = sorted({normalize_text(w) for w in words}, key=len, reverse=True)
        self.staff_only = {normalize_text(w) for w in staff_only}
        self.action = action

    def matches(self, ctx: ChatContext) -> bool:
        text = ctx.text.removeprefix("/").strip()
        for word in self.words:
            if word in self.staff_only and ctx.staff is None:
                continue
            if text == word:
                ctx.args = ""
                return True
            rest = text[len(word) :] if text.startswith(word) else None
            if rest is not None and (rest.startswith(" ") or not word[-1].isascii()):
                ctx.args = _original_args(ctx.raw_text, rest)
                return True
        return False

    def handle(self, ctx: ChatContext) -> None:
        if allowed(ctx):
            self.action(ctx)

    def __repr__(self) -> str:
        return f"<OfficerCommand {self.words[0]!r}>"


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


def is_postback_of(command: str) -> Callable[[ChatContext], bool]:
    """A predicate: this event is a tap on a button of `command`."""
    return lambda ctx: postback(ctx).get(POSTBACK_KEY) == command


def on_postback(command: str, action: Callable[[ChatContext], None]) -> When:
    """A postback route for the buttons of `command`, guarded like the commands."""
    return When(is_postback_of(command), officer_command(action))


def int_field(ctx: ChatContext, key: str) -> int | None:
    """A whole-number field of the postback, None when missing or malformed."""
    value = postback(ctx).get(key, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def button(label: str, data: str, display: str | None = None) -> dict:
    """A postback action (for a quick reply or a Flex button)."""
    return line_messages.postback_action(label, data, display)
