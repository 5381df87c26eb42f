"""Texts several handlers send: how to link, the command list, names of roles and funds."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import _, format_date
from bot.line import messages as line_messages
from handlers.context import ChatContext
from models.area import village_label
from models.fund import Fund
from models.types import FundKind, Role

# Villagers read these in a group's welcome and the help: the funds' Thai names, never the
# codes (womens_fund and kkcj are still accepted: models.fund.fund_kind_from_text).
FUND_CHOICE = "[กองทุนพัฒนาบทบาทสตรี|กองทุน กข.คจ.]"


def how_to_link() -> str:
    """What an unlinked user must do before asking about their loan."""
    return _(
        "Your LINE account is not linked to a loan yet. Ask your community development "
        "officer for a 6-character code, then send it here, for example: ลงทะเบียน ABC234"
    )


def not_for_staff() -> str:
    """The answer to a debtor command from someone linked only as staff."""
    return _("This command is for debtors; your LINE account is registered as staff.")


def role_label(role: Role | str) -> str:
    """A staff role in words."""
    labels = {
        Role.FIELD_OFFICER: _("field officer"),
        Role.FUND_STAFF: _("fund staff"),
        Role.DISTRICT_HEAD: _("district head"),
        Role.ADMIN: _("administrator"),
    }
    return labels.get(Role(role), str(role))


def fund_label(kind: FundKind | str | None) -> str:
    """A fund kind in words (None: every fund): กองทุนพัฒนาบทบาทสตรี, กองทุน กข.คจ."""
    if kind is None:
        return _("all funds")
    if FundKind(kind) is FundKind.WOMENS_FUND:
        return _("Women's Development Fund")
    return _("KKCJ fund")


def fund_display_name(fund: Fund) -> str:
    """The one name debtors read for a fund: the Women's Fund, or the KKCJ fund of a village."""
    if fund.kind is FundKind.WOMENS_FUND:
        return _("Women's Development Fund")
    area = fund.area
    village = village_label(area.village_no, area.name)
    if village != area.name:
        village = f"{village} {area.name}"
    return _("KKCJ fund of %(village)s", village=village)


def local_time(ctx: ChatContext, moment: datetime) -> str:
    """A moment as people read it: "15 มี.ค. 2569 14:05" in the fund's time zone."""
    local = moment.astimezone(ctx.runtime.settings.timezone)
    return f"{format_date(local.date())} {local:%H:%M}"


def help_message(ctx: ChatContext) -> dict:
    """The commands this user can use here, with quick replies for the common ones."""
    if ctx.in_group:
        return line_messages.text(_group_help())
    lines = [_("What you can send me:")]
    if ctx.borrower is not None:
        lines += [
            _("ยอด (balance): your balance, overdue amount and next installment"),
            _("งวดถัดไป (next): your next installment"),
            _("ชำระเงิน (pay): how to pay, with a QR code for the amount due"),
            _("แจ้งโอน (paid): report a transfer and send the slip photo"),
            _("ติดต่อพัฒนากร (officer): your officer's name and phone number"),
            _("ยกเลิกการเชื่อมต่อ (unlink): unlink your LINE account"),
        ]
    elif ctx.staff is None:
        lines.append(_("ลงทะเบียน CODE: link your LINE account with the code from your officer"))
    if ctx.staff is not None:
        lines.append(
            _("ผูกกลุ่ม AREA %(funds)s (in a group): register a reminder group", funds=FUND_CHOICE)
        )
        lines.append(_("ผูกกลุ่มทีม AREA (in a group): register a working-team group"))
    lines += [
        _("ภาษา อังกฤษ / language thai: change the language"),
        _("ช่วยเหลือ (help): this list"),
    ]
    quick = [
        (_("Balance"), "ยอด"),
        (_("Next installment"), "งวดถัดไป"),
        (_("Report a transfer"), "แจ้งโอน"),
    ]
    return line_messages.text("\n".join(lines), quick_replies=quick if ctx.borrower else None)


def _group_help() -> str:
    return "\n".join(
        [
            _("In this group:"),
            _("ยอด: I send your own balance to you in a private chat (never here)"),
            _(
                "Officers: ผูกกลุ่ม AREA %(funds)s registers this group for reminders",
                funds=FUND_CHOICE,
            ),
            _("Officers: ผูกกลุ่มทีม AREA registers this group as a working team"),
        ]
    )
