"""`fundbot slips`, `slip approve|reject`, `payment reverse`, `payments`, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from models.audit import Actor, AuditEntry
from models.errors import DomainError
from models.ledger import confirm_payment, record_payment
from models.payment import Allocation, Payment
from models.payments_query import get_payment
from models.slip import store_slip
from models.thai_qr import SlipQR
from models.types import FundKind, PaymentChannel, PaymentState, Source
from tests.factories import make_borrower, make_contract, make_fund, make_village

D = Decimal
DEBTOR = Actor("line:U0123456789abcdef0123456789abcdef", Source.LINE)


@pytest.fixture
def loan(session):
    """1200 baht at 12% a year in 3 monthly installments from 1 Feb 2025 (1224.00 in all).

    #1 400 + 12.00 interest, #2 400 + 8.00, #3 400 + 4.00.
    """
    contract = make_contract(session, principal="1200", rate="12", count=3)
    session.commit()
    return contract


def report_slip(session, contract, amount="500", paid_on=date(2025, 2, 3), name="m1"):
    """A transfer reported on LINE with its slip: pending, nothing allocated yet."""
    payment = record_payment(
        session,
        DEBTOR,
        contract,
        D(amount),
        paid_on,
        PaymentChannel.BANK_TRANSFER,
        state=PaymentState.PENDING,
        slip_path=f"slips/2025/02/{name}.jpg",
    )
    session.commit()
    return payment.id


def stored(db, payment_id):
    """The payment, its allocations and its audit entries, read in a new session."""
    with db.sessions() as fresh:
        payment = fresh.get(Payment, payment_id)
        allocations = [
            (a.installment.seq, a.interest, a.principal)
            for a in fresh.scalars(
                select(Allocation)
                .where(Allocation.payment_id == payment_id)
                .order_by(Allocation.id)
            )
        ]
        entries = list(
            fresh.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "payment", AuditEntry.entity_id == payment_id)
                .order_by(AuditEntry.id)
            )
        )
        return payment, allocations, entries


def table_rows(output):
    """The table's data lines (below its rule) by their first cell, the payment number."""
    lines = output.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    rows = [line for line in lines[start:] if line.startswith(" ") or line[:1].isdigit()]
    return {int(line.split()[0]): line for line in rows if "  " in line.strip()}


def one_error_line(result, *words):
    """The command failed with one line on stderr naming each of `words`."""
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_slips_lists_transfer_slips_with_their_file(db, session, loan, cli, env):
    pending = report_slip(session, loan, "1234.5", date(2025, 3, 15), "first")
    record_payment(session, DEBTOR, loan, D("100"), date(2025, 3, 1), PaymentChannel.CASH_OFFICER)
    session.commit()

    result = cli("slips")

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "สลิปการโอนเงิน"
    row = table_rows(result.stdout)[pending]
    slip_file = str(Path(env["FUNDBOT_INSTANCE_PATH"]) / "slips/2025/02/first.jpg")
    for cell in ("15 มี.ค. 2568", "W-001", "สมศรี ใจดี", "1,234.50 บาท", "รอตรวจสอบ", slip_file):
        assert cell in row
    assert lines[-1] == "1 สลิป"  # the cash payment is not a slip


def test_slips_pending_and_area_narrow_the_list(db, session, loan, cli):
    first = report_slip(session, loan, "100", name="a")
    second = report_slip(session, loan, "200", name="b")
    elsewhere = make_village(session, "หนองแค/กุ่มหัก/หมู่ 1")
    other = make_contract(
        session,
        "W-002",
        borrower=make_borrower(session, "นายสมชาย ดีงาม", village=elsewhere),
        fund=make_fund(session, village=elsewhere),
    )
    session.commit()
    far = report_slip(session, other, "300", name="c")
    assert cli("slip", "approve", str(first)).exit_code == 0

    pending = cli("slips", "--pending").stdout
    local = cli("slips", "--area", "แก่งคอย").stdout
    sibling = cli("slips", "--area", "แก่งคอย/หินซ้อน/หมู่ 3", "--pending").stdout

    def ids(output):
        return set(table_rows(output))

    assert ids(pending) == {second, far}
    assert ids(local) == {first, second}
    assert ids(sibling) == {second}
    assert "ยืนยันแล้ว" in local
    unknown = cli("slips", "--area", "ไม่มีอำเภอนี้")
    one_error_line(unknown, "ไม่มีอำเภอนี้")


def test_approve_allocates_the_slip_and_audits_it(db, session, loan, cli):
    payment_id = report_slip(session, loan, "500")
    assert stored(db, payment_id)[1] == []  # pending: nothing allocated

    result = cli("slip", "approve", str(payment_id))

    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert str(payment_id) in line and "500.00 บาท" in line and "W-001" in line
    assert "ตัดชำระงวดที่ 1, 2" in line
    payment, allocations, entries = stored(db, payment_id)
    assert payment.state is PaymentState.CONFIRMED
    assert allocations == [(1, D("12.00"), D("400.00")), (2, D("8.00"), D("80.00"))]
    confirm = entries[-1]
    assert confirm.action == "payment.confirm"
    assert confirm.source is Source.CLI and confirm.actor.startswith("cli:")
    assert confirm.before["state"] == "pending" and confirm.after["state"] == "confirmed"


def test_reject_keeps_the_reason_allocates_nothing_and_audits(db, session, loan, cli):
    payment_id = report_slip(session, loan, "500")

    result = cli("slip", "reject", str(payment_id), "--reason", "ยอดในสลิปไม่ตรง")

    assert result.exit_code == 0, result.output
    assert "ยอดในสลิปไม่ตรง" in result.stdout
    payment, allocations, entries = stored(db, payment_id)
    assert payment.state is PaymentState.REJECTED
    assert allocations == []
    assert "ยอดในสลิปไม่ตรง" in payment.note
    reject = entries[-1]
    assert (reject.action, reject.source) == ("payment.reject", Source.CLI)
    assert reject.after == {"state": "rejected", "reason": "ยอดในสลิปไม่ตรง"}


def test_reverse_mirrors_the_allocations_and_audits(db, session, loan, cli):
    payment_id = report_slip(session, loan, "500")
    assert cli("slip", "approve", str(payment_id)).exit_code == 0

    result = cli("payment", "reverse", str(payment_id), "--reason", "โอนซ้ำ")

    assert result.exit_code == 0, result.output
    payment, _, entries = stored(db, payment_id)
    assert payment.state is PaymentState.REVERSED
    with db.sessions() as fresh:
        reversal = fresh.scalar(select(Payment).where(Payment.reverses_id == payment_id))
        mirrored = [
            (a.installment.seq, a.interest, a.principal)
            for a in fresh.scalars(
                select(Allocation)
                .where(Allocation.payment_id == reversal.id)
                .order_by(Allocation.id)
            )
        ]
        paid = [(i.interest_paid, i.principal_paid) for i in reversal.contract.current_installments]
    assert str(reversal.id) in result.stdout and "โอนซ้ำ" in result.stdout
    assert reversal.amount == D("-500.00") and reversal.paid_on == date(2025, 2, 3)
    assert mirrored == [(1, D("-12.00"), D("-400.00")), (2, D("-8.00"), D("-80.00"))]
    assert paid == [(D("0.00"), D("0.00"))] * 3
    reverse = entries[-1]
    assert (reverse.action, reverse.source) == ("payment.reverse", Source.CLI)
    assert reverse.after["reversal_id"] == reversal.id and reverse.after["reason"] == "โอนซ้ำ"


def test_payments_lists_a_contract_with_states(db, session, loan, cli):
    approved = report_slip(session, loan, "500", name="a")
    rejected = report_slip(session, loan, "50", date(2025, 2, 4), name="b")
    cli("slip", "approve", str(approved))
    cli("slip", "reject", str(rejected), "--reason", "สลิปไม่ชัด")
    cli("payment", "reverse", str(approved), "--reason", "โอนซ้ำ")
    waiting = report_slip(session, loan, "70", date(2025, 2, 5), name="c")

    result = cli("payments", "W-001")

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "รายการชำระของสัญญา W-001 (สมศรี ใจดี)"
    rows = table_rows(result.stdout)
    reversal = next(number for number, row in rows.items() if "-500.00 บาท" in row)
    assert set(rows) == {approved, rejected, waiting, reversal}
    assert "กลับรายการแล้ว" in rows[approved] and f"กลับรายการโดยรายการ {reversal}" in rows[approved]
    assert "ปฏิเสธแล้ว" in rows[rejected] and "สลิปไม่ชัด" in rows[rejected]
    assert "รอตรวจสอบ" in rows[waiting]
    assert "-500.00 บาท" in rows[reversal] and f"กลับรายการของรายการ {approved}" in rows[reversal]
    assert "3 ก.พ. 2568" in rows[approved] and "โอนเงินผ่านธนาคาร" in rows[approved]


def test_payments_needs_the_fund_when_a_number_repeats(db, session, cli):
    village = make_village(session)
    make_contract(session, "K-1", fund=make_fund(session, FundKind.WOMENS_FUND, village))
    make_contract(
        session,
        "K-1",
        fund=make_fund(session, FundKind.KKCJ, village),
        borrower=make_borrower(session, "นางมาลี ศรีสุข", village=village),
    )
    session.commit()

    one_error_line(cli("payments", "K-1"), "K-1", "--fund")
    chosen = cli("payments", "K-1", "--fund", "kkcj")
    assert chosen.exit_code == 0 and "นางมาลี ศรีสุข" in chosen.stdout
    one_error_line(cli("payments", "NOPE-9"), "NOPE-9")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["slip", "approve", "9999"], ["9999"]),
        (["slip", "reject", "9999", "--reason", "x"], ["9999"]),
        (["payment", "reverse", "9999", "--reason", "x"], ["9999"]),
    ],
)
def test_unknown_payment_is_one_line(db, cli, args, words):
    line = one_error_line(cli(*args), *words)
    assert "ไม่พบการชำระเงินเลขที่" in line


def test_acting_twice_or_out_of_order_is_one_line(db, session, loan, cli):
    payment_id = report_slip(session, loan, "500")
    pid = str(payment_id)

    one_error_line(cli("payment", "reverse", pid, "--reason", "x"), "ยืนยันแล้ว")
    one_error_line(cli("slip", "reject", pid, "--reason", "   "), "--reason")
    assert cli("slip", "approve", pid).exit_code == 0
    one_error_line(cli("slip", "approve", pid), pid, "ไม่ได้อยู่ระหว่างรอตรวจสอบ")
    one_error_line(cli("slip", "reject", pid, "--reason", "x"), pid)
    assert cli("payment", "reverse", pid, "--reason", "x").exit_code == 0
    one_error_line(cli("payment", "reverse", pid, "--reason", "x"), pid)
    _, allocations, entries = stored(db, payment_id)
    # Only what succeeded changed anything: record, confirm, reverse.
    assert [e.action for e in entries] == ["payment.record", "payment.confirm", "payment.reverse"]
    assert len(allocations) == 2


def test_installed_command_reports_an_unknown_payment(db, env, tmp_path):
    fundbot = Path(sys.executable).parent / "fundbot"
    done = subprocess.run(
        [str(fundbot), "slip", "approve", "424242"],
        env={**os.environ, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "424242" in done.stderr


def test_two_approvals_at_once_allocate_once(db, session, loan):
    if db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: no concurrent approval to race")
    payment_id = report_slip(session, loan, "500")
    staff = Actor("cli:other", Source.CLI)
    outcome: dict[str, str] = {}

    def second_operator():
        try:
            with db.session() as other:
                confirm_payment(other, staff, get_payment(other, payment_id, for_update=True))
            outcome["second"] = "confirmed"
        except DomainError as exc:
            outcome["second"] = exc.code

    with db.sessions() as first, first.begin():
        confirm_payment(first, staff, get_payment(first, payment_id, for_update=True))
        racer = threading.Thread(target=second_operator)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # waiting for the row lock
    racer.join(10)

    assert outcome == {"second": "payment_not_pending"}
    _, allocations, entries = stored(db, payment_id)
    assert len(allocations) == 2
    assert [e.action for e in entries] == ["payment.record", "payment.confirm"]


# ---------------------------------------------------------------------- unfinished, duplicates

SENT = datetime(2025, 2, 5, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok


def send_slip(session, env, contract, content: bytes, qr=None, *, pay: str | None = None):
    """A slip photo as the chat stores it; with `pay`, the debtor also gave contract and
    amount, so its payment is pending. Returns the Slip."""
    slip = store_slip(
        session,
        Path(env["FUNDBOT_INSTANCE_PATH"]),
        contract.borrower,
        b"\xff\xd8\xff" + content,
        qr,
        message_id=content.decode(),
        now=SENT,
    )
    if pay is not None:
        payment_id = report_slip(session, contract, pay, SENT.date(), name=content.decode())
        slip.payment_id = payment_id
    session.commit()
    return slip


def rows_by_state(output: str) -> dict[str, list[list[str]]]:
    """The table's rows split into cells (two spaces apart), grouped by their State cell."""
    lines = output.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    found: dict[str, list[list[str]]] = {}
    for line in lines[start:-1]:
        cells = [c.strip() for c in line.strip().split("  ") if c.strip()]
        found.setdefault(cells[5], []).append(cells)
    return found


def test_slips_lists_unfinished_and_duplicate_slips_marked(session, loan, cli, env):
    paid = send_slip(session, env, loan, b"paid", SlipQR("004", "REF1", True), pay="500")
    waiting = send_slip(session, env, loan, b"waiting")
    again = send_slip(session, env, loan, b"again", SlipQR("004", "REF1", True))
    same_file = send_slip(session, env, loan, b"waiting")
    assert again.duplicate and same_file.duplicate

    result = cli("slips")

    assert result.exit_code == 0, result.output
    rows = rows_by_state(result.stdout)
    instance = Path(env["FUNDBOT_INSTANCE_PATH"])
    [pending] = rows["รอตรวจสอบ"]
    assert pending[0] == str(paid.payment_id) and "W-001" in pending
    [unfinished] = rows["รอระบุสัญญาหรือจำนวนเงิน"]
    assert unfinished == [
        "-", "5 ก.พ. 2568", "-", "สมศรี ใจดี", "-", "รอระบุสัญญาหรือจำนวนเงิน",
        str(instance / waiting.path), "-",
    ]  # fmt: skip
    notes = {row[-1] for row in rows["สลิปซ้ำ"]}
    assert notes == {f"สลิปเดียวกับรายการ {paid.payment_id}", "สลิปเดียวกับที่ส่งเมื่อ 5 ก.พ. 2568"}
    assert result.stdout.strip().splitlines()[-1] == "4 สลิป"


def test_slips_filters_by_status(session, loan, cli, env):
    paid = send_slip(session, env, loan, b"paid", SlipQR("004", "REF1", True), pay="500")
    send_slip(session, env, loan, b"waiting")
    send_slip(session, env, loan, b"again", SlipQR("004", "REF1", True))

    def states(*args):
        result = cli("slips", *args)
        assert result.exit_code == 0, result.output
        return {state: len(rows) for state, rows in rows_by_state(result.stdout).items()}

    assert states("--status", "unfinished") == {"รอระบุสัญญาหรือจำนวนเงิน": 1}
    assert states("--status", "duplicate") == {"สลิปซ้ำ": 1}
    # --pending keeps its meaning: payments awaiting verification only.
    pending = cli("slips", "--pending").stdout
    assert pending.splitlines()[0] == "สลิปการโอนเงินที่รอตรวจสอบ"
    assert set(rows_by_state(pending)) == {"รอตรวจสอบ"}
    assert states("--pending", "--status", "duplicate") == {"รอตรวจสอบ": 1, "สลิปซ้ำ": 1}
    assert cli("slip", "approve", str(paid.payment_id)).exit_code == 0
    assert states("--status", "confirmed") == {"ยืนยันแล้ว": 1}
    assert cli("slips", "--status", "pending").stdout.strip().splitlines()[-1] == "ไม่มีสลิป"


def test_slips_area_applies_to_unfinished_slips_too(session, loan, cli, env):
    send_slip(session, env, loan, b"waiting")
    make_village(session, "หนองแค/กุ่มหัก/หมู่ 1")
    session.commit()

    here = cli("slips", "--area", "แก่งคอย", "--status", "unfinished").stdout
    elsewhere = cli("slips", "--area", "หนองแค", "--status", "unfinished").stdout

    assert "สมศรี ใจดี" in here
    assert elsewhere.strip().splitlines()[-1] == "ไม่มีสลิป"
