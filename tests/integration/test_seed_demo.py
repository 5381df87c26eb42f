"""The demo province: every debtor class on the day, staff for every area, no double loading."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.demo import geography
from bot.demo.histories import CLASSES as DEBTOR_CLASSES_PRINTED
from bot.demo.seed import class_counts, contract_count, seed_demo
from bot.errors import UserError
from models.area import Area
from models.arrears import DEBTOR_CLASSES, contract_arrears
from models.audit import AuditEntry
from models.borrower import Borrower
from models.contract import Contract
from models.payment import Payment
from models.relief import ReliefMeasure
from models.staff import Staff
from models.types import AreaLevel, BorrowerKind, ReliefKind, Role
from tests.conftest import _empty_tables

TODAY = date(2026, 3, 15)
BORROWERS = 120


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def province(request, tmp_path_factory):
    """A small demo province, seeded once per engine for the read-only tests below."""
    database = request.getfixturevalue(f"_{request.param}_db")
    _empty_tables(database)
    instance = tmp_path_factory.mktemp("instance")
    settings = Settings.from_env(
        {
            "DATABASE_URL": database.url,
            "FUNDBOT_INSTANCE_PATH": str(instance),
            "FUNDBOT_SECRET_KEY": "test-secret",
        }
    )
    with database.session() as session:
        report = seed_demo(session, settings=settings, borrowers=BORROWERS, today=TODAY)
    return database, settings, report


@pytest.fixture
def seeded(province):
    """The report of the seeded province (its rows are still in the database)."""
    return province[2]


@pytest.fixture
def session(province):
    """A session on the seeded province; tests here only read."""
    database, _settings, report = province
    with database.sessions() as session:
        assert contract_count(session) == report.contracts, "the demo rows were wiped"
        yield session


@pytest.fixture
def settings(province):
    """The settings the province was seeded with."""
    return province[1]


def test_every_debtor_class_is_present_on_the_day(seeded, session):
    classes = Counter(row.debtor_class for row in contract_arrears(session, TODAY, scope=None))
    assert set(DEBTOR_CLASSES) == {name for name, count in classes.items() if count > 0}
    assert seeded.classes == {name: classes[name] for name in seeded.classes}
    assert seeded.contracts == sum(classes.values()) == BORROWERS
    # Most debtors pay: the offices' worry is the minority that does not.
    assert classes["normal"] > classes["late"] > 0
    assert classes["normal"] + classes["paid_off"] > seeded.contracts / 3


def test_areas_borrowers_and_contracts_look_like_saraburi(seeded, session):
    districts = session.scalars(select(Area.name).where(Area.level == AreaLevel.DISTRICT))
    assert set(districts) == set(geography.DISTRICTS)
    levels = dict(session.execute(select(Area.level, func.count()).group_by(Area.level)).all())
    assert levels[AreaLevel.SUBDISTRICT] == 111
    assert levels[AreaLevel.VILLAGE] == geography.VILLAGE_TOTAL == seeded.villages
    borrowers = list(session.scalars(select(Borrower)))
    people = [b for b in borrowers if b.kind is BorrowerKind.PERSON]
    groups = [b for b in borrowers if b.kind is BorrowerKind.GROUP]
    assert {b.title for b in people} == {"นาย", "นาง", "นางสาว"}
    assert groups and all(g.name.startswith("กลุ่มสตรี") and g.representative_name for g in groups)
    assert all(b.phone[:2] in ("06", "08", "09") and len(b.phone) == 10 for b in borrowers)
    with_id = [b for b in people if b.national_id_hash]
    assert 0 < len(with_id) < len(people)
    numbers = list(session.scalars(select(Contract.contract_no)))
    assert len(set(numbers)) == len(numbers)
    assert any(n.startswith("สกส.สบ. ") for n in numbers)
    assert any(n.startswith("กขคจ.") for n in numbers)


def test_relief_rounds_include_moratoriums_ending_within_a_month(seeded, session):
    current = list(
        session.scalars(
            select(ReliefMeasure).where(
                ReliefMeasure.kind == ReliefKind.MORATORIUM,
                ReliefMeasure.start_date <= TODAY,
                ReliefMeasure.end_date >= TODAY,
            )
        )
    )
    assert {m.round_no for m in current} <= {1, 2, 3, 4}
    assert any(m.end_date <= TODAY + timedelta(days=30) for m in current)
    assert any(m.end_date > TODAY + timedelta(days=30) for m in current)


def test_staff_of_every_role_cover_their_areas(seeded, session):
    staff = list(session.scalars(select(Staff)))
    roles = Counter(s.role for s in staff)
    assert roles == {
        Role.FIELD_OFFICER: geography.FIELD_OFFICER_TOTAL,
        Role.DISTRICT_HEAD: len(geography.DISTRICTS),
        Role.FUND_STAFF: len(geography.ZONES),
        Role.ADMIN: 1,
    }
    assert all(s.areas for s in staff)
    covered = {a.id for s in staff if s.role is Role.FIELD_OFFICER for a in s.areas}
    subdistricts = set(session.scalars(select(Area.id).where(Area.level == AreaLevel.SUBDISTRICT)))
    assert covered == subdistricts


def test_every_contract_is_followed_by_an_officer_of_its_area(seeded, session):
    contracts = list(session.scalars(select(Contract)))
    for contract in contracts:
        officer = session.get(Staff, contract.officer_id)
        assert officer.role is Role.FIELD_OFFICER
        assert any(area.contains(contract.borrower.area) for area in officer.areas), (
            contract.contract_no
        )


def test_everything_is_audited_as_seed_demo(seeded, session):
    actions = Counter(
        session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "seed-demo"))
    )
    assert actions["contract.create"] == seeded.contracts
    assert (
        actions["payment.record"]
        == seeded.payments
        == session.scalar(select(func.count()).select_from(Payment))
    )
    assert actions["staff.create"] == sum(seeded.staff.values())
    assert actions["relief.moratorium"] > 0 and actions["relief.restructure"] > 0


def test_seeding_twice_is_refused(seeded, session, settings):
    with pytest.raises(UserError, match=str(BORROWERS)):
        seed_demo(session, settings=settings, borrowers=10, today=TODAY)


def test_cli_demo_loads_once_then_refuses_and_reuses(cli, db):
    first = cli("demo", "--no-serve", "--borrowers", "30")
    assert first.exit_code == 0, first.output
    with db.sessions() as session:
        assert contract_count(session) == 30
    url = make_url(db.url)
    where = url.database if db.is_sqlite else f"{url.host}:{url.port}/{url.database}"
    assert where in first.stdout.splitlines()[-1]
    assert "admin / demo-admin-2569" in first.stdout

    again = cli("seed-demo", "--borrowers", "30", "--today", "15/3/2569")
    assert again.exit_code == 1
    assert "30" in again.stderr and "Traceback" not in again.output
    with db.sessions() as session:
        assert contract_count(session) == 30

    reuse = cli("demo", "--no-serve")
    assert reuse.exit_code == 0, reuse.output
    # The same classes are listed as after loading: one line per class, with its count.
    assert first.stdout.splitlines()[-8:] == reuse.stdout.splitlines()[-8:]


def test_cli_seed_demo_on_a_thai_date(cli, db):
    result = cli("seed-demo", "--borrowers", "25", "--seed", "7", "--today", "15/3/2569")
    assert result.exit_code == 0, result.output
    assert "15 มี.ค. 2569" in result.stdout
    with db.sessions() as session:
        assert class_counts(session, date(2026, 3, 15)) == class_counts_in(result.stdout)
        assert class_counts(session, date(2026, 3, 15))["late"] > 0


def class_counts_in(stdout: str) -> dict[str, int]:
    """The per-class counts the summary printed, in the engine's class order."""
    lines = [line for line in stdout.splitlines() if line.startswith("  ")]
    counts = [int(line.rsplit(":", 1)[1].replace(",", "")) for line in lines]
    return dict(zip(DEBTOR_CLASSES_PRINTED, counts, strict=True))
