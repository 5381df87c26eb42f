"""The pages: the overview, who paid in a month, and one debtor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bot.config import office_zone
from bot.dashboard.auth import runtime
from bot.dashboard.blueprint import bp, render_page
from bot.dashboard.labels import bucket_label, class_label, fund_label, status_label
from bot.dashboard.timeline_labels import TIMELINE_LABELS
from bot.dashboard.trend_chart import trend_svg
from bot.i18n import format_date
from models.area import Area
from models.arrears import AGING_BUCKETS, DEBTOR_CLASSES, contract_arrears
from models.audit import AuditEntry
from models.case_timeline import debtor_timeline
from models.contract import Contract
from models.dashboard_queries import (
    PAY_STATUSES,
    PaidFilter,
    areas_below,
    classes_of,
    debtor_in_scope,
    due_in_month,
    inside,
)
from models.dashboard_queries import (
    overview as overview_figures,
)
from models.field_reports import current_case
from models.ledger import may_reverse
from models.types import FundKind, PaymentChannel

PAGE_SIZE = 50
# How money recorded on the dashboard came in (an officer's cash is recorded on LINE).
WEB_CHANNELS = (PaymentChannel.OFFICE, PaymentChannel.BANK_TRANSFER, PaymentChannel.CASH_OFFICER)


def today() -> date:
    """Today in the offices' time zone."""
    return datetime.now(office_zone()).date()


def scope() -> list[str]:
    """The logged-in person's area paths."""
    return list(current_user.scope)


def db_session():
    """One read session per request, closed when the request ends."""
    if "dashboard_db" not in g:
        g.dashboard_db = runtime().db.sessions()
    return g.dashboard_db


@bp.teardown_request
def _close_session(_exc):
    db = g.pop("dashboard_db", None)
    if db is not None:
        db.close()


def area_name(path: str) -> str:
    """A path as people read it, from the district down (the province is implied)."""
    province = runtime().settings.province
    parts = path.split("/")
    return " / ".join(parts[1:] if parts[0] == province and len(parts) > 1 else parts)


LABELS = {
    "class_label": class_label,
    "bucket_label": bucket_label,
    "status_label": status_label,
    "fund_label": fund_label,
    "area_name": area_name,
}


@bp.get("/")
def overview():
    """Overdue now against the 1 October baseline and its target, by class, age and area."""
    session = db_session()
    area = request.args.get("area") or None
    if area is not None and not (inside(area, scope()) or any(inside(s, [area]) for s in scope())):
        abort(404)
    figures = overview_figures(session, scope(), today(), area=area)
    session.commit()  # keeps the arrears snapshots the overview computed for the next request
    trail = _trail(area)
    return render_page(
        "dashboard/overview.html",
        figures=figures,
        area=area,
        trail=trail,
        classes=DEBTOR_CLASSES,
        buckets=AGING_BUCKETS,
        drill=area is None or area.count("/") < 2,
        trend=trend_svg(figures.trend, figures.overdue_baseline, figures.target),
        **LABELS,
    )


def _trail(area: str | None) -> list[tuple[str, str]]:
    """Links from the top of the scope down to `area`: (label, url)."""
    from bot.i18n import _

    trail = [(_("All my areas"), url_for("dashboard.overview"))]
    if area:
        parts = area.split("/")
        for depth in range(2, len(parts) + 1):
            path = "/".join(parts[:depth])
            if any(inside(path, [s]) or inside(s, [path]) for s in scope()):
                trail.append((parts[depth - 1], url_for("dashboard.overview", area=path)))
    return trail


@dataclass(frozen=True)
class PaidForm:
    """The who-paid filters as read from the query string."""

    filter: PaidFilter
    district: int | None
    subdistrict: int | None
    village: int | None
    page: int

    def args(self, **changes) -> dict:
        """Query-string values for a link with some filters changed."""
        values = {
            "month": f"{self.filter.year:04d}-{self.filter.month:02d}",
            "fund": self.filter.fund,
            "district": self.district,
            "subdistrict": self.subdistrict,
            "village": self.village,
            "class": self.filter.debtor_class,
            "status": self.filter.status,
            "q": self.filter.search,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def read_paid_form() -> PaidForm:
    """The filters of the who-paid page and its exports (bad values are ignored)."""
    session = db_session()
    day = today()
    year, month = day.year, day.month
    raw_month = request.args.get("month", "")
    try:
        y, m = (int(x) for x in raw_month.split("-"))
        if 2000 <= y <= 2200 and 1 <= m <= 12:
            year, month = y, m
    except ValueError:
        pass
    ids = {}
    for level in ("district", "subdistrict", "village"):
        value = request.args.get(level, "")
        ids[level] = int(value) if value.isdigit() else None
    area = None
    parent = None
    for level in ("district", "subdistrict", "village"):
        if ids[level] is None:
            break
        found = session.get(Area, ids[level])
        if found is None or str(found.level) != level or (parent and found.parent_id != parent.id):
            ids[level] = None
            break
        area, parent = found, found
    for level in ("district", "subdistrict", "village"):  # nothing below a dropped level
        if ids[level] is None:
            for lower in ("district", "subdistrict", "village")[
                ("district", "subdistrict", "village").index(level) + 1 :
            ]:
                ids[lower] = None
            break
    fund = request.args.get("fund") or None
    debtor_class = request.args.get("class") or None
    status = request.args.get("status") or None
    page = request.args.get("page", "1")
    return PaidForm(
        filter=PaidFilter(
            year=year,
            month=month,
            area=area.path if area else None,
            fund=fund if fund in {k.value for k in FundKind} else None,
            debtor_class=debtor_class if debtor_class in DEBTOR_CLASSES else None,
            status=status if status in PAY_STATUSES else None,
            search=(request.args.get("q") or "").strip()[:100] or None,
        ),
        district=ids["district"],
        subdistrict=ids["subdistrict"],
        village=ids["village"],
        page=max(int(page), 1) if page.isdigit() else 1,
    )


def month_choices(around: date) -> list[tuple[str, str]]:
    """(value, label) for the 18 months before and 3 after the current one, newest first."""
    choices = []
    index = around.year * 12 + around.month - 1
    for i in range(index + 3, index - 19, -1):
        y, m = divmod(i, 12)
        label = format_date(date(y, m + 1, 1), "medium").split(" ", 1)[1]
        choices.append((f"{y:04d}-{m + 1:02d}", label))
    return choices


@bp.get("/paid")
def paid():
    """Every installment due in a month: paid in full, partly or not; filtered and paged."""
    session = db_session()
    form = read_paid_form()
    day = today()
    rows, totals = due_in_month(
        session,
        scope(),
        form.filter,
        day,
        offset=(form.page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    classes = classes_of(session, {r.borrower_id for r in rows}, day)
    districts = areas_below(session, scope(), None)
    subdistricts = villages = []
    if form.district:
        district = session.get(Area, form.district)
        subdistricts = areas_below(session, scope(), district.path)
        if form.subdistrict:
            villages = areas_below(session, scope(), session.get(Area, form.subdistrict).path)
    pages = max((totals.installments + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_page(
        "dashboard/paid.html",
        form=form,
        rows=rows,
        totals=totals,
        classes=classes,
        months=month_choices(day),
        districts=districts,
        subdistricts=subdistricts,
        villages=villages,
        debtor_classes=DEBTOR_CLASSES,
        statuses=PAY_STATUSES,
        funds=[k.value for k in FundKind],
        pages=pages,
        month_label=format_date(date(form.filter.year, form.filter.month, 1), "long").split(" ", 1)[
            1
        ],
        **LABELS,
    )


@bp.get("/debtor/<int:borrower_id>")
def debtor(borrower_id: int):
    """One debtor: contracts and schedules, and the case's timeline; the actions' forms."""
    return debtor_page(borrower_id)


def debtor_page(borrower_id: int, status: int = 200, **shown):
    """The debtor page, with whatever an action has to show (`shown`: a new link code, a
    question to confirm, an error line)."""
    session = db_session()
    borrower = debtor_in_scope(session, scope(), borrower_id)
    if borrower is None:
        abort(404)
    day = today()
    contracts = session.scalars(
        select(Contract).where(Contract.borrower_id == borrower.id).order_by(Contract.id)
    ).all()
    arrears = {
        a.contract_id: a
        for a in contract_arrears(session, day, scope=None, borrower_id=borrower.id)
    }
    # The debtor's and contracts' own changes (register imports, status), beside the timeline.
    history = session.scalars(
        select(AuditEntry)
        .where(
            ((AuditEntry.entity == "borrower") & (AuditEntry.entity_id == borrower.id))
            | (
                (AuditEntry.entity == "contract")
                & AuditEntry.entity_id.in_([c.id for c in contracts])
            )
        )
        .order_by(AuditEntry.at.desc())
        .limit(50)
    ).all()
    return render_page(
        "dashboard/debtor.html",
        status,
        history=history,
        borrower=borrower,
        contracts=contracts,
        arrears=arrears,
        timeline=debtor_timeline(session, scope(), borrower.id),
        case=current_case(session, borrower),
        today=day,
        zone=office_zone(),
        channels=WEB_CHANNELS,
        may_reverse=may_reverse(current_user.role),
        form=request.form if request.method == "POST" else {},
        **shown,
        **LABELS,
        **TIMELINE_LABELS,
    )
