"""The debtor page: the case's timeline, visit photos behind the login, and the actions
(link code, record a payment, reverse one): scoped, CSRF-checked, audited as web."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import event, select

from models.audit import AuditEntry
from models.case_timeline import debtor_timeline
from models.field_reports import CASE_CLOSED, PROMISE, CollectionCase, FieldReport, add_report
from models.identity import LinkCode
from models.payment import Payment
from models.staff_login import add_staff_with_login
from models.types import PaymentChannel, PaymentState, Source
from tests.dashboard_data import (  # noqa: F401 - fixtures
    NOON_15_MARCH_2026,
    at_noon_15_march,
    build_province,
    csrf_token,
    dashboard_app,
    log_in,
)
from tests.debtor_history import OFFICER, PHOTO, build_history
from tests.factories import TEST_ACTOR


@pytest.fixture
def debtors(session):
    return build_province(session)


@pytest.fixture
def history(session, debtors, env):
    return build_history(session, debtors["a"], Path(env["FUNDBOT_INSTANCE_PATH"]))


@pytest.fixture
def staff_a(app, debtors):
    """A fund staff of แก่งคอย (debtor A's district), logged in."""
    client = app.test_client()
    assert log_in(client, "somchai").status_code == 302
    return client


@pytest.fixture
def admin(app, debtors):
    client = app.test_client()
    assert log_in(client, "admin").status_code == 302
    return client


def _timeline(html: str) -> str:
    return html[html.index('id="timeline"') :]


def _post(client, url: str, data: dict):
    """A form POST with the page's CSRF token, as the browser sends it."""
    token = csrf_token(client.get("/staff/").text)
    return client.post(url, data={"csrf_token": token, **data})


# --------------------------------------------------------------------------- the timeline


def test_the_timeline_shows_the_whole_case_newest_first(staff_a, debtors, history):
    page = staff_a.get(f"/staff/debtor/{debtors['a'].id}").text
    timeline = _timeline(page)
    # Reminders with their delivery: held back (15 March), failed with LINE's reason (14th).
    assert "ระงับไว้ (เกินโควตาเดือนนี้)" in timeline
    assert "ส่งไม่สำเร็จ" in timeline and "added the LINE Official Account as a friend" in timeline
    # Payments: who recorded them and how, the pending slip, the reversal with its reason.
    assert "100.00 บาท" in timeline and "-100.00 บาท" in timeline
    assert "บันทึกผิดสัญญา" in timeline
    assert f"กลับรายการโดยเลขที่ {history['reversal']}" in timeline
    assert "รอตรวจสอบ" in timeline  # the slip's payment
    assert "9,500.00 บาท" in timeline and "เงินสดผ่านเจ้าหน้าที่" in timeline
    assert "บันทึกโดย test (บรรทัดคำสั่ง)" in timeline
    # Relief, link code, hardship, field reports with the officer's name, promises decided.
    assert "พักชำระหนี้" in timeline and "1 เม.ย. 2569 – 30 มิ.ย. 2569" in timeline
    assert "ออกรหัสเชื่อมต่อ LINE" in timeline and "ใช้ได้ถึง 26 มี.ค. 2569" in timeline
    assert "ขอพักชำระหนี้ น้ำท่วมนา" in timeline and "รอพิจารณา" in timeline
    assert "โทรไม่รับสาย" in timeline and "โดย สมชาย รักงาน" in timeline
    assert "ผิดนัด" in timeline and "ตามนัด" in timeline
    assert "เปิดเรื่อง" in timeline  # the collection case
    # Times in the offices' zone, Buddhist Era.
    assert "8 มี.ค. 2569 10:00" in timeline
    # Newest first: the held reminder (15th) before the visit (8th) before the broken promise.
    assert timeline.index("ระงับไว้") < timeline.index("พบที่บ้าน") < timeline.index("ผิดนัด")


def test_a_visit_shows_its_photo_and_where_it_was(staff_a, debtors, history):
    timeline = _timeline(staff_a.get(f"/staff/debtor/{debtors['a'].id}").text)
    photo_url = f"/staff/debtor/{debtors['a'].id}/visit/{history['visit']}/photo/0"
    assert f'<img src="{photo_url}"' in timeline
    assert "14.52800, 101.06000" in timeline and "หมู่ 3 หินซ้อน" in timeline
    assert "https://www.openstreetmap.org/?mlat=14.528&amp;mlon=101.06" in timeline
    response = staff_a.get(photo_url)
    assert response.status_code == 200 and response.data == PHOTO
    assert response.mimetype == "image/jpeg" and response.headers["Cache-Control"] == "no-store"


def test_visit_photos_need_the_login_and_the_debtors_area(app, admin, debtors, history, session):
    a = debtors["a"].id
    url = f"/staff/debtor/{a}/visit/{history['visit']}/photo/0"
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    assert admin.get(url).status_code == 200
    assert admin.get(f"/staff/debtor/{a}/visit/{history['visit']}/photo/1").status_code == 404
    assert (
        admin.get(f"/staff/debtor/{debtors['b'].id}/visit/{history['visit']}/photo/0").status_code
        == 404
    )
    # A path that leads out of the photo folder is never served.
    report = session.get(FieldReport, history["visit"])
    report.photos = [{"path": "../../etc/passwd", "sha256": "x"}]
    session.commit()
    assert admin.get(url).status_code == 404


def test_another_areas_debtor_and_their_photos_are_not_found(app, debtors, session, env):
    build_history(session, debtors["a"], Path(env["FUNDBOT_INSTANCE_PATH"]))
    client = app.test_client()
    from models.staff_login import add_staff_with_login

    add_staff_with_login(
        session, TEST_ACTOR, username="nongkhae", password="nongkhae-pass-1",
        role="fund_staff", area_paths=["หนองแค"], province="สระบุรี",
    )  # fmt: skip
    session.commit()
    assert log_in(client, "nongkhae", "nongkhae-pass-1").status_code == 302
    visit = session.scalar(select(FieldReport.id).where(FieldReport.kind == "visit"))
    assert client.get(f"/staff/debtor/{debtors['a'].id}").status_code == 404
    assert client.get(f"/staff/debtor/{debtors['a'].id}/visit/{visit}/photo/0").status_code == 404


def test_the_timeline_takes_the_same_few_queries_however_long(db, session, debtors, env):
    def queries_for_timeline() -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            session.expire_all()
            debtor_timeline(session, ["สระบุรี"], debtors["a"].id)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count

    short = queries_for_timeline()
    build_history(session, debtors["a"], Path(env["FUNDBOT_INSTANCE_PATH"]))
    assert queries_for_timeline() == short <= 12
    events = debtor_timeline(session, ["สระบุรี"], debtors["a"].id)
    kinds = {e.kind for e in events}
    assert {"payment", "reversal", "relief", "reminder", "visit", "note", "promise"} <= kinds
    assert {"hardship", "slip", "link", "case"} <= kinds
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    assert debtor_timeline(session, ["สระบุรี/หนองแค"], debtors["a"].id) is None


# --------------------------------------------------------------------------- the actions


def test_issuing_a_link_code_shows_it_once_and_audits_it(staff_a, debtors, session):
    url = f"/staff/debtor/{debtors['a'].id}/link-code"
    assert staff_a.post(url).status_code == 400  # no CSRF token
    assert session.scalar(select(LinkCode.id)) is None
    page = _post(staff_a, url, {}).text
    code = re.search(r'id="link-code"[^>]*>รหัสเชื่อมต่อ: ([A-Z0-9]{6})', page).group(1)
    assert "ใช้ได้ถึง 29 มี.ค. 2569" in page
    assert code not in staff_a.get(f"/staff/debtor/{debtors['a'].id}").text  # shown once
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "link_code.issue"))
    assert entry.actor == "web:somchai" and entry.source is Source.WEB
    assert entry.entity_id == debtors["a"].id


def test_recording_a_payment(staff_a, debtors, session):
    a = debtors["a"]
    url = f"/staff/debtor/{a.id}/payments"
    form = {"contract": a.contracts[0].id, "amount": "500", "paid_on": "15/3/2569"}
    assert staff_a.post(url, data=form).status_code == 400  # no CSRF token
    response = _post(staff_a, url, {**form, "channel": "office", "reference": "ใบเสร็จ 12"})
    assert response.status_code == 302
    payment = session.scalars(select(Payment).order_by(Payment.id.desc())).first()
    assert payment.amount == Decimal("500.00") and payment.paid_on == date(2026, 3, 15)
    assert payment.channel is PaymentChannel.OFFICE and payment.state is PaymentState.CONFIRMED
    assert payment.recorded_by == "web:somchai" and payment.source is Source.WEB
    assert payment.reference == "ใบเสร็จ 12"
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "payment.record", AuditEntry.entity_id == payment.id
        )
    )
    assert entry.source is Source.WEB and entry.actor == "web:somchai"
    page = staff_a.get(f"/staff/debtor/{a.id}").text
    assert f"บันทึกแล้ว: การชำระเลขที่ {payment.id}" in page
    assert "บันทึกโดย web:somchai (เว็บ)" in page


@pytest.mark.parametrize(
    ("amount", "paid_on", "question"),
    [("50,000", "15/3/2569", "มากกว่ายอดที่"), ("500", "20/3/2569", "ยังไม่ถึง")],
)
def test_above_the_balance_or_in_the_future_asks_first(
    staff_a, debtors, session, amount, paid_on, question
):
    a = debtors["a"]
    url = f"/staff/debtor/{a.id}/payments"
    form = {"contract": a.contracts[0].id, "amount": amount, "paid_on": paid_on}
    before = session.scalar(select(Payment.id).order_by(Payment.id.desc()))
    page = _post(staff_a, url, form)
    assert page.status_code == 200 and question in page.text and 'id="confirm-payment"' in page.text
    assert session.scalar(select(Payment.id).order_by(Payment.id.desc())) == before
    assert _post(staff_a, url, {**form, "confirmed": "1"}).status_code == 302
    assert session.scalar(select(Payment.id).order_by(Payment.id.desc())) != before


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("amount", "ห้าร้อย", "กรอกจำนวนเงินเป็นบาท"),
        ("amount", "0", "กรอกจำนวนเงินเป็นบาท"),
        ("paid_on", "31/2/2569", "กรอกวันที่ชำระ"),
        ("contract", "999999", "เลือกสัญญาของลูกหนี้"),
        ("channel", "import", "เลือกช่องทางที่รับเงิน"),
    ],
)
def test_a_wrong_field_is_one_clear_line_and_nothing_is_stored(
    staff_a, debtors, session, field, value, line
):
    a = debtors["a"]
    form = {"contract": a.contracts[0].id, "amount": "500", "paid_on": "15/3/2569", field: value}
    before = session.scalar(select(Payment.id).order_by(Payment.id.desc()))
    response = _post(staff_a, f"/staff/debtor/{a.id}/payments", form)
    assert response.status_code == 400
    assert re.search(r'<p class="error" role="alert" id="action-error">([^<]+)</p>', response.text)
    assert line in response.text
    assert session.scalar(select(Payment.id).order_by(Payment.id.desc())) == before


def test_reversing_a_payment_needs_a_reason_and_keeps_both_records(staff_a, debtors, session):
    a = debtors["a"]
    paid = session.scalar(select(Payment).where(Payment.contract_id == a.contracts[0].id))
    url = f"/staff/debtor/{a.id}/payments/{paid.id}/reverse"
    missing = _post(staff_a, url, {"reason": "  "})
    assert missing.status_code == 400 and "บอกเหตุผลที่กลับรายการ" in missing.text
    assert _post(staff_a, url, {"reason": "ยอดซ้ำกับใบเสร็จ"}).status_code == 302
    session.expire_all()
    reversal = session.scalar(select(Payment).where(Payment.reverses_id == paid.id))
    assert reversal.amount == -paid.amount and reversal.note == "ยอดซ้ำกับใบเสร็จ"
    assert (
        reversal.source is Source.WEB
        and session.get(Payment, paid.id).state is PaymentState.REVERSED
    )
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.reverse"))
    assert entry.source is Source.WEB and entry.after["reason"] == "ยอดซ้ำกับใบเสร็จ"
    again = _post(staff_a, url, {"reason": "อีกครั้ง"})
    assert again.status_code == 400 and f"รายการชำระ {paid.id} ถูกกลับรายการไปแล้ว" in again.text


def test_a_field_officer_sees_no_reverse_button_and_cannot_reverse(app, debtors, session):
    add_staff_with_login(
        session, TEST_ACTOR, username="officer", password="officer-pass-1",
        role="field_officer", area_paths=["แก่งคอย"], province="สระบุรี",
    )  # fmt: skip
    session.commit()
    officer = app.test_client()
    assert log_in(officer, "officer", "officer-pass-1").status_code == 302
    a = debtors["a"]
    paid = session.scalar(select(Payment).where(Payment.contract_id == a.contracts[0].id))
    page = officer.get(f"/staff/debtor/{a.id}")
    assert page.status_code == 200 and "/reverse" not in page.text
    refused = _post(officer, f"/staff/debtor/{a.id}/payments/{paid.id}/reverse", {"reason": "x"})
    assert refused.status_code == 403
    assert "กลับรายการได้เฉพาะพนักงานกองทุน" in refused.text
    session.expire_all()
    assert session.get(Payment, paid.id).state is PaymentState.CONFIRMED
    assert session.scalar(select(Payment).where(Payment.reverses_id == paid.id)) is None


def test_actions_on_another_areas_debtor_are_not_found(staff_a, debtors, session):
    b = debtors["b"]
    contract = b.contracts[0]
    assert _post(staff_a, f"/staff/debtor/{b.id}/link-code", {}).status_code == 404
    form = {"contract": contract.id, "amount": "500", "paid_on": "15/3/2569"}
    assert _post(staff_a, f"/staff/debtor/{b.id}/payments", form).status_code == 404
    # A's page with B's contract is refused too.
    a = debtors["a"]
    assert _post(staff_a, f"/staff/debtor/{a.id}/payments", form).status_code == 400
    assert session.scalar(select(Payment).where(Payment.contract_id == contract.id)) is None
    a_payment = session.scalar(select(Payment.id).where(Payment.contract_id == a.contracts[0].id))
    # Debtor A's payment reached through B's page is not found either.
    assert (
        _post(
            staff_a, f"/staff/debtor/{b.id}/payments/{a_payment}/reverse", {"reason": "x"}
        ).status_code
        == 404
    )
    assert session.scalar(select(LinkCode.id)) is None


def test_a_payment_clearing_the_arrears_closes_the_case_and_keeps_the_promise(
    admin, debtors, session
):
    b = debtors["b"]
    with time_machine.travel(datetime(2026, 3, 10, 3, 0, tzinfo=UTC), tick=False):
        promise = add_report(
            session, OFFICER, _officer(session), b, PROMISE, date(2026, 3, 10),
            promise_date=date(2026, 3, 20), promise_amount=Decimal("9000"),
        )  # fmt: skip
    session.commit()
    form = {"contract": b.contracts[0].id, "amount": "9,000", "paid_on": "15/3/2569"}
    assert _post(admin, f"/staff/debtor/{b.id}/payments", form).status_code == 302
    session.expire_all()
    case = session.get(CollectionCase, promise.case_id)
    assert case.status == CASE_CLOSED and case.closed_on == date(2026, 3, 15)
    assert session.get(FieldReport, promise.id).promise_status == "kept"
    closing = session.scalar(select(AuditEntry).where(AuditEntry.action == "collection_case.close"))
    assert closing.source is Source.WEB
    assert "ปิดเรื่อง" in _timeline(admin.get(f"/staff/debtor/{b.id}").text)


def _officer(session):
    from models.staff import Staff
    from models.types import Role

    officer = Staff(name="สมหญิง ตามงาน", role=Role.FIELD_OFFICER, line_user_id="Uofficer0002")
    session.add(officer)
    session.flush()
    return officer
