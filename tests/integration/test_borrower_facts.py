"""One debtor's balance in one statement (models.arrears.borrower_arrears_with_facts): the same
rows as contract_arrears, each with its fund's village, its officer and a moratorium in force."""

from __future__ import annotations

from datetime import date

from models.arrears import ContractFacts, borrower_arrears_with_facts, contract_arrears
from models.relief_rules import add_moratorium
from models.staff import Staff
from models.types import FundKind, Role
from tests.factories import TEST_ACTOR, make_borrower, make_contract, make_fund, make_village

DAY = date(2025, 6, 15)


def test_a_debtors_contracts_come_with_their_facts(session):
    home = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    other = make_village(session, "แก่งคอย/ตาลเดี่ยว/หมู่ 7")
    somsri = make_borrower(session, "นางสมศรี ใจดี", village=home)
    officer = Staff(name="สมชาย", role=Role.FIELD_OFFICER, phone="0812345678")
    session.add(officer)
    session.flush()
    watched = make_contract(session, "W-002", borrower=somsri)
    watched.officer_id = officer.id
    village_loan = make_contract(
        session, "K-001", borrower=somsri, fund=make_fund(session, FundKind.KKCJ, village=other)
    )
    add_moratorium(
        session, TEST_ACTOR, village_loan, round_no=1, start=date(2025, 5, 1), end=date(2025, 7, 31)
    )
    make_contract(session, "W-009", borrower=make_borrower(session, "นางมะลิ ดีใจ"))
    session.commit()

    found = borrower_arrears_with_facts(session, DAY, somsri.id)

    assert [row for row, _facts in found] == contract_arrears(
        session, DAY, scope=None, borrower_id=somsri.id
    )
    facts = {row.contract_no: extra for row, extra in found}
    assert facts == {
        "K-001": ContractFacts(7, other.name, None, None, None, None, date(2025, 7, 31)),
        # The Women's Fund is the province's: no village number.
        "W-002": ContractFacts(None, "สระบุรี", officer.id, "สมชาย", "0812345678", True, None),
    }
    assert borrower_arrears_with_facts(session, DAY, somsri.id + 1000) == []
