"""A collection case closes, and its promises are decided, whichever way the money arrives:
an officer's รับชำระ, a slip approved by an officer (ตรวจสลิป), on the dashboard's slips page
or at the command line, a payment recorded at the command line (the dashboard's debtor page:
test_dashboard_debtor.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from models.audit import Actor, AuditEntry
from models.field_reports import (
    CASE_CLOSED,
    CASE_OPEN,
    NOTE,
    PROMISE,
    CollectionCase,
    FieldReport,
    add_report,
    overdue_of,
)
from models.ledger import record_payment
from models.slip import store_slip
from models.types import PaymentChannel, PaymentState, Source
from tests.dashboard_data import csrf_token, log_in_tester
from tests.integration.officer_fixtures import NOW, TODAY, setup_officer
from tests.slip_data import slip_image

OFFICER = Actor("line:Uofficer", Source.LINE)


@pytest.fixture
def case(session):
    """Somsri's open case (a note), with a promise to pay all that is overdue in 5 days."""
    rows = setup_officer(session)
    somsri, officer = rows["somsri"], rows["officer"]
    with time_machine.travel(NOW, tick=False):
        overdue = overdue_of(session, somsri, TODAY)
        add_report(session, OFFICER, officer, somsri, NOTE, TODAY, text="นัดคุยวันศุกร์")
        promise = add_report(
            session, OFFICER, officer, somsri, PROMISE, TODAY,
            promise_date=TODAY + timedelta(days=5), promise_amount=overdue,
        )  # fmt: skip
    session.commit()
    return {**rows, "overdue": overdue, "case": promise.case_id, "promise": promise.id}


def _slip(session, case, amount: Decimal) -> int:
    """A transfer the debtor reported with a slip, awaiting verification."""
    payment = record_payment(
        session, Actor("line:Udebtor", Source.LINE), case["contract"], amount, TODAY,
        PaymentChannel.BANK_TRANSFER, state=PaymentState.PENDING, slip_path="slips/2026/03/a.jpg",
    )  # fmt: skip
    session.commit()
    return payment.id


def _outcome(db, case) -> tuple[str, str | None]:
    with db.session() as session:
        status = session.get(CollectionCase, case["case"]).status
        return status, session.get(FieldReport, case["promise"]).promise_status


def _closed_by(db) -> Source:
    with db.session() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "collection_case.close")
        )
        return entry.source


def test_an_officers_cash_closes_the_case(db, chat, case):
    with time_machine.travel(NOW, tick=False):
        answer = chat.say("Uofficer", f"รับชำระ W-001 {case['overdue']}")
    assert "W-001" in answer.text
    assert _outcome(db, case) == (CASE_CLOSED, "kept")
    with db.session() as session:
        report = session.scalar(select(FieldReport).where(FieldReport.kind == "payment"))
        assert report.case_id == case["case"]  # filed under the case it closed
    assert _closed_by(db) is Source.LINE


def test_a_slip_approved_by_an_officer_closes_the_case(db, chat, session, case):
    payment_id = _slip(session, case, case["overdue"])
    with time_machine.travel(NOW, tick=False):
        chat.tap("Uofficer", f"officer=slip&act=approve&id={payment_id}")
    assert _outcome(db, case) == (CASE_CLOSED, "kept")
    assert _closed_by(db) is Source.LINE


def test_a_slip_approved_on_the_dashboard_closes_the_case(db, env, client, session, case):
    payment_id = _slip(session, case, case["overdue"])
    slip = store_slip(
        session, Path(env["FUNDBOT_INSTANCE_PATH"]), case["somsri"], slip_image("0041"),
        None, message_id="m1", now=NOW,
    )  # fmt: skip
    slip.payment_id = payment_id
    session.commit()
    with time_machine.travel(NOW, tick=False):
        log_in_tester(session, client)
        page = client.get("/staff/slips")
        answer = client.post(
            f"/staff/slips/{slip.id}/approve", data={"csrf_token": csrf_token(page.text)}
        )
    assert answer.status_code == 302
    assert _outcome(db, case) == (CASE_CLOSED, "kept")
    assert _closed_by(db) is Source.WEB


def test_a_slip_approved_at_the_command_line_closes_the_case(db, cli, session, case):
    payment_id = _slip(session, case, case["overdue"])
    with time_machine.travel(NOW, tick=False):
        assert cli("slip", "approve", str(payment_id)).exit_code == 0
    assert _outcome(db, case) == (CASE_CLOSED, "kept")
    assert _closed_by(db) is Source.CLI


def test_a_payment_recorded_at_the_command_line_closes_the_case(db, cli, case):
    with time_machine.travel(NOW, tick=False):
        result = cli("payment", "record", "W-001", f"{case['overdue']:,}")
    assert result.exit_code == 0, result.output
    assert _outcome(db, case) == (CASE_CLOSED, "kept")
    assert _closed_by(db) is Source.CLI
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.record"))
        assert entry.source is Source.CLI and entry.after["channel"] == "office"


def test_part_of_the_arrears_leaves_the_case_open_and_the_promise_waiting(db, cli, case):
    with time_machine.travel(NOW, tick=False):
        assert cli("payment", "record", "W-001", "100").exit_code == 0
    assert _outcome(db, case) == (CASE_OPEN, "open")


def test_the_command_line_asks_before_more_than_owed(db, cli, case):
    with time_machine.travel(NOW, tick=False):
        refused = cli("payment", "record", "W-001", "500000", input="n\n")
        assert refused.exit_code == 1
        assert cli("payment", "record", "W-001", "500000", "--yes").exit_code == 0
    with db.session() as session:
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "payment.record"))
    assert _outcome(db, case) == (CASE_CLOSED, "kept")
