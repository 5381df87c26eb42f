"""The slips page: debtors' slips of my areas with their photo; approve and reject them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.outbox import OutboxMessage
from models.payment import Payment
from models.slip import Slip
from models.types import PaymentState, Source
from tests.dashboard_data import (  # noqa: F401 - fixtures
    NOON_15_MARCH_2026,
    at_noon_15_march,
    build_province,
    csrf_token,
    dashboard_app,
    log_in,
)
from tests.line_events import in_thai
from tests.slip_data import add_slips


@pytest.fixture
def slips(app, session):
    """The slip ids by name (tests/slip_data.py)."""
    debtors = build_province(session)
    instance = Path(app.extensions["fundbot"].settings.instance_path)
    return add_slips(session, instance, debtors, NOON_15_MARCH_2026)


def logged_in(app, username: str):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def payment_of(session, slip_id: int) -> Payment:
    session.expire_all()
    return session.get(Payment, session.get(Slip, slip_id).payment_id)


def decide(client, slip_id: int, act: str, **form):
    token = csrf_token(client.get("/staff/slips").text)
    return client.post(f"/staff/slips/{slip_id}/{act}", data={"csrf_token": token, **form})


def test_my_areas_slips_pending_first_with_status_counts(app, slips):
    page = logged_in(app, "somchai").get("/staff/slips").text
    order = [page.index(f'id="slip-{slips[n]}"') for n in ("mine", "again", "unfinished")]
    assert order == sorted(order[:1]) + sorted(order[1:], reverse=True)  # pending, then newest
    assert f'id="slip-{slips["far"]}"' not in page and "บุญมี" not in page
    assert "1,000.00 บาท" in page and "W-001" in page and "0041111111AAA" in page
    assert in_thai("Kasikornbank") in page
    assert in_thai("sent before (slip no. %(id)d): not counted", id=slips["mine"]) in page
    assert page.count('class="primary approve"') == 1  # only the pending slip can be decided
    assert '<span class="count">3</span>' in page  # all of mine


@pytest.mark.parametrize(
    ("status", "shown"),
    [("pending", ["mine"]), ("duplicate", ["again"]), ("unfinished", ["unfinished"])],
)
def test_slips_are_filtered_by_status(app, slips, status, shown):
    page = logged_in(app, "somchai").get(f"/staff/slips?status={status}").text
    listed = [n for n in ("mine", "far", "again", "unfinished") if f'id="slip-{slips[n]}"' in page]
    assert listed == shown


def test_the_photo_is_served_to_staff_of_the_debtors_area_only(app, session, slips):
    staff = logged_in(app, "somchai")
    photo = staff.get(f"/staff/slips/{slips['mine']}/image")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    stored = (
        Path(app.extensions["fundbot"].settings.instance_path)
        / session.get(Slip, slips["mine"]).path
    )
    assert photo.data == stored.read_bytes()
    assert photo.headers["Cache-Control"] == "no-store"
    assert staff.get(f"/staff/slips/{slips['far']}/image").status_code == 404
    assert staff.get("/staff/slips/999999/image").status_code == 404
    anonymous = app.test_client().get(f"/staff/slips/{slips['mine']}/image")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    assert logged_in(app, "admin").get(f"/staff/slips/{slips['far']}/image").status_code == 200


def test_approve_allocates_audits_from_the_web_and_tells_the_debtor(app, session, slips):
    staff = logged_in(app, "somchai")
    assert staff.post(f"/staff/slips/{slips['mine']}/approve").status_code == 400  # no CSRF
    assert payment_of(session, slips["mine"]).state is PaymentState.PENDING

    done = decide(staff, slips["mine"], "approve")
    assert done.status_code == 302 and done.headers["Location"] == "/staff/slips"
    payment = payment_of(session, slips["mine"])
    assert payment.state is PaymentState.CONFIRMED
    assert sum(a.interest + a.principal for a in payment.allocations) == Decimal("1000.00")
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "payment.confirm", AuditEntry.entity_id == payment.id
        )
    )
    assert entry.actor == "web:somchai" and entry.source is Source.WEB
    notice = session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"slip-approved:{payment.id}")
    )
    assert notice.recipients == ["U" + "a" * 32]
    page = staff.get("/staff/slips").text
    assert in_thai("The debtor is told on LINE (within the legal contact hours)") in page

    again = decide(staff, slips["mine"], "approve")  # a second click allocates nothing
    assert again.status_code == 302
    assert in_thai("Payment %(id)d is not awaiting verification", id=payment.id) in (
        staff.get("/staff/slips").text
    )
    assert len(payment_of(session, slips["mine"]).allocations) == len(payment.allocations)


def test_reject_needs_a_reason_which_is_kept_and_audited(app, session, slips):
    staff = logged_in(app, "somchai")
    decide(staff, slips["mine"], "reject", reason="   ")
    assert payment_of(session, slips["mine"]).state is PaymentState.PENDING
    decide(staff, slips["mine"], "reject", reason="x" * 301)
    assert payment_of(session, slips["mine"]).state is PaymentState.PENDING

    done = decide(staff, slips["mine"], "reject", reason="ยอดในสลิป  ไม่ตรง", status="pending")
    assert done.headers["Location"] == "/staff/slips?status=pending"
    payment = payment_of(session, slips["mine"])
    assert payment.state is PaymentState.REJECTED and payment.note == "ยอดในสลิป ไม่ตรง"
    assert payment.allocations == []
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "payment.reject", AuditEntry.entity_id == payment.id
        )
    )
    assert entry.source is Source.WEB and entry.after["reason"] == "ยอดในสลิป ไม่ตรง"
    assert session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"slip-rejected:{payment.id}")
    )
    rejected = staff.get("/staff/slips?status=rejected").text
    assert "ยอดในสลิป ไม่ตรง" in rejected


def test_a_slip_outside_my_areas_or_without_a_payment_cannot_be_decided(app, session, slips):
    staff = logged_in(app, "somchai")
    assert decide(staff, slips["far"], "approve").status_code == 404
    assert decide(staff, slips["far"], "reject", reason="no").status_code == 404
    assert decide(staff, slips["unfinished"], "approve").status_code == 404
    assert payment_of(session, slips["far"]).state is PaymentState.PENDING
    admin = logged_in(app, "admin")
    assert decide(admin, slips["far"], "approve").status_code == 302
    assert payment_of(session, slips["far"]).state is PaymentState.CONFIRMED


def test_the_page_speaks_english_on_request(app, slips):
    page = logged_in(app, "somchai").get("/staff/slips?lang=en").text
    assert "Transfer slips" in page and "1,000.00" in page and "awaiting verification" in page
