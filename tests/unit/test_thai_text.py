"""Parsing Thai input: dates in the Buddhist Era, amounts, rates, titles, IDs and phones."""

from datetime import date
from decimal import Decimal

import pytest

from models.thai_text import (
    name_key,
    normalize_phone,
    parse_amount,
    parse_date,
    parse_rate,
    split_title,
    thai_digits_to_arabic,
    validate_national_id,
)

TODAY = date(2026, 5, 20)


def test_thai_digits_become_arabic_and_nothing_else_changes():
    assert thai_digits_to_arabic("งวด ๑๒ เงิน ๑,๕๐๐.๕๐") == "งวด 12 เงิน 1,500.50"


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-15",
        "15/3/2569",
        "15/03/2569",
        "15-3-2569",
        "15.3.2569",
        "15/3/69",
        "15 มี.ค. 2569",
        "15 มีค 2569",
        "15 มีนาคม 2569",
        "15 มี.ค. 69",
        "15มี.ค.69",
        "15 มี.ค. พ.ศ. 2569",
        "วันที่ 15 มีนาคม 2569",
        "๑๕/๓/๒๕๖๙",
        "๑๕ มี.ค. ๖๙",
        "  15/3/2569  ",
        "2569-03-15",
        "15/3/2026",
        "15 มี.ค. ค.ศ. 2026",
    ],
)
def test_the_ways_people_write_15_march_2026(text):
    assert parse_date(text, today=TODAY) == date(2026, 3, 15)


def test_29_february_exists_in_be_2567_which_is_the_leap_year_2024():
    assert parse_date("29/2/2567") == date(2024, 2, 29)
    assert parse_date("29 ก.พ. 67") == date(2024, 2, 29)
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("29/2/2566")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1/00", date(1957, 1, 1)),  # BE 2500
        ("31/12/99", date(2056, 12, 31)),  # BE 2599
        ("1/10/64", date(2021, 10, 1)),  # the fiscal year of the seed report
    ],
)
def test_two_digit_years_are_buddhist_era(text, expected):
    assert parse_date(text) == expected


def test_relative_and_yearless_dates_use_today():
    assert parse_date("วันนี้", today=TODAY) == TODAY
    assert parse_date("today", today=TODAY) == TODAY
    assert parse_date("เมื่อวาน", today=TODAY) == date(2026, 5, 19)
    assert parse_date("15/3", today=TODAY) == date(2026, 3, 15)
    assert parse_date("1 ม.ค.", today=TODAY) == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/2/2569", "not a real date"),
        ("32/1/2569", "not a real date"),
        ("15/13/2569", "not a real date"),
        ("15/3/2300", "ambiguous year"),
        ("15/3/1850", "out of range"),
        ("15 มีน 2569", "is not a date"),
        ("15/3/569", "is not a date"),
        ("yesterday-ish", "is not a date"),
        ("", "is not a date"),
    ],
)
def test_impossible_or_unreadable_dates_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(text, today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,500", "1500"),
        ("๑,๕๐๐", "1500"),
        ("1500.5", "1500.5"),
        ("1,500 บาท", "1500"),
        ("฿1,500.00", "1500.00"),
        ("1,500.-", "1500"),
        ("1,234,567.89", "1234567.89"),
        ("0", "0"),
    ],
)
def test_amounts(text, expected):
    amount = parse_amount(text)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-500", "negative"),
        ("12,0x0", "not an amount"),
        ("1.505", "more than 2 decimals"),
        ("1,50", "not an amount"),
        ("15,00,000", "not an amount"),
        ("1e5", "not an amount"),
        ("NaN", "not an amount"),
        ("", "not an amount"),
    ],
)
def test_bad_amounts_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", "3"), ("3.5", "3.5"), ("3.5%", "3.5"), ("0", "0"), ("ร้อยละ ๓ ต่อปี", "3")],
)
def test_rates(text, expected):
    assert parse_rate(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("101", "more than 100"), ("-1", "negative"), ("3.5.1", "not a rate"), ("x", "not a rate")],
)
def test_bad_rates_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_rate(text)


@pytest.mark.parametrize(
    ("text", "title", "name"),
    [
        ("นางสาวสมศรี ใจดี", "นางสาว", "สมศรี ใจดี"),  # not นาง + "สาวสมศรี"
        ("นาง สาวิตรี ใจดี", "นาง", "สาวิตรี ใจดี"),
        ("นางสมศรี  ใจดี", "นาง", "สมศรี ใจดี"),
        ("นายสมชาย", "นาย", "สมชาย"),
        ("น.ส.มาลี", "น.ส.", "มาลี"),
        ("ด.ญ. แก้ว", "ด.ญ.", "แก้ว"),
        ("ด.ช.ก้อง", "ด.ช.", "ก้อง"),
        ("Mrs. Smith", "Mrs.", "Smith"),
        ("Mr Smith", "Mr", "Smith"),
        ("Ms.Lee", "Ms.", "Lee"),
        ("Mrsmith", None, "Mrsmith"),
        ("กลุ่มแม่บ้านบ้านลำ", None, "กลุ่มแม่บ้านบ้านลำ"),
    ],
)
def test_split_title(text, title, name):
    assert split_title(text) == (title, name)


def test_a_title_alone_is_not_a_name():
    with pytest.raises(ValueError, match="no name"):
        split_title("นางสาว ")


def test_name_key_ignores_title_spacing_case_and_how_sara_am_was_typed():
    assert name_key("นางสาวสมศรี ใจดี") == name_key("น.ส. สมศรี  ใจดี") == "สมศรีใจดี"
    assert name_key("Mrs. Jane Smith") == "janesmith"
    # "ทํา" typed as nikhahit + sara aa is the same name as "ทำ" with sara am.
    assert name_key("นายทํานอง ดี") == name_key("นายทำนอง ดี")
    assert name_key("นางสมศรี") != name_key("นางสมศักดิ์")


def _with_check_digit(first12: str) -> str:
    total = sum(int(first12[i]) * (13 - i) for i in range(12))
    return first12 + str((11 - total % 11) % 10)


def test_national_id_checksum():
    nid = _with_check_digit("110170020345")
    assert validate_national_id(nid) == nid
    dashed = f"{nid[0]}-{nid[1:5]}-{nid[5:10]}-{nid[10:12]}-{nid[12]}"
    assert validate_national_id(dashed) == nid
    assert validate_national_id(nid.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))) == nid
    wrong = nid[:12] + str((int(nid[12]) + 1) % 10)
    with pytest.raises(ValueError, match="check digit"):
        validate_national_id(wrong)
    with pytest.raises(ValueError, match="13 digits"):
        validate_national_id(nid[:12])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("081-234-5678", "0812345678"),
        ("๐๘๑ ๒๓๔ ๕๖๗๘", "0812345678"),
        ("+66 81 234 5678", "0812345678"),
        ("+66 (0)81 234 5678", "0812345678"),
        ("66812345678", "0812345678"),
        ("0612345678", "0612345678"),
        ("092.123.4567", "0921234567"),
        ("02-123-4567", "021234567"),
        ("036 211 234", "036211234"),
    ],
)
def test_phones(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize("text", ["12345", "0712345678", "081234567", "08123456789", "abc"])
def test_bad_phones_are_refused(text):
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(text)
