"""Naming a contract on the command line: spaces ignored, --fund and --area for repeats."""

from models.types import FundKind
from tests.factories import make_borrower, make_contract, make_fund, make_village


def two_village_funds_with_number_one(session):
    """KKCJ contract 1/2565 in two villages' funds, as the register of every village has."""
    for path, name in (("แก่งคอย/หินซ้อน/หมู่ 3", "สมศรี ใจดี"), ("หนองแค/โคกแย้/หมู่ 1", "มาลี ศรีสุข")):
        village = make_village(session, path)
        make_contract(
            session,
            contract_no="1/2565",
            fund=make_fund(session, FundKind.KKCJ, village),
            borrower=make_borrower(session, name, village=village),
        )
    session.commit()


def test_a_repeated_kkcj_number_asks_for_the_village(db, session, cli):
    two_village_funds_with_number_one(session)

    refused = cli("link-code", "1/2565", "--fund", "kkcj")

    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "--area" in message
    assert "แก่งคอย/หินซ้อน/หมู่ 3" in message and "หนองแค/โคกแย้/หมู่ 1" in message


def test_area_picks_the_village_fund(db, session, cli):
    two_village_funds_with_number_one(session)

    result = cli("link-code", "1/2565", "--area", "หนองแค/โคกแย้/หมู่ 1")

    assert result.exit_code == 0, result.output
    assert "มาลี ศรีสุข" in result.stdout
    assert len(result.stdout.strip().splitlines()[-1]) == 6  # the code alone on the last line


def test_an_unknown_area_is_one_line(db, session, cli):
    two_village_funds_with_number_one(session)

    result = cli("link-code", "1/2565", "--area", "ไม่มี/ที่นี่")

    assert result.exit_code == 1
    assert result.stderr.strip() == "ข้อผิดพลาด: ไม่พบพื้นที่: ไม่มี/ที่นี่"


def test_a_number_typed_without_its_space_is_found(db, session, cli):
    make_contract(session, contract_no="สกส.สบ. 187/2569")
    session.commit()

    result = cli("link-code", "สกส.สบ.๑๘๗/๒๕๖๙")

    assert result.exit_code == 0, result.output
    assert "สกส.สบ. 187/2569" in result.stdout
