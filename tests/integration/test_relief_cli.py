"""`fundbot moratorium add` and `fundbot restructure`, end to end on the real database."""

from datetime import date

from sqlalchemy import select

from models.audit import AuditEntry
from models.contract import Contract
from models.relief import ReliefMeasure
from models.types import FundKind, Source
from tests.factories import make_contract, make_fund, make_village


def stored(db, contract_no="W-001", kind=FundKind.WOMENS_FUND):
    """Due dates and schedule of the contract as the database holds it."""
    from models.fund import Fund

    with db.sessions() as session:
        contract = session.scalar(
            select(Contract)
            .join(Fund)
            .where(Contract.contract_no == contract_no, Fund.kind == kind)
        )
        return contract.schedule_no, [
            (i.schedule_no, i.seq, i.due_date, i.superseded_on) for i in contract.installments
        ]


def test_moratorium_add_with_thai_dates(db, session, cli):
    make_contract(session, count=12)  # 1000 a month from 1 Feb 2025
    session.commit()

    result = cli(
        "moratorium", "add", "W-001", "--round", "2", "--start", "1/3/2568", "--end", "2025-05-31"
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert "W-001" in lines[0]
    assert "1 มี.ค. 2568" in lines[0] and "31 พ.ค. 2568" in lines[0]
    _, installments = stored(db)
    # #1 (1 Feb) fell due before the start and stays; #2-#12 move 3 months.
    assert [row[2] for row in installments[:3]] == [
        date(2025, 2, 1),
        date(2025, 6, 1),
        date(2025, 7, 1),
    ]
    assert installments[11][2] == date(2026, 4, 1)
    with db.sessions() as check:
        relief = check.scalar(select(ReliefMeasure))
        entry = check.scalar(select(AuditEntry).where(AuditEntry.action == "relief.moratorium"))
    assert (relief.round_no, relief.start_date, relief.end_date) == (
        2,
        date(2025, 3, 1),
        date(2025, 5, 31),
    )
    assert entry.source is Source.CLI
    assert entry.actor.startswith("cli:")


def test_restructure_command(db, session, cli):
    make_contract(session, principal="12000", rate="12", count=12)
    session.commit()

    result = cli(
        "restructure",
        "W-001",
        "--installments",
        "24",
        "--first-due",
        "1/7/2568",
        "--rate",
        "3",
        "--effective",
        "15/6/2568",
    )

    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    assert "12,000.00 บาท" in result.stdout  # nothing paid: all the principal
    assert "1 ก.ค. 2568" in result.stdout
    schedule_no, installments = stored(db)
    assert schedule_no == 2
    new = [row for row in installments if row[0] == 2]
    assert len(new) == 24
    assert (new[0][2], new[-1][2]) == (date(2025, 7, 1), date(2027, 6, 1))
    assert {row[3] for row in installments if row[0] == 1} == {date(2025, 6, 15)}


def test_bad_date_is_a_usage_error_on_stderr(db, session, cli):
    make_contract(session)
    session.commit()

    result = cli(
        "moratorium", "add", "W-001", "--round", "1", "--start", "31/2/2568", "--end", "1/5/2568"
    )

    assert result.exit_code == 2
    assert "31/2/2568" in result.stderr
    assert result.stdout == ""
    assert stored(db)[1][0][2] == date(2025, 2, 1)


def test_unknown_contract_is_reported_on_stderr(db, cli):
    result = cli(
        "restructure",
        "W-999",
        "--installments",
        "6",
        "--first-due",
        "2025-07-01",
        "--effective",
        "2025-06-15",
    )

    assert result.exit_code == 1
    assert "W-999" in result.stderr
    assert "Traceback" not in result.output


def test_start_after_end_is_refused(db, session, cli):
    make_contract(session)
    session.commit()

    result = cli(
        "moratorium", "add", "W-001", "--round", "1", "--start", "2025-06-01", "--end", "2025-03-01"
    )

    assert result.exit_code == 1
    assert result.stderr.strip()
    with db.sessions() as check:
        assert check.scalar(select(ReliefMeasure)) is None


def test_a_number_in_both_funds_needs_fund(db, session, cli):
    village = make_village(session)
    make_contract(session, fund=make_fund(session, FundKind.WOMENS_FUND, village))
    make_contract(session, fund=make_fund(session, FundKind.KKCJ, village))
    session.commit()
    args = (
        "moratorium",
        "add",
        "W-001",
        "--round",
        "1",
        "--start",
        "2025-02-01",
        "--end",
        "2025-02-28",
    )

    ambiguous = cli(*args)
    chosen = cli(*args, "--fund", "kkcj")

    assert ambiguous.exit_code == 1
    assert "--fund" in ambiguous.stderr
    assert chosen.exit_code == 0, chosen.output
    assert stored(db, kind=FundKind.KKCJ)[1][0][2] == date(2025, 3, 1)
    assert stored(db, kind=FundKind.WOMENS_FUND)[1][0][2] == date(2025, 2, 1)


def test_help_lists_the_options(cli):
    result = cli("restructure", "--help")

    assert result.exit_code == 0
    for option in ("--installments", "--first-due", "--rate", "--frequency", "--fund"):
        assert option in result.stdout
