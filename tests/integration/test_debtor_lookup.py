"""The debtor finder officers' commands share (models/debtor_lookup.py), on both engines."""

from __future__ import annotations

from models.debtor_lookup import MAX_CANDIDATES, find_debtor
from tests.factories import make_borrower, make_contract, make_village

HOME = "แก่งคอย/หินซ้อน/หมู่ 3"
ELSEWHERE = "เสาไห้/เริงราง/หมู่ 1"


def test_contract_phone_and_name_typed_loosely_find_the_one_debtor(session):
    contract = make_contract(session, "สกส.สบ. 187/2569")
    somsri = contract.borrower
    somsri.phone = "0812345678"
    make_borrower(session, "นายสมชาย ขยันดี")
    session.flush()
    scope = ["สระบุรี/แก่งคอย"]
    for typed in (
        "สกส.สบ.187/2569",
        "สกส.สบ. ๑๘๗/๒๕๖๙",
        "081-234-5678",
        "นางสมศรี ใจดี",
        "สมศรีใจดี",
        "สมศรี  ใจดี่",  # a stray tone mark
        "สมศรี",  # the first name alone, when only one has it
    ):
        found = find_debtor(session, scope, typed)
        assert found.exact, typed
        assert found.borrowers == [somsri], typed
    assert find_debtor(session, scope, "สกส.สบ.187/2569").contract is contract


def test_namesakes_and_typos_give_candidates_not_a_guess(session):
    village = make_village(session, HOME)
    first = make_borrower(session, "สมศรี ใจดี", village)
    second = make_borrower(session, "สมศรี ใจงาม", village)
    found = find_debtor(session, None, "สมศรี")
    assert not found.exact
    assert set(found.borrowers) == {first, second}
    typo = find_debtor(session, None, "สมสรี ใจดี")
    assert not typo.exact
    assert typo.borrowers[0] == first


def test_only_debtors_in_the_officers_areas_are_found(session):
    make_borrower(session, "สมศรี ใจดี", make_village(session, ELSEWHERE))
    assert find_debtor(session, ["สระบุรี/แก่งคอย"], "สมศรี ใจดี").borrowers == []
    assert find_debtor(session, [], "สมศรี ใจดี").borrowers == []
    assert find_debtor(session, ["สระบุรี/เสาไห้"], "สมศรี ใจดี").exact


def test_nothing_close_says_none_and_suggests_the_closest(session):
    make_borrower(session, "บุญมี ศรีสุข")
    found = find_debtor(session, None, "บุญมา ศรีสด")
    assert found.borrowers == [] or not found.exact
    nothing = find_debtor(session, None, "xyz")
    assert nothing.borrowers == [] and not nothing.exact


def test_at_most_thirteen_candidates(session):
    village = make_village(session, HOME)
    for n in range(20):
        make_borrower(session, f"สมศรี นามสกุล{n:02d}", village)
    found = find_debtor(session, None, "สมศรี")
    assert len(found.borrowers) == MAX_CANDIDATES
    assert not found.exact
