"""`seed_demo`: a realistic demo province (Saraburi) with staff, funds, borrowers and loans.

Deterministic for a given seed and `today`. Every debtor class is represented on `today`.
Borrowers, contracts and their histories go through the bulk loader (models/bulk_load.py):
the rules and audit entries of the functions staff use, written in batches, so 3,000
borrowers load in seconds instead of a minute.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.demo import geography, names
from bot.demo.fund_register import seed_fund_register
from bot.demo.histories import CLASSES, Plan, plan_contract, tell
from bot.errors import UserError
from bot.i18n import BE_OFFSET, _
from models.area import SEPARATOR, Area, new_area
from models.arrears import fund_totals
from models.audit import Actor, audit
from models.borrower import hash_national_id
from models.bulk_load import Book
from models.contract import Contract
from models.fund import Fund
from models.payment import Payment
from models.staff import Staff
from models.staff_login import create_demo_logins
from models.thai_text import name_key, split_title
from models.types import AreaLevel, BorrowerKind, FundKind, Role, Source

ACTOR = Actor("seed-demo", Source.CLI)
KKCJ_SHARE = 0.4
GROUP_SHARE = 0.12
NATIONAL_ID_SHARE = 0.6
# Village funds in Saraburi (the 2021 report), and borrowers per village fund in the demo.
KKCJ_FUNDS_MAX = 229
BORROWERS_PER_KKCJ_FUND = 6
# How the offices' debtors spread over the classes; village funds fare worse.
MIX = {
    FundKind.WOMENS_FUND: {
        "normal": 44,
        "late": 16,
        "defaulted": 10,
        "moratorium": 9,
        "restructured": 8,
        "restructured_late": 5,
        "paid_off": 8,
    },
    FundKind.KKCJ: {
        "normal": 34,
        "late": 18,
        "defaulted": 22,
        "moratorium": 6,
        "restructured": 7,
        "restructured_late": 6,
        "paid_off": 7,
    },
}


@dataclass
class SeedReport:
    """What seed_demo built, and the debtor classes the arrears engine sees on `today`."""

    today: date
    villages: int
    kkcj_funds: int
    borrowers: int
    groups: int
    contracts: int
    payments: int
    staff: dict[str, int]
    classes: dict[str, int]
    seconds: float
    # The staff dashboard's demo logins: (username, password), one per role.
    logins: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Province:
    """The area tree as built, kept in memory so borrowers need no lookups."""

    province: Area
    districts: dict[str, Area] = field(default_factory=dict)
    subdistricts: dict[str, list[Area]] = field(default_factory=dict)
    villages: list[Area] = field(default_factory=list)


@dataclass(frozen=True)
class _Borrower:
    """Who borrows: a person, or a member group with its representative."""

    is_group: bool
    village: Area
    name: str
    representative: str | None
    phone: str | None
    national_id: str | None


@dataclass
class _Loan:
    """One borrower and their contract, planned before anything is written."""

    kind: FundKind
    borrower: _Borrower
    plan: Plan
    contract_no: str = ""

    @property
    def village(self) -> Area:
        """The borrower's village."""
        return self.borrower.village


def seed_demo(
    session: Session,
    *,
    settings: Settings,
    borrowers: int = 3000,
    seed: int = 2569,
    today: date,
    progress: Callable[[str, int, int], None] | None = None,
) -> SeedReport:
    """Fill an empty database with the demo province; refuse when it already has contracts.

    `progress(stage, done, total)` hears how far "loans" (worked out in memory) and then
    "write" (rows inserted) have gone.
    """
    started = time.perf_counter()
    tick = progress or (lambda _stage, _done, _total: None)
    refuse_if_seeded(session)
    if borrowers < 1:
        raise UserError(_("The demo needs at least one borrower"))
    rng = random.Random(seed)
    book = Book(session, ACTOR)
    tree = _build_areas(session, rng, book)
    officers, staff_counts = _build_staff(session, rng, tree)
    womens_fund, kkcj_funds = _build_funds(session, rng, tree, borrowers)
    loans = _plan_loans(rng, tree, list(kkcj_funds), borrowers, today)
    _number_contracts(loans)
    for done, loan in enumerate(loans, start=1):
        fund = womens_fund if loan.kind is FundKind.WOMENS_FUND else kkcj_funds[loan.village.id]
        officer = officers[loan.village.subdistrict_id]
        _write_loan(book, rng, settings, loan, fund, officer, today)
        if done % 100 == 0 or done == len(loans):
            tick("loans", done, len(loans))
    total = book.row_count()
    written = 0

    def step(count: int) -> None:
        nonlocal written
        written += count
        tick("write", min(written, total), total)

    book.write(step)
    session.flush()
    seed_fund_register(session, ACTOR, list(kkcj_funds.values()), today, seed)
    logins = create_demo_logins(session, tree.province.name)
    return SeedReport(
        today=today,
        villages=len(tree.villages),
        kkcj_funds=len(kkcj_funds),
        borrowers=len(loans),
        groups=sum(1 for loan in loans if loan.borrower.is_group),
        contracts=len(loans),
        payments=session.scalar(select(func.count()).select_from(Payment)) or 0,
        staff=staff_counts,
        classes=class_counts(session, today),
        seconds=round(time.perf_counter() - started, 1),
        logins=logins,
    )


def contract_count(session: Session) -> int:
    """How many contracts the database holds."""
    return session.scalar(select(func.count()).select_from(Contract)) or 0


def class_counts(session: Session, today: date) -> dict[str, int]:
    """Contracts per debtor class on `today`, as the arrears engine classes them."""
    counts: Counter[str] = Counter()
    for totals in fund_totals(session, today, scope=None):
        counts.update(totals.debtor_classes)
    return {name: counts.get(name, 0) for name in CLASSES}


def refuse_if_seeded(session: Session) -> None:
    """Raise a UserError when the database already holds contracts."""
    count = contract_count(session)
    if count:
        raise UserError(
            _(
                "The database already has %(count)d contracts: the demo is only loaded into "
                "an empty database. Point DATABASE_URL at a new one to load it there.",
                count=count,
            )
        )


def _build_areas(session: Session, rng: random.Random, book: Book) -> _Province:
    """Province, districts, subdistricts and their numbered villages (หมู่ 1..N), created in
    one flush (ids taken first, so each area can name its parent)."""
    counts = geography.village_counts(rng)

    def add(parent: Area | None, level: AreaLevel, name: str, number: int | None = None):
        segment = f"หมู่ {number}" if number is not None else name
        path = segment if parent is None else parent.path + SEPARATOR + segment
        return new_area(session, parent, level, name, number, path, area_id=book.take_id(Area))

    tree = _Province(province=add(None, AreaLevel.PROVINCE, geography.PROVINCE))
    for district, subdistricts in geography.SUBDISTRICTS.items():
        district_area = tree.districts[district] = add(tree.province, AreaLevel.DISTRICT, district)
        for subdistrict in subdistricts:
            sub_area = add(district_area, AreaLevel.SUBDISTRICT, subdistrict)
            tree.subdistricts.setdefault(district, []).append(sub_area)
            for number in range(1, counts[(district, subdistrict)] + 1):
                village = add(sub_area, AreaLevel.VILLAGE, f"หมู่ {number}", number)
                tree.villages.append(village)
    session.flush()
    return tree


def _build_staff(
    session: Session, rng: random.Random, tree: _Province
) -> tuple[dict[int, Staff], dict[str, int]]:
    """Officers for every subdistrict, a head per district, fund staff per zone, one admin."""
    officers: dict[int, Staff] = {}
    per_district = geography.officer_counts()
    for district, subdistricts in tree.subdistricts.items():
        for chunk in _split(subdistricts, per_district[district]):
            officer = _add_staff(session, rng, Role.FIELD_OFFICER, chunk)
            officers.update((area.id, officer) for area in chunk)
    heads = [_add_staff(session, rng, Role.DISTRICT_HEAD, [d]) for d in tree.districts.values()]
    zones = [
        _add_staff(session, rng, Role.FUND_STAFF, [tree.districts[d] for d in zone])
        for zone in geography.ZONES
    ]
    _add_staff(session, rng, Role.ADMIN, [tree.province])
    counts = {
        Role.FIELD_OFFICER.value: len(set(map(id, officers.values()))),
        Role.FUND_STAFF.value: len(zones),
        Role.DISTRICT_HEAD.value: len(heads),
        Role.ADMIN.value: 1,
    }
    return officers, counts


def _split(items: list[Area], parts: int) -> list[list[Area]]:
    """`items` in `parts` contiguous runs of nearly equal length."""
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        runs.append(items[start:end])
        start = end
    return [run for run in runs if run]


def _add_staff(session: Session, rng: random.Random, role: Role, areas: list[Area]) -> Staff:
    title, name = names.person(rng, female=rng.random() < 0.65)
    staff = Staff(name=f"{title}{name}", role=role, areas=areas)
    session.add(staff)
    session.flush()
    audit(
        session,
        ACTOR,
        "staff.create",
        "staff",
        staff.id,
        after={"name": staff.name, "role": role, "areas": [a.path for a in areas]},
    )
    return staff


def _build_funds(
    session: Session, rng: random.Random, tree: _Province, borrowers: int
) -> tuple[Fund, dict[int, Fund]]:
    """The province's Women's Fund, and KKCJ funds in a sample of villages (by village id)."""
    womens = _add_fund(
        session, FundKind.WOMENS_FUND, f"กองทุนพัฒนาบทบาทสตรีจังหวัด{tree.province.name}", tree.province
    )
    wanted = round(borrowers * KKCJ_SHARE / BORROWERS_PER_KKCJ_FUND)
    count = max(1, min(KKCJ_FUNDS_MAX, wanted, len(tree.villages)))
    villages = sorted(rng.sample(tree.villages, count), key=lambda v: v.path)
    kkcj = {}
    for village in villages:
        name = f"กองทุน กข.คจ. {village.name} ต.{village.parent.name} อ.{village.parent.parent.name}"
        kkcj[village.id] = _add_fund(session, FundKind.KKCJ, name, village)
    return womens, kkcj


def _add_fund(session: Session, kind: FundKind, name: str, area: Area) -> Fund:
    fund = Fund(kind=kind, name=name, area=area)
    session.add(fund)
    session.flush()
    audit(
        session,
        ACTOR,
        "fund.create",
        "fund",
        fund.id,
        after={"kind": kind, "name": name, "area": area.path},
    )
    return fund


def _plan_loans(
    rng: random.Random, tree: _Province, kkcj_villages: list[int], borrowers: int, today: date
) -> list[_Loan]:
    """Who borrows from which fund, where, and the class their loan is in on `today`."""
    kkcj_count = round(borrowers * KKCJ_SHARE) if borrowers > 1 else 0
    by_id = {v.id: v for v in tree.villages}
    kkcj_homes = [by_id[i] for i in kkcj_villages]
    kinds = [FundKind.KKCJ] * kkcj_count + [FundKind.WOMENS_FUND] * (borrowers - kkcj_count)
    dealt = {kind: iter(_deal(rng, MIX[kind], kinds.count(kind))) for kind in FundKind}
    taken: set[tuple[int, str]] = set()
    national_ids: set[str] = set()
    loans = []
    for index, kind in enumerate(kinds):
        if kind is FundKind.KKCJ:
            # Every village fund lends to someone; the rest spread at random.
            home = kkcj_homes[index] if index < len(kkcj_homes) else rng.choice(kkcj_homes)
        else:
            home = rng.choice(tree.villages)
        is_group = kind is FundKind.WOMENS_FUND and rng.random() < GROUP_SHARE
        who = _borrower(rng, kind, is_group, home, taken, national_ids)
        plan = plan_contract(rng, next(dealt[kind]), kind, is_group, today)
        loans.append(_Loan(kind, who, plan))
    return loans


def _borrower(
    rng: random.Random,
    kind: FundKind,
    is_group: bool,
    home: Area,
    taken: set[tuple[int, str]],
    national_ids: set[str],
) -> _Borrower:
    """A person or a member group with a name not yet used in their village."""
    # Two borrowers of one name in one village would be taken for the same person.
    while True:
        if is_group:
            bare = name = names.group_name(rng, home.name, home.parent.name)
            title, representative = names.person(rng, female=True)
            representative = f"{title}{representative}"
        else:
            # The Women's Fund lends to women; village funds lend to the household's head.
            female = kind is FundKind.WOMENS_FUND or rng.random() < 0.55
            title, bare = names.person(rng, female=female)
            name, representative = f"{title}{bare}", None
        if (home.id, bare) not in taken:
            taken.add((home.id, bare))
            break
    national_id = None
    if not is_group and rng.random() < NATIONAL_ID_SHARE:
        national_id = _national_id(rng, national_ids)
    return _Borrower(is_group, home, name, representative, _phone(rng), national_id)


def _deal(rng: random.Random, mix: dict[str, int], total: int) -> list[str]:
    """`total` classes in the proportions of `mix`, each at least once when there is room."""
    weight = sum(mix.values())
    counts = {name: share * total // weight for name, share in mix.items()}
    if total >= len(mix):
        counts = {name: max(1, count) for name, count in counts.items()}
    by_share = sorted(mix, key=lambda name: mix[name], reverse=True)
    while sum(counts.values()) < total:
        for name in by_share[: total - sum(counts.values())]:
            counts[name] += 1
    while sum(counts.values()) > total:
        biggest = max(counts, key=lambda name: counts[name])
        counts[biggest] -= 1
    dealt = [name for name, count in counts.items() for _ in range(count)]
    rng.shuffle(dealt)
    return dealt


def _number_contracts(loans: list[_Loan]) -> None:
    """Contract numbers in signing order, restarting each Buddhist-Era year."""
    counters: Counter[tuple[str, int]] = Counter()
    for loan in sorted(loans, key=lambda loan: loan.plan.terms.contract_date):
        year = loan.plan.terms.contract_date.year + BE_OFFSET
        if loan.kind is FundKind.WOMENS_FUND:
            prefix = "สกส.สบ."
        else:
            prefix = f"กขคจ.{loan.village.parent.parent.name}"
        counters[(prefix, year)] += 1
        loan.contract_no = f"{prefix} {counters[(prefix, year)]}/{year}"


def _write_loan(
    book: Book,
    rng: random.Random,
    settings: Settings,
    loan: _Loan,
    fund: Fund,
    officer: Staff,
    today: date,
) -> None:
    """The borrower, their contract with its officer, and its history up to today."""
    who = loan.borrower
    title, bare = split_title(who.name)
    nid = who.national_id
    borrower_id = book.add_borrower(
        kind=BorrowerKind.GROUP if who.is_group else BorrowerKind.PERSON,
        title=title,
        name=bare,
        name_key=name_key(who.name),
        phone=who.phone,
        national_id_hash=hash_national_id(settings.secret_key, nid) if nid else None,
        national_id_last4=nid[-4:] if nid else None,
        area_id=who.village.id,
        area_path=who.village.path,
        locale=settings.locale,
        representative_name=who.representative,
    )
    terms = loan.plan.terms
    contract = book.add_contract(
        fund_id=fund.id,
        borrower_id=borrower_id,
        contract_no=loan.contract_no,
        principal=terms.principal,
        annual_interest_rate=terms.rate,
        contract_date=terms.contract_date,
        first_due_date=terms.first_due,
        installment_count=terms.count,
        frequency=terms.frequency,
        officer_id=officer.id,
    )
    tell(book, rng, contract, loan.plan, today)


def _phone(rng: random.Random) -> str:
    """A Thai mobile number: 06x, 08x or 09x and seven more digits."""
    return f"0{rng.choice('689')}{rng.randint(0, 99_999_999):08d}"


def _national_id(rng: random.Random, used: set[str]) -> str:
    """A checksum-valid 13-digit ID, registered in Saraburi (province code 19), not yet used."""
    while True:
        head = f"{rng.choice('1133')}19{rng.randint(1, 13):02d}{rng.randint(0, 9_999_999):07d}"
        total = sum(int(digit) * (13 - position) for position, digit in enumerate(head))
        candidate = head + str((11 - total % 11) % 10)
        if candidate not in used:
            used.add(candidate)
            return candidate
