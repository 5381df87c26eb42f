"""`สรุป [เดือน]` / `summary`: my areas this month (or the month named).

Collected, arrears now against the 1 October baseline of the fiscal year, and visits made.
"""

from __future__ import annotations

import re
from datetime import date

from bot.i18n import _, format_date, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.officer_access import officer_command, scope
from handlers.router import Command, Router
from models.area_summary import month_summary
from models.thai_text import parse_date

WORDS = ("สรุป", "summary")
# A year typed after the month: "มี.ค. 2569", "3/69", "2026-03".
_YEAR = re.compile(r"^\d{4}-|[\s/.\-](\d{2}|\d{4})$")


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, officer_command(summary), takes_args=True))


def summary(ctx: ChatContext) -> None:
    """The month's figures for all my areas."""
    month = parse_month(ctx.args, ctx.today)
    if month is None:
        ctx.reply(usage())
        return
    figures = month_summary(
        ctx.session, scope(ctx), month, ctx.today, ctx.runtime.settings.timezone
    )
    change = figures.overdue_now - figures.overdue_baseline
    lines = [
        _("Summary of %(month)s for your areas:", month=_month_label(figures.month)),
        _(
            "Collected: %(amount)s (%(count)d payments)",
            amount=format_money(figures.collected),
            count=figures.payments,
        ),
        _(
            "Overdue on %(day)s: %(amount)s on %(count)d contracts",
            day=format_date(figures.as_of),
            amount=format_money(figures.overdue_now),
            count=figures.overdue_contracts_now,
        ),
        _(
            "Overdue on %(day)s (start of the fiscal year): %(amount)s on %(count)d contracts",
            day=format_date(figures.baseline),
            amount=format_money(figures.overdue_baseline),
            count=figures.overdue_contracts_baseline,
        ),
        (
            _("Change since then: %(amount)s more", amount=format_money(change))
            if change > 0
            else _("Change since then: %(amount)s less", amount=format_money(-change))
        ),
        _("Visits made: %(count)d", count=figures.visits),
    ]
    quick = [(_("Overdue list"), "ค้างชำระ"), (_("Today's visits"), "งานวันนี้")]
    ctx.reply(line_messages.text("\n".join(lines), quick_replies=quick))


def parse_month(text: str, today: date) -> date | None:
    """The first day of the month typed ("มี.ค.", "มีนาคม 2569", "3/2569", "2026-03"), the
    current month when nothing is typed; a month without a year is the latest one so far."""
    text = " ".join(text.split())
    if not text:
        return today.replace(day=1)
    candidates = [f"1 {text}", f"1/{text}", f"{text}-01"]
    for candidate in candidates:
        try:
            day = parse_date(candidate, today=today)
        except ValueError:
            continue
        if day > today and not _YEAR.search(text):
            day = day.replace(year=day.year - 1)
        return day.replace(day=1)
    return None


def _month_label(first: date) -> str:
    # "มี.ค. 2569": the date without its day.
    return format_date(first).split(" ", 1)[1]


def usage() -> str:
    """How the command is written, with an example."""
    return _("Send สรุป for this month, or สรุป and a month, for example: สรุป มี.ค. 2569")
