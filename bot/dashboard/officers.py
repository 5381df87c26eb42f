"""The officers page: per field officer, what they did in a period; click one for the list."""

from __future__ import annotations

from flask import abort

from bot.config import office_zone
from bot.dashboard.blueprint import bp, render_page
from bot.dashboard.period import last_month, month_of, read_period
from bot.dashboard.views import LABELS, db_session, scope, today
from bot.i18n import _
from models.officer_activity import PROMISE_OUTCOMES, officer_activity, officer_reports


@bp.get("/officers")
def officers():
    """Visits, payments (count and sum), promises and their outcome, notes, per officer."""
    day = today()
    period = read_period(day)
    rows = officer_activity(db_session(), scope(), period.start, period.end)
    return render_page(
        "dashboard/officers.html",
        rows=rows,
        period=period,
        this_month=month_of(day),
        last_month=last_month(day),
        outcomes=PROMISE_OUTCOMES,
        outcome_label=outcome_label,
        report_label=report_label,
        **LABELS,
    )


@bp.get("/officers/<int:officer_id>")
def officer_reports_page(officer_id: int):
    """One officer's reports of the period about debtors in my areas, newest first."""
    period = read_period(today())
    found = officer_reports(db_session(), scope(), officer_id, period.start, period.end)
    if found is None:
        abort(404)
    officer, lines = found
    return render_page(
        "dashboard/officer_reports.html",
        officer=officer,
        lines=lines,
        period=period,
        zone=office_zone(),
        outcome_label=outcome_label,
        report_label=report_label,
        **LABELS,
    )


def outcome_label(code: str | None) -> str:
    """How a promise to pay ended, in words."""
    return {
        "kept": _("kept"),
        "partial": _("partly kept"),
        "broken": _("broken"),
        "open": _("still open"),
    }.get(code or "", code or "")


def report_label(code: str) -> str:
    """A kind of field report, in words."""
    return {
        "visit": _("visit"),
        "payment": _("payment"),
        "promise": _("promise to pay"),
        "note": _("note"),
    }.get(code, code)
