"""Finding debtors within a scope (models/directory.py): areas, names, contract numbers, pages."""

from __future__ import annotations

import pytest

from models.directory import MAX_PAGE, find_debtors
from tests.factories import make_borrower, make_contract, make_village


@pytest.fixture
def people(session):
    hin_sorn = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 3")
    sibling = make_village(session, "แก่งคอย2/ตาลเดี่ยว/หมู่ 1")
    somsri = make_borrower(session, "นางสมศรี ใจดี", village=hin_sorn)
    mana = make_borrower(session, "นายมานะ อดทน", village=sibling)
    make_contract(session, contract_no="สกส.สบ. 187/2569", borrower=somsri)
    make_contract(session, contract_no="กขคจ.100%", borrower=mana)
    session.commit()
    return {"somsri": somsri.id, "mana": mana.id}


def names(page) -> list[str]:
    return [b.name for b in page.borrowers]


def test_the_scope_is_the_callers_areas(session, people):
    assert names(find_debtors(session, None)) == ["สมศรี ใจดี", "มานะ อดทน"]
    # A sibling with the same prefix is not inside แก่งคอย.
    assert names(find_debtors(session, ["สระบุรี/แก่งคอย"])) == ["สมศรี ใจดี"]
    assert find_debtors(session, []).total == 0


def test_contract_numbers_match_without_spaces_in_thai_digits_and_any_case(session, people):
    for typed in ("สกส.สบ.187/2569", "สกส.สบ. 187", "๑๘๗/๒๕๖๙", "187"):
        page = find_debtors(session, None, typed)
        assert names(page) == ["สมศรี ใจดี"], typed
        assert page.contract_numbers[people["somsri"]] == ["สกส.สบ. 187/2569"]


def test_names_match_with_or_without_title_and_spaces(session, people):
    for typed in ("สมศรี", "นาง สมศรี", "สมศรีใจดี", "ใจดี"):
        assert names(find_debtors(session, None, typed)) == ["สมศรี ใจดี"], typed
    assert names(find_debtors(session, None, "นาง")) == []


def test_area_paths_match(session, people):
    assert names(find_debtors(session, None, "หินซ้อน")) == ["สมศรี ใจดี"]


def test_wildcards_are_plain_characters(session, people):
    assert names(find_debtors(session, None, "100%")) == ["มานะ อดทน"]
    assert names(find_debtors(session, None, "%")) == ["มานะ อดทน"]
    assert find_debtors(session, None, "_").total == 0


def test_pages_and_the_total(session, people):
    village = make_village(session, "แก่งคอย/หินซ้อน/หมู่ 4")
    for n in range(5):
        make_borrower(session, f"สมใจ {n}", village=village)
    session.commit()
    first = find_debtors(session, None, "สมใจ", limit=3)
    rest = find_debtors(session, None, "สมใจ", offset=3, limit=3)
    assert first.total == rest.total == 5
    assert names(first) + names(rest) == [f"สมใจ {n}" for n in range(5)]
    assert len(find_debtors(session, None, limit=10 * MAX_PAGE).borrowers) <= MAX_PAGE
