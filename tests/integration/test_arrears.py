"""The arrears engine on exact states, inserted row by row, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from models.area import Area, ensure_area
from models.arrears import (
    AGING_BUCKETS,
    DEBTOR_CLASSES,
    aging_bucket,
    area_arrears,
    contract_arrears,
    fund_totals,
)
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.fund import Fund
from models.payment import Allocation, Payment
from models.relief import ReliefMeasure
from models.types import (
    AreaLevel,
    Frequency,
    FundKind,
    PaymentChannel,
    PaymentState,
    ReliefKind,
    Source,
)

PROVINCE = "สระบุรี"
HOME = "แก่งคอย/หินซ้อน/หมู่ 3"
SIGNED = date(2025, 1, 1)


class Book:
    """Writes exact loan states: areas, funds, borrowers, contracts, payments, relief."""

    def __init__(self, session) -> None:
        self.session = session

    def village(self, path: str = HOME) -> Area:
        """The village at district/subdistrict/village `path` in the province."""
        return ensure_area(self.session, PROVINCE, *path.split("/"))

    def fund(self, kind: FundKind, village: Area) -> Fund:
        """The Women's Fund of the province, or the KKCJ fund of `village`."""
        area = (
            self.session.get(Area, village.province_id) if kind is FundKind.WOMENS_FUND else village
        )
        for fund in self.session.query(Fund).filter_by(kind=kind, area_id=area.id):
            return fund
        fund = Fund(kind=kind, name=f"{kind} {area.path}", area=area)
        self.session.add(fund)
        return fund

    def contract(
        self,
        contract_no: str,
        schedule: list[tuple[date, str, str]],
        *,
        area: str = HOME,
        kind: FundKind = FundKind.WOMENS_FUND,
        borrower: Borrower | None = None,
        signed: date = SIGNED,
    ) -> Contract:
        """A contract whose installments are (due date, principal, interest) in baht."""
        village = self.village(area)
        if borrower is None:
            borrower = Borrower(name=f"ผู้กู้ {contract_no}", name_key=contract_no, area=village)
        total = sum((Decimal(p) for _, p, _ in schedule), Decimal(0))
        contract = Contract(
            fund=self.fund(kind, village),
            contract_no=contract_no,
            borrower=borrower,
            principal=total,
            annual_interest_rate=Decimal(0),
            contract_date=signed,
            first_due_date=schedule[0][0],
            installment_count=len(schedule),
            frequency=Frequency.MONTHLY,
        )
        self.session.add(contract)
        self.add_schedule(contract, 1, schedule, effective=signed)
        return contract

    def add_schedule(self, contract: Contract, schedule_no: int, schedule, *, effective: date):
        """Installments of schedule `schedule_no`, in force from `effective`."""
        for seq, (due, principal, interest) in enumerate(schedule, start=1):
            self.session.add(
                Installment(
                    contract=contract,
                    schedule_no=schedule_no,
                    seq=seq,
                    due_date=due,
                    original_due_date=due,
                    principal_due=Decimal(principal),
                    interest_due=Decimal(interest),
                    effective_from=effective,
                )
            )
        self.session.flush()

    def installment(self, contract: Contract, seq: int, schedule_no: int = 1) -> Installment:
        """One installment of `contract`."""
        self.session.flush()
        return (
            self.session.query(Installment)
            .filter_by(contract_id=contract.id, schedule_no=schedule_no, seq=seq)
            .one()
        )

    def pay(self, installment: Installment, paid_on: date, principal: str, interest: str = "0"):
        """A payment dated `paid_on` allocated to one installment (negative: a reversal)."""
        principal, interest = Decimal(principal), Decimal(interest)
        payment = Payment(
            contract_id=installment.contract_id,
            amount=principal + interest,
            paid_on=paid_on,
            channel=PaymentChannel.CASH_OFFICER,
            state=PaymentState.CONFIRMED,
            recorded_by="test",
            source=Source.CLI,
        )
        payment.allocations.append(
            Allocation(
                installment=installment,
                contract_id=installment.contract_id,
                paid_on=paid_on,
                principal=principal,
                interest=interest,
            )
        )
        installment.principal_paid += principal
        installment.interest_paid += interest
        self.session.add(payment)
        self.session.flush()
        return payment

    def relief(self, contract: Contract, kind: ReliefKind, start: date, end: date | None = None):
        """A moratorium or restructuring measure on `contract`."""
        self.session.add(
            ReliefMeasure(
                contract=contract, kind=kind, start_date=start, end_date=end, recorded_by="test"
            )
        )
        self.session.flush()


@pytest.fixture
def book(session):
    """A Book writing through the test session."""
    return Book(session)


def one(session, as_of: date, contract_no: str = "C-1"):
    """The arrears of one contract on `as_of`."""
    [row] = contract_arrears(session, as_of, scope=None, contract_no=contract_no)
    return row


def figures(row) -> tuple:
    """The figures of a ContractArrears, for comparing in one assertion."""
    return (
        row.outstanding_principal,
        row.overdue_amount,
        row.days_past_due,
        row.aging_bucket,
        row.debtor_class,
    )


def test_every_aging_bucket_and_class_at_its_boundary(book, session):
    due = date(2025, 6, 30)
    book.contract("C-1", [(due, "1000", "50"), (date(2026, 12, 31), "1000", "0")])
    session.commit()
    expected = [
        (-1, 0, "current", "normal"),
        (0, 0, "current", "normal"),  # on the due date it is due, not overdue
        (1, 1, "1-30", "late"),
        (30, 30, "1-30", "late"),
        (31, 31, "31-60", "late"),
        (60, 60, "31-60", "late"),
        (61, 61, "61-90", "late"),
        (90, 90, "61-90", "late"),
        (91, 91, "91-180", "defaulted"),
        (180, 180, "91-180", "defaulted"),
        (181, 181, "181-365", "defaulted"),
        (365, 365, "181-365", "defaulted"),
        (366, 366, "365+", "defaulted"),
    ]
    got = []
    for offset, *_ in expected:
        row = one(session, due + timedelta(days=offset))
        got.append((offset, row.days_past_due, row.aging_bucket, row.debtor_class))
    assert got == expected
    assert [aging_bucket(days) for _, days, _, _ in expected] == [b for *_, b, _ in expected]
    assert set(AGING_BUCKETS) == {b for *_, b, _ in expected}


def test_overdue_amount_counts_only_after_the_due_date(book, session):
    due = date(2025, 6, 30)
    book.contract("C-1", [(due, "1000", "50"), (date(2025, 7, 31), "1000", "0")])
    session.commit()

    on_due = one(session, due)
    after = one(session, due + timedelta(days=1))

    assert figures(on_due) == (Decimal("2000.00"), Decimal("0.00"), 0, "current", "normal")
    assert (on_due.next_due_date, on_due.next_due_amount) == (due, Decimal("1050.00"))
    assert figures(after) == (Decimal("2000.00"), Decimal("1050.00"), 1, "1-30", "late")
    assert (after.next_due_date, after.next_due_amount) == (date(2025, 7, 31), Decimal("1000.00"))


def test_partial_payment_leaves_the_rest_overdue(book, session):
    contract = book.contract(
        "C-1", [(date(2025, 2, 1), "1000", "100"), (date(2025, 3, 1), "1000", "90")]
    )
    book.pay(book.installment(contract, 1), date(2025, 2, 1), "400", "100")
    session.commit()

    row = one(session, date(2025, 2, 15))

    assert figures(row) == (Decimal("1600.00"), Decimal("600.00"), 14, "1-30", "late")
    assert (row.next_due_date, row.next_due_amount) == (date(2025, 3, 1), Decimal("1090.00"))


def test_days_past_due_count_from_the_oldest_installment_not_fully_paid(book, session):
    contract = book.contract(
        "C-1",
        [
            (date(2025, 2, 1), "1000", "0"),
            (date(2025, 3, 1), "1000", "0"),
            (date(2025, 4, 1), "1000", "0"),
        ],
    )
    book.pay(book.installment(contract, 1), date(2025, 2, 1), "1000")
    book.pay(book.installment(contract, 2), date(2025, 3, 10), "999.99")
    session.commit()

    row = one(session, date(2025, 4, 5))

    # #1 paid; #2 short by one satang is the oldest unpaid; #3 overdue too.
    assert figures(row) == (Decimal("1000.01"), Decimal("1000.01"), 35, "31-60", "late")


def test_payment_dated_after_the_as_of_date_does_not_count(book, session):
    contract = book.contract(
        "C-1", [(date(2025, 2, 1), "1000", "0"), (date(2025, 3, 1), "1000", "0")]
    )
    book.pay(book.installment(contract, 1), date(2025, 2, 20), "1000")
    session.commit()

    before = one(session, date(2025, 2, 19))
    on_payment_day = one(session, date(2025, 2, 20))

    assert figures(before) == (Decimal("2000.00"), Decimal("1000.00"), 18, "1-30", "late")
    assert figures(on_payment_day) == (Decimal("1000.00"), Decimal("0.00"), 0, "current", "normal")


def test_a_reversal_undoes_the_payment_from_its_date(book, session):
    contract = book.contract(
        "C-1", [(date(2025, 2, 1), "1000", "20"), (date(2025, 3, 1), "1000", "0")]
    )
    first = book.installment(contract, 1)
    book.pay(first, date(2025, 2, 1), "1000", "20")
    book.pay(first, date(2025, 2, 10), "-1000", "-20")
    session.commit()

    paid = one(session, date(2025, 2, 9))
    reversed_ = one(session, date(2025, 2, 10))

    assert figures(paid) == (Decimal("1000.00"), Decimal("0.00"), 0, "current", "normal")
    assert figures(reversed_) == (Decimal("2000.00"), Decimal("1020.00"), 9, "1-30", "late")


def test_paid_off(book, session):
    contract = book.contract(
        "C-1", [(date(2025, 2, 1), "1000", "10"), (date(2025, 3, 1), "1000", "5")]
    )
    book.pay(book.installment(contract, 1), date(2025, 2, 1), "1000", "10")
    book.pay(book.installment(contract, 2), date(2025, 2, 1), "1000", "5")
    session.commit()

    row = one(session, date(2025, 2, 2))

    assert figures(row) == (Decimal("0.00"), Decimal("0.00"), 0, "current", "paid_off")
    assert (row.next_due_date, row.next_due_amount) == (None, Decimal("0.00"))


def test_moratorium_window_edges(book, session):
    contract = book.contract(
        "C-1", [(date(2025, 1, 31), "1000", "0"), (date(2025, 12, 31), "1000", "0")]
    )
    book.relief(contract, ReliefKind.MORATORIUM, date(2025, 6, 1), date(2025, 8, 31))
    book.contract("C-2", [(date(2025, 1, 31), "1000", "0")])
    later = book.contract("C-3", [(date(2025, 1, 31), "1000", "0")])
    book.relief(later, ReliefKind.MORATORIUM, date(2025, 6, 1))  # no end date yet
    current = book.contract("C-4", [(date(2025, 12, 31), "1000", "0")])
    book.relief(current, ReliefKind.MORATORIUM, date(2025, 6, 1), date(2025, 8, 31))
    paid = book.contract("C-5", [(date(2025, 12, 31), "1000", "0")])
    book.relief(paid, ReliefKind.MORATORIUM, date(2025, 6, 1), date(2025, 8, 31))
    book.pay(book.installment(paid, 1), date(2025, 5, 1), "1000")
    session.commit()

    def classes(day):
        return [r.debtor_class for r in contract_arrears(session, day, scope=None)]

    # C-4 owes nothing yet but is in a moratorium; C-5 paid off, which comes first.
    assert classes(date(2025, 5, 31)) == [
        "defaulted",
        "defaulted",
        "defaulted",
        "normal",
        "paid_off",
    ]
    assert classes(date(2025, 6, 1)) == [
        "moratorium",
        "defaulted",
        "moratorium",
        "moratorium",
        "paid_off",
    ]
    assert classes(date(2025, 8, 31)) == [
        "moratorium",
        "defaulted",
        "moratorium",
        "moratorium",
        "paid_off",
    ]
    assert classes(date(2025, 9, 1)) == [
        "defaulted",
        "defaulted",
        "moratorium",
        "normal",
        "paid_off",
    ]
    # The figures stay what they are; only the class says the debtor is in a moratorium.
    assert one(session, date(2025, 6, 1)).days_past_due == 121


def test_restructured_and_restructured_late(book, session):
    contract = book.contract(
        "C-1",
        [
            (date(2025, 2, 1), "1000", "0"),
            (date(2025, 3, 1), "1000", "0"),
            (date(2025, 4, 1), "1000", "0"),
        ],
    )
    book.pay(book.installment(contract, 1), date(2025, 2, 1), "1000")
    # Restructured on 15 Apr: the two unpaid installments give way to a new schedule.
    for seq in (2, 3):
        book.installment(contract, seq).superseded_on = date(2025, 4, 15)
    book.add_schedule(
        contract,
        2,
        [(date(2025, 5, 15), "1000", "0"), (date(2025, 6, 15), "1000", "0")],
        effective=date(2025, 4, 15),
    )
    book.relief(contract, ReliefKind.RESTRUCTURING, date(2025, 4, 15))
    book.pay(book.installment(contract, 1, schedule_no=2), date(2025, 5, 20), "1000")
    session.commit()

    assert figures(one(session, date(2025, 4, 14))) == (
        Decimal("2000.00"),
        Decimal("2000.00"),
        44,
        "31-60",
        "late",
    )
    on_the_day = one(session, date(2025, 4, 15))
    assert figures(on_the_day) == (
        Decimal("2000.00"),
        Decimal("0.00"),
        0,
        "current",
        "restructured",
    )
    assert on_the_day.next_due_date == date(2025, 5, 15)
    assert figures(one(session, date(2025, 5, 16))) == (
        Decimal("2000.00"),
        Decimal("1000.00"),
        1,
        "1-30",
        "restructured_late",
    )
    assert figures(one(session, date(2025, 5, 20))) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        0,
        "current",
        "restructured",
    )


def test_restructured_late_over_ninety_days_is_defaulted(book, session):
    contract = book.contract("C-1", [(date(2025, 5, 1), "1000", "0")], signed=date(2025, 4, 1))
    book.relief(contract, ReliefKind.RESTRUCTURING, date(2025, 4, 1))
    session.commit()

    assert one(session, date(2025, 7, 30)).debtor_class == "restructured_late"  # 90 days
    assert one(session, date(2025, 7, 31)).debtor_class == "defaulted"  # 91 days


def test_a_contract_not_yet_signed_does_not_appear(book, session):
    book.contract("C-1", [(date(2025, 2, 1), "1000", "0")], signed=date(2025, 1, 10))
    session.commit()

    assert contract_arrears(session, date(2025, 1, 9), scope=None) == []
    assert one(session, date(2025, 1, 10)).outstanding_principal == Decimal("1000.00")


@pytest.fixture
def province(book, session):
    """Four contracts in three districts, one in "แก่งคอย2" (a name sharing a prefix)."""
    book.contract("K-1", [(date(2025, 2, 1), "1000", "0")], area="แก่งคอย/หินซ้อน/หมู่ 3")
    book.contract(
        "K-2",
        [(date(2025, 2, 1), "500", "10"), (date(2025, 9, 1), "500", "0")],
        area="แก่งคอย/ท่าคล้อ/หมู่ 1",
        kind=FundKind.KKCJ,
    )
    book.contract("X-1", [(date(2025, 2, 1), "700", "0")], area="แก่งคอย2/บ้านป่า/หมู่ 1")
    paid = book.contract("M-1", [(date(2025, 2, 1), "300", "0")], area="เมืองสระบุรี/ปากเพรียว/หมู่ 2")
    book.pay(book.installment(paid, 1), date(2025, 1, 20), "300")
    session.commit()
    return date(2025, 3, 1)


def test_scope_admits_only_contracts_inside_its_areas(session, province):
    def numbers(scope):
        return [r.contract_no for r in contract_arrears(session, province, scope=scope)]

    # By area path in code point order, the same on every database whatever its collation
    # ("เมือง" before "แก่ง"), then by contract number.
    assert numbers(None) == ["M-1", "K-2", "K-1", "X-1"]
    assert numbers(["สระบุรี/แก่งคอย"]) == ["K-2", "K-1"]
    assert numbers(["สระบุรี/แก่งคอย/หินซ้อน"]) == ["K-1"]
    assert numbers(["สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3"]) == ["K-1"]
    assert numbers(["สระบุรี/แก่งคอย2", "สระบุรี/เมืองสระบุรี"]) == ["M-1", "X-1"]
    assert numbers(["สระบุรี/แก่ง"]) == []
    assert numbers([]) == []
    assert area_arrears(session, province, level="district", scope=[]) == []


def test_filters_by_borrower_contract_and_fund(session, province):
    [k1] = contract_arrears(session, province, scope=None, contract_no="K-1")
    by_borrower = contract_arrears(session, province, scope=None, borrower_id=k1.borrower_id)
    kkcj = contract_arrears(session, province, scope=None, fund_kind=FundKind.KKCJ)
    outside = contract_arrears(session, province, scope=["สระบุรี/แก่งคอย2"], contract_no="K-1")

    assert [r.contract_no for r in by_borrower] == ["K-1"]
    assert [(r.contract_no, r.fund) for r in kkcj] == [("K-2", "kkcj")]
    assert outside == []
    assert (k1.area, k1.borrower_name) == ("สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3", "ผู้กู้ K-1")


@pytest.mark.parametrize("level", ["province", "district", "subdistrict", "village"])
def test_area_totals_equal_the_sum_of_their_contracts(session, province, level):
    contracts = contract_arrears(session, province, scope=None)
    depth = {"province": 1, "district": 2, "subdistrict": 3, "village": 4}[level]
    expected = defaultdict(lambda: [0, Decimal(0), Decimal(0), defaultdict(int)])
    for row in contracts:
        group = expected["/".join(row.area.split("/")[:depth])]
        group[0] += 1
        group[1] += row.outstanding_principal
        group[2] += row.overdue_amount
        group[3][row.debtor_class] += 1

    areas = area_arrears(session, province, level=level)

    assert [a.area for a in areas] == sorted(expected)
    for area in areas:
        count, outstanding, overdue, classes = expected[area.area]
        assert (area.contracts, area.outstanding_principal, area.overdue_amount) == (
            count,
            outstanding,
            overdue,
        )
        assert area.level == level
        assert area.debtor_classes == {name: classes.get(name, 0) for name in DEBTOR_CLASSES}
        assert sum(area.aging_buckets.values()) == count


def test_district_totals_within_a_scope(session, province):
    [district] = area_arrears(session, province, level=AreaLevel.DISTRICT, scope=["สระบุรี/แก่งคอย"])

    assert district.area == "สระบุรี/แก่งคอย"
    assert (district.contracts, district.outstanding_principal, district.overdue_amount) == (
        2,
        Decimal("2000.00"),
        Decimal("1510.00"),
    )
    assert district.overdue_contracts == 2
    assert district.aging_buckets["1-30"] == 2
    assert district.to_json()["outstanding_principal"] == "2000.00"


def test_fund_totals(session, province):
    totals = {t.fund: t for t in fund_totals(session, province)}

    assert totals["kkcj"].contracts == 1
    assert totals["womens_fund"].contracts == 3
    assert totals["womens_fund"].outstanding_principal == Decimal("1700.00")
    assert totals["womens_fund"].debtor_classes["paid_off"] == 1


def test_json_shape(book, session):
    book.contract("C-1", [(date(2025, 2, 1), "1234.5", "0"), (date(2025, 3, 1), "100", "0")])
    session.commit()

    data = one(session, date(2025, 2, 11)).to_json()

    assert data == {
        "fund": "womens_fund",
        "contract_no": "C-1",
        "borrower_name": "ผู้กู้ C-1",
        "area": "สระบุรี/แก่งคอย/หินซ้อน/หมู่ 3",
        "outstanding_principal": "1334.50",
        "overdue_amount": "1234.50",
        "days_past_due": 10,
        "aging_bucket": "1-30",
        "debtor_class": "late",
        "next_due_date": "2025-03-01",
        "next_due_amount": "100.00",
    }
