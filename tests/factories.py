"""Small builders of real rows for tests: areas, funds, borrowers, contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from models.area import Area, ensure_area
from models.audit import Actor
from models.borrower import Borrower
from models.contract import Contract
from models.fund import Fund
from models.schedule import create_contract
from models.thai_text import name_key, split_title
from models.types import BorrowerKind, Frequency, FundKind, Source

TEST_ACTOR = Actor("test", Source.CLI)


def make_village(session, path: str = "แก่งคอย/หินซ้อน/หมู่ 3", province: str = "สระบุรี") -> Area:
    """The village at `path` (district/subdistrict/village) in `province`, created if missing."""
    district, subdistrict, village = path.split("/")
    return ensure_area(session, province, district, subdistrict, village)


def make_fund(session, kind: FundKind = FundKind.WOMENS_FUND, village: Area | None = None) -> Fund:
    """A fund: the Women's Fund on the village's province, a KKCJ fund on the village itself."""
    village = village or make_village(session)
    kind = FundKind(kind)
    if kind is FundKind.WOMENS_FUND:
        area = session.get(Area, village.province_id) if village.province_id else village
        name = f"กองทุนพัฒนาบทบาทสตรีจังหวัด{area.name}"
    else:
        area = village
        name = f"กข.คจ. {village.path}"
    existing = session.scalar(select(Fund).where(Fund.kind == kind, Fund.area_id == area.id))
    if existing is not None:
        return existing
    fund = Fund(kind=kind, name=name, area=area)
    session.add(fund)
    session.flush()
    return fund


def make_borrower(session, name: str = "สมศรี ใจดี", village: Area | None = None, **kw) -> Borrower:
    """A borrower living in `village` (the default village when not given)."""
    village = village or make_village(session)
    title, bare = split_title(name)
    values = {
        "kind": BorrowerKind.PERSON,
        "title": title,
        "name": bare,
        "name_key": name_key(bare),
        "area": village,
        "locale": "th",
        **kw,
    }
    borrower = Borrower(**values)
    session.add(borrower)
    session.flush()
    return borrower


def make_contract(
    session,
    contract_no: str = "W-001",
    principal: str | Decimal = "12000",
    rate: str | Decimal = "0",
    contract_date: date = date(2025, 1, 1),
    first_due: date = date(2025, 2, 1),
    count: int = 12,
    frequency: Frequency = Frequency.MONTHLY,
    fund: Fund | None = None,
    borrower: Borrower | None = None,
) -> Contract:
    """A contract with its schedule, built by the real create_contract."""
    borrower = borrower or make_borrower(session)
    fund = fund or make_fund(session, village=borrower.area)
    return create_contract(
        session,
        TEST_ACTOR,
        fund=fund,
        borrower=borrower,
        contract_no=contract_no,
        principal=Decimal(principal),
        annual_interest_rate=Decimal(rate),
        contract_date=contract_date,
        first_due_date=first_due,
        installment_count=count,
        frequency=frequency,
    )
