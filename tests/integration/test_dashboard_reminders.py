"""The reminders page: the outbox of my areas by status and day, with LINE's reasons."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models.identity import GROUP_REMINDER, LineGroup
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from tests.dashboard_data import (  # noqa: F401 - fixtures
    NOON_15_MARCH_2026,
    at_noon_15_march,
    build_province,
    dashboard_app,
    log_in,
)
from tests.line_events import in_thai

NOW = NOON_15_MARCH_2026
REFUSED = "400 The user hasn't added the LINE Official Account as a friend."


@pytest.fixture
def outbox(session):
    debtors = build_province(session)
    a, b = debtors["a"], debtors["b"]
    session.add(LineGroup(group_id="Cvillage3", kind=GROUP_REMINDER, area_id=a.area_id))
    day = timedelta(days=1)
    rows = [
        ("reminder", OutboxStatus.SENT, f"borrower:{a.id}", "เตือนสมศรี", NOW, None),
        ("reminder", OutboxStatus.FAILED, f"borrower:{b.id}", "เตือนบุญมี", NOW, REFUSED),
        ("reminder", OutboxStatus.HELD, f"borrower:{a.id}", "รอโควตาสมศรี", NOW + day, None),
        ("group_notice", OutboxStatus.QUEUED, "group:Cvillage3", "แจ้งกลุ่ม", NOW + 2 * day, None),
        ("staff", OutboxStatus.SENT, None, "สรุปงานเจ้าหน้าที่", NOW, None),
        (None, OutboxStatus.SENT, None, "ตอบแชท", NOW, None),
        ("reminder", OutboxStatus.SENT, f"borrower:{a.id}", "เตือนเดือนก่อน", NOW - 30 * day, None),
    ]  # fmt: skip
    for n, (purpose, status, contact, text, when, error) in enumerate(rows):
        sent = status is OutboxStatus.SENT
        session.add(
            OutboxMessage(
                dedupe_key=f"test:{n}",
                kind=OutboxKind.REPLY if text == "ตอบแชท" else OutboxKind.PUSH,
                recipients=["U" + str(n) * 32],
                messages=[{"type": "text", "text": text}],
                status=status,
                purpose=purpose,
                contact_key=contact,
                next_attempt_at=when,
                sent_at=when if sent else None,
                attempts=3 if error else 1,
                last_error=error,
            )
        )
    session.commit()


def logged_in(app, username: str):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def count(page: str, status: str) -> int:
    return int(re.search(rf'id="count-{status}">([\d,]+)<', page).group(1))


def test_my_areas_messages_with_counts_per_status(app, outbox):
    page = logged_in(app, "somchai").get("/staff/reminders").text
    assert "เตือนสมศรี" in page and "รอโควตาสมศรี" in page and "แจ้งกลุ่ม" in page
    assert "เตือนบุญมี" not in page  # another district's debtor
    assert "สรุปงานเจ้าหน้าที่" not in page  # for the province only
    assert "ตอบแชท" not in page  # chat answers are no reminders
    assert "เตือนเดือนก่อน" not in page  # before the period
    assert (count(page, "sent"), count(page, "held"), count(page, "queued")) == (1, 1, 1)
    assert count(page, "failed") == 0
    assert in_thai("held back (monthly quota)") in page
    assert "15 มี.ค. 2569" in page


def test_the_province_sees_failures_with_lines_reason_and_filters(app, outbox):
    admin = logged_in(app, "admin")
    page = admin.get("/staff/reminders").text
    assert "เตือนบุญมี" in page and "สรุปงานเจ้าหน้าที่" in page and "ตอบแชท" not in page
    failed = admin.get("/staff/reminders?status=failed").text
    assert "เตือนบุญมี" in failed and "เตือนสมศรี" not in failed
    assert "hasn&#39;t added the LINE Official Account" in failed
    assert in_thai("%(count)d attempts", count=3) in failed
    february = admin.get("/staff/reminders?from=2026-02-01&to=2026-02-28").text
    assert "เตือนเดือนก่อน" in february and "เตือนสมศรี" not in february
    assert count(february, "sent") == 1


def test_english_on_request(app, outbox):
    page = logged_in(app, "somchai").get("/staff/reminders?lang=en").text
    assert "held back (monthly quota)" in page and "Mar 2026" in page
