"""`ช่วยเหลือ [คำสั่ง]` / `help` for officers: each command's usage with an example."""

from __future__ import annotations

from bot.i18n import _
from bot.line import messages as line_messages
from handlers.context import ChatContext, normalize_text
from handlers.officer_access import OfficerCommand

WORDS = ("ช่วยเหลือ", "help", "วิธีใช้")


def register(router) -> None:
    """Add the officers' help (before the general one)."""
    router.add("message.text", OfficerCommand(WORDS, show, staff_only=WORDS))


def commands() -> list[tuple[tuple[str, ...], str, str]]:
    """(words, usage, example) per command."""
    return [
        (
            ("รับชำระ", "paid"),
            _("รับชำระ <debtor> <amount> [date]: cash collected"),
            "รับชำระ สมศรี ใจดี 1,500",
        ),
        (
            ("เยี่ยม", "visit"),
            _("เยี่ยม <debtor> <what happened>: a visit; then send the location and photos"),
            "เยี่ยม สมศรี ใจดี ไม่อยู่บ้าน",
        ),
        (
            ("นัดชำระ", "promise"),
            _("นัดชำระ <debtor> <date> <amount>: a promise to pay"),
            "นัดชำระ สมศรี ใจดี 30/3/69 2,000",
        ),
        (
            ("บันทึก", "note"),
            _("บันทึก <debtor> <text>: a note"),
            "บันทึก สมศรี ใจดี ย้ายไปอยู่กับลูกสาว",
        ),
        (("สถานะ", "status"), _("สถานะ <debtor>: the debtor at a glance"), "สถานะ W-001"),
        (("ยกเลิก", "undo"), _("ยกเลิก: reverse your last entry (within 24 hours)"), "ยกเลิก"),
        (
            ("ค้างชำระ", "overdue"),
            _("ค้างชำระ [area]: debtors in arrears, worst first, as cards (10 a page)"),
            "ค้างชำระ",
        ),
        (
            ("งานวันนี้", "tasks"),
            _("งานวันนี้: today's visit list, a card per visit to mark it made"),
            "งานวันนี้",
        ),
        (("สรุป", "summary"), _("สรุป [month]: my areas this month"), "สรุป มี.ค."),
        (("รหัส", "code"), _("รหัส <debtor>: a LINE link code (private chat only)"), "รหัส W-001"),
        (
            ("ตรวจสลิป", "slips"),
            _("ตรวจสลิป: transfer slips waiting, approve or reject on each card"),
            "ตรวจสลิป",
        ),
        (
            ("ขอผ่อนผัน", "hardship"),
            _("ขอผ่อนผัน <debtor> <reason>: ask staff for relief"),
            "ขอผ่อนผัน สมศรี ใจดี น้ำท่วมนา",
        ),
        (
            ("ผ่อนผัน", "relief"),
            _("ผ่อนผัน: decide hardship requests (fund staff and district heads)"),
            "ผ่อนผัน",
        ),
    ]


def show(ctx: ChatContext) -> None:
    wanted = normalize_text(ctx.args).removeprefix("/")
    chosen = [c for c in commands() if wanted and wanted in c[0]]
    lines = [] if chosen else [_("Officer commands (a debtor is a name, phone or contract):")]
    if not chosen:
        lines.append(_("Several debtors fit: pick one from the buttons, in a team group too"))
    for _words, line, example in chosen or commands():
        lines.append(_("%(usage)s\n  e.g. %(example)s", usage=line, example=example))
    ctx.reply(
        line_messages.text(
            "\n".join(lines),
            quick_replies=[(_("Status"), "สถานะ "), (_("Help: payment"), "ช่วยเหลือ รับชำระ")],
        )
    )
