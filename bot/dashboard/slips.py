"""The slips page: transfer slips debtors sent, with the photo; approve or reject them.

Approving and rejecting are the ledger's own operations (models.ledger), as for the command
line and the officers' ตรวจสลิป: approval allocates the payment, and either decision queues
the debtor's notice (models/slip_notice.py). The photo is served only to a logged-in member
of staff whose areas hold the debtor; any other slip answers 404, as if absent.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, flash, get_flashed_messages, redirect, request, send_file, url_for

from bot.config import office_zone
from bot.dashboard.auth import runtime
from bot.dashboard.blueprint import bp, render_page
from bot.dashboard.views import LABELS, PAGE_SIZE, db_session, scope, today
from bot.dashboard.web_actor import web_actor
from bot.errors import explain
from bot.i18n import _, format_money
from models.errors import DomainError
from models.ledger import confirm_payment, reject_payment
from models.payments_query import get_payment
from models.slip_review import SLIP_STATUSES, slip_in_scope, slips_to_review

REASON_LIMIT = 300
_IMAGE_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


@bp.get("/slips")
def slips():
    """The slips of my areas, pending first, filtered by status, 50 a page."""
    status = request.args.get("status") or None
    status = status if status in SLIP_STATUSES else None
    page = request.args.get("page", "1")
    page = max(int(page), 1) if page.isdigit() else 1
    rows, counts = slips_to_review(
        db_session(), scope(), status=status, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    total = counts[status] if status else sum(counts.values())
    return render_page(
        "dashboard/slips.html",
        rows=rows,
        counts=counts,
        statuses=SLIP_STATUSES,
        status=status,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        notices=get_flashed_messages(with_categories=True),
        reason_limit=REASON_LIMIT,
        slip_status_label=slip_status_label,
        bank_label=bank_label,
        zone=office_zone(),
        **LABELS,
    )


@bp.get("/slips/<int:slip_id>/image")
def slip_image(slip_id: int):
    """The slip photo, for staff of the debtor's areas only (never a public URL)."""
    slip = slip_in_scope(db_session(), scope(), slip_id)
    if slip is None:
        abort(404)
    folder = (Path(runtime().settings.instance_path) / "slips").resolve()
    path = (Path(runtime().settings.instance_path) / slip.path).resolve()
    mimetype = _IMAGE_TYPES.get(path.suffix.lower())
    if mimetype is None or not path.is_relative_to(folder) or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mimetype, conditional=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/slips/<int:slip_id>/approve")
def approve_slip(slip_id: int):
    """Accept the slip: its payment is allocated and the debtor told (models.ledger)."""
    with runtime().db.write_session() as session:
        payment = _pending_payment(session, slip_id)
        try:
            confirm_payment(session, web_actor(), payment, today=today())
        except DomainError as error:
            flash(explain(error), "error")
            return _back()
        borrower = payment.contract.borrower
        message = _(
            "Approved: %(amount)s from %(name)s (%(contract)s), allocated to the installments",
            amount=format_money(payment.amount),
            name=borrower.display_name,
            contract=payment.contract.contract_no,
        )
        told = _told(borrower)
    flash(message, "done")
    flash(told, "done")
    return _back()


@bp.post("/slips/<int:slip_id>/reject")
def reject_slip(slip_id: int):
    """Refuse the slip with a reason (sent to the debtor); nothing is allocated."""
    reason = " ".join(request.form.get("reason", "").split())
    if not reason or len(reason) > REASON_LIMIT:
        flash(
            _("Write why the slip is refused (at most %(limit)d characters).", limit=REASON_LIMIT),
            "error",
        )
        return _back()
    with runtime().db.write_session() as session:
        payment = _pending_payment(session, slip_id)
        try:
            reject_payment(session, web_actor(), payment, reason)
        except DomainError as error:
            flash(explain(error), "error")
            return _back()
        borrower = payment.contract.borrower
        message = _(
            "Rejected: the slip of %(amount)s from %(name)s",
            amount=format_money(payment.amount),
            name=borrower.display_name,
        )
        told = _told(borrower)
    flash(message, "done")
    flash(told, "done")
    return _back()


def _pending_payment(session, slip_id: int):
    """The slip's payment, locked; 404 for a slip outside my areas or one with no payment."""
    slip = slip_in_scope(session, scope(), slip_id)
    if slip is None or slip.payment_id is None:
        abort(404)
    try:
        return get_payment(session, slip.payment_id, scope=scope(), for_update=True)
    except DomainError:
        abort(404)


def _back():
    """Back to the list as it was filtered (the form sends the status it was shown with)."""
    status = request.form.get("status")
    return redirect(url_for("dashboard.slips", status=status if status in SLIP_STATUSES else None))


def _told(borrower) -> str:
    if borrower.line_user_id and borrower.line_reachable:
        return _("The debtor is told on LINE (within the legal contact hours)")
    return _("The debtor is not on LINE: please tell them yourself")


def slip_status_label(code: str) -> str:
    """A slip's review status in words."""
    return {
        "pending": _("awaiting verification"),
        "confirmed": _("approved"),
        "rejected": _("rejected"),
        "reversed": _("reversed"),
        "unfinished": _("unfinished (no amount given)"),
        "duplicate": _("duplicate"),
    }.get(code, code)


def bank_label(code: str | None) -> str:
    """The sending bank of a slip's mini QR, by its Bank of Thailand code."""
    if not code:
        return "-"
    names = {
        "002": _("Bangkok Bank"),
        "004": _("Kasikornbank"),
        "006": _("Krungthai Bank"),
        "011": _("TMBThanachart Bank"),
        "014": _("Siam Commercial Bank"),
        "025": _("Bank of Ayudhya (Krungsri)"),
        "030": _("Government Savings Bank"),
        "034": _("Bank for Agriculture and Agricultural Cooperatives"),
    }
    name = names.get(code)
    return f"{name} ({code})" if name else code
