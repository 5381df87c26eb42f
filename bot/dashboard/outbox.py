"""The reminders page: the outbox of my areas — planned, sent, failed with LINE's reason,
held back by the monthly quota — filtered by status and by the day it went or is due."""

from __future__ import annotations

from datetime import timedelta

from flask import request

from bot.config import office_zone
from bot.dashboard.blueprint import bp, render_page
from bot.dashboard.period import Period, read_period
from bot.dashboard.views import LABELS, PAGE_SIZE, db_session, scope, today
from bot.i18n import _
from models.outbox_view import OUTBOX_STATUSES, outbox_rows


@bp.get("/reminders")
def reminders():
    """Messages to debtors and groups of my areas (and, for the province, to staff)."""
    day = today()
    # Planned reminders wait in the days ahead: the default looks a week forward too.
    period = read_period(day, Period(day.replace(day=1), day + timedelta(days=7)))
    status = request.args.get("status") or None
    status = status if status in OUTBOX_STATUSES else None
    page = request.args.get("page", "1")
    page = max(int(page), 1) if page.isdigit() else 1
    start, end = period.moments()
    rows, counts = outbox_rows(
        db_session(),
        scope(),
        status=status,
        start=start,
        end=end,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    total = counts[status] if status else sum(counts.values())
    return render_page(
        "dashboard/reminders.html",
        rows=rows,
        counts=counts,
        statuses=OUTBOX_STATUSES,
        status=status,
        period=period,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        zone=office_zone(),
        outbox_status_label=outbox_status_label,
        purpose_label=purpose_label,
        **LABELS,
    )


def outbox_status_label(code: str) -> str:
    """Where a message stands, in words."""
    return {
        "queued": _("planned"),
        "sending": _("sending"),
        "sent": _("sent"),
        "failed": _("failed"),
        "held": _("held back (monthly quota)"),
        "dropped": _("dropped (no longer applies)"),
    }.get(code, code)


def purpose_label(code: str | None) -> str:
    """What a message is for, in words."""
    return {
        "reminder": _("reminder"),
        "group_notice": _("group notice"),
        "staff": _("message to staff"),
        "notice": _("slip decision"),
    }.get(code or "", _("other message"))
