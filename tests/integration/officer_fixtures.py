"""Shared rows for the officer command tests: an officer of หินซ้อน and two debtors."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.area import Area
from models.staff import Staff
from models.types import Role
from tests.factories import make_borrower, make_contract, make_village

# Wednesday 11 March 2026, 10:00 in Bangkok: the first installments are overdue.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
TODAY = date(2026, 3, 11)


def setup_officer(session) -> dict:
    village = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    subdistrict = session.scalar(select(Area).where(Area.path == "สระบุรี/แก่งคอย/หินซ้อน"))
    officer = Staff(
        name="สมชาย รักงาน", role=Role.FIELD_OFFICER, line_user_id="Uofficer", areas=[subdistrict]
    )
    session.add(officer)
    somsri = make_borrower(session, "นางสมศรี ใจดี", village, phone="0812345678")
    contract = make_contract(
        session,
        "W-001",
        principal="12000",
        contract_date=date(2025, 12, 1),
        first_due=date(2026, 1, 1),
        borrower=somsri,
    )
    far = make_borrower(session, "นางบุญมี ไกลบ้าน", make_village(session, "เสาไห้/เริงราง/หมู่ 1"))
    make_contract(session, "W-900", borrower=far)
    session.commit()
    return {"officer": officer, "somsri": somsri, "contract": contract}
