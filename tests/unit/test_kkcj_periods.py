"""Reporting periods (months, fiscal quarters from 1 October) and Thai dictionary order."""

from __future__ import annotations

from datetime import date

import pytest

from models.errors import DomainError
from models.kkcj_followup import (
    fiscal_quarter,
    month_before,
    month_of,
    parse_month,
    parse_quarter,
    quarter_of,
)
from models.thai_order import thai_key


@pytest.mark.parametrize("text", ["2569-10", "10/2569", "10/69", "๑๐/๒๕๖๙", "2026-10", " 2569/10 "])
def test_a_month_in_either_era(text):
    period = parse_month(text)
    assert (period.start, period.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert period.due == date(2026, 11, 15)
    assert period.key == "2569-10"
    assert period.fiscal_year == 2027  # October starts fiscal year 2570


@pytest.mark.parametrize(
    "text", ["2570Q1", "2570q1", "2570/Q1", "Q1/2570", "ไตรมาส 1/2570", "2027Q1"]
)
def test_the_first_quarter_is_october_to_december(text):
    period = parse_quarter(text)
    assert (period.start, period.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period.due == period.end
    assert period.key == "2570Q1"


def test_the_four_quarters_follow_the_fiscal_year():
    bounds = [(q.start, q.end) for q in (fiscal_quarter(2027, n) for n in range(1, 5))]
    assert bounds == [
        (date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 6, 30)),
        (date(2027, 7, 1), date(2027, 9, 30)),
    ]
    assert quarter_of(date(2027, 5, 20)).key == "2570Q3"
    assert quarter_of(date(2026, 9, 30)).key == "2569Q4"
    assert month_of(date(2024, 2, 10)).end == date(2024, 2, 29)


@pytest.mark.parametrize("text", ["2569-13", "13/2569", "ตุลา", "", "2569Q5"])
def test_a_wrong_month_is_refused(text):
    with pytest.raises(DomainError) as refused:
        parse_month(text)
    assert refused.value.code == "bad_month"


@pytest.mark.parametrize("text", ["2570Q0", "2570Q5", "Q/2570", "2570-10"])
def test_a_wrong_quarter_is_refused(text):
    with pytest.raises(DomainError) as refused:
        parse_quarter(text)
    assert refused.value.code == "bad_quarter"


def test_districts_in_thai_dictionary_order():
    districts = ["เสาไห้", "หนองแค", "แก่งคอย", "เมืองสระบุรี", "วังม่วง", "หนองแซง", "ดอนพุด"]
    assert sorted(districts, key=thai_key) == [
        "แก่งคอย",
        "ดอนพุด",
        "เมืองสระบุรี",
        "วังม่วง",
        "เสาไห้",
        "หนองแค",
        "หนองแซง",
    ]


def test_the_month_due_next_is_last_month():
    assert month_before(date(2026, 1, 10)).key == "2568-12"
    assert month_before(date(2026, 3, 31)).end == date(2026, 2, 28)
