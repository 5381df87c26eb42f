"""Property tests: what officers type gives a value or a clear ValueError, never a crash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from models.thai_text import loose_name_key, parse_date, parse_typed_amount

THAI = st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F)
TYPED = st.text(
    alphabet=st.one_of(THAI, st.sampled_from("0123456789/.-, บาทพันหมื่นk๑๕"), st.characters()),
    max_size=30,
)
TODAY = date(2026, 3, 11)


@settings(max_examples=400)
@given(TYPED)
def test_a_date_or_a_value_error(text):
    try:
        result = parse_date(text, today=TODAY)
    except ValueError:
        return
    assert isinstance(result, date)


@settings(max_examples=400)
@given(TYPED)
def test_an_amount_or_a_value_error(text):
    try:
        amount = parse_typed_amount(text)
    except ValueError:
        return
    assert isinstance(amount, Decimal) and amount > 0
    assert amount == amount.quantize(Decimal("0.01"))


@settings(max_examples=400)
@given(TYPED)
def test_a_name_key_or_a_value_error(text):
    try:
        key = loose_name_key(text)
    except ValueError:
        return
    assert key and not any(ch.isspace() for ch in key)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)))
def test_a_buddhist_era_date_reads_back(day):
    assert parse_date(f"{day.day}/{day.month}/{day.year + 543}") == day


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2))
def test_a_grouped_amount_reads_back(amount):
    assert parse_typed_amount(f"{amount:,} บาท") == amount


def test_the_forms_officers_type():
    for typed, expected in [
        ("15/3/69", date(2026, 3, 15)),
        ("15/03/2569", date(2026, 3, 15)),
        ("15 มี.ค. 69", date(2026, 3, 15)),
        ("2026-03-15", date(2026, 3, 15)),
        ("วันนี้", TODAY),
        ("พรุ่งนี้", date(2026, 3, 12)),
        ("มะรืน", date(2026, 3, 13)),
        ("จันทร์หน้า", date(2026, 3, 16)),
    ]:
        assert parse_date(typed, today=TODAY) == expected, typed
    for typed, expected in [
        ("1500", "1500"),
        ("1,500", "1500"),
        ("1500.50", "1500.50"),
        ("1.5พัน", "1500"),
        ("๑,๕๐๐ บาท", "1500"),
        ("2 หมื่น", "20000"),
    ]:
        assert parse_typed_amount(typed) == Decimal(expected), typed
