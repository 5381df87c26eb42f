"""Parsing what people type in Thai: dates (Buddhist Era), amounts, names, IDs, phones.

Pure functions. Bad input raises ValueError whose message is a short English predicate
("is not a date"); the messages are marked with N_ so callers can translate them with `_()`.

Year rule for dates: a year of 2400 or more is Buddhist Era (CE + 543); a four-digit year
below 2200 is Common Era; 2200-2399 is refused as ambiguous; a two-digit year is BE
(69 means 2569). ISO dates (2026-03-15) follow the same rule, so 2569-03-15 is BE too.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

BE_OFFSET = 543
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def thai_digits_to_arabic(text: str) -> str:
    """Replace Thai digits (๐-๙) with 0-9, leaving everything else as it is."""
    return text.translate(_THAI_DIGITS)


# ---------------------------------------------------------------------------- dates

_MONTHS = {
    1: ("มกราคม", "มค"),
    2: ("กุมภาพันธ์", "กพ"),
    3: ("มีนาคม", "มีค"),
    4: ("เมษายน", "เมย"),
    5: ("พฤษภาคม", "พค"),
    6: ("มิถุนายน", "มิย"),
    7: ("กรกฎาคม", "กค"),
    8: ("สิงหาคม", "สค"),
    9: ("กันยายน", "กย"),
    10: ("ตุลาคม", "ตค"),
    11: ("พฤศจิกายน", "พย"),
    12: ("ธันวาคม", "ธค"),
}
_MONTH_BY_NAME = {name: number for number, names in _MONTHS.items() for name in names}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?$")
# Day, month name, an optional era mark (พ.ศ. or ค.ศ.), an optional year.
_NAMED = re.compile(
    r"^(\d{1,2})\s*([^\d\s][^\d]*?)\s*(?:(พ\.?\s*ศ\.?|ค\.?\s*ศ\.?)\s*)?(\d{2}|\d{4})?$"
)
# Stands in for a missing `today`: a year outside anything typed, so relative dates fail.
_NO_TODAY = date(1, 1, 1)
_TODAY = {"today", "วันนี้"}
_YESTERDAY = {"yesterday", "เมื่อวาน", "เมื่อวานนี้"}
# Days from today, as officers say them.
_RELATIVE = {
    "tomorrow": 1,
    "พรุ่งนี้": 1,
    "พรุ่งนี้นี้": 1,
    "มะรืน": 2,
    "มะรืนนี้": 2,
    "วันมะรืน": 2,
    "วันมะรืนนี้": 2,
}
_WEEKDAYS = {
    "จันทร์": 0,
    "อังคาร": 1,
    "พุธ": 2,
    "พฤหัส": 3,
    "พฤหัสบดี": 3,
    "ศุกร์": 4,
    "เสาร์": 5,
    "อาทิตย์": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_NEXT_WEEKDAY = re.compile(r"^(?:วัน)?(\S+?)\s*(หน้า|นี้)$|^next\s+(\S+)$")


def parse_date(text: str, *, today: date | None = None) -> date:
    """A typed date: ISO, d/m/yyyy (BE), d/m/yy (BE), "15 มี.ค. 2569", "วันนี้".

    `today` (today in the offices' time zone, which the caller knows) resolves
    "today"/"yesterday" and a date typed without a year ("15/3" is the 15th of March of
    today's year); without it only dates with a year are understood.
    """
    today = today or _NO_TODAY
    cleaned = " ".join(thai_digits_to_arabic(str(text)).split()).removeprefix("วันที่").strip()
    lowered = cleaned.casefold()
    if lowered in _TODAY:
        return today
    if lowered in _YESTERDAY:
        return _relative(today, -1)
    if lowered in _RELATIVE:
        return _relative(today, _RELATIVE[lowered])
    if match := _NEXT_WEEKDAY.match(lowered):
        return _next_weekday(today, match)
    if match := _ISO.match(cleaned):
        year, month, day = match.groups()
        return _make_date(_ce_year(year), int(month), int(day))
    if match := _NUMERIC.match(cleaned):
        day, month, year = match.groups()
        return _make_date(_ce_year(year) if year else today.year, int(month), int(day))
    if match := _NAMED.match(cleaned):
        day, month_name, era, year = match.groups()
        month = _month_number(month_name)
        if year is None:
            return _make_date(today.year, month, int(day))
        return _make_date(_ce_year(year, era), month, int(day))
    raise ValueError(N_("is not a date"))


def _relative(today: date, days: int) -> date:
    if today == _NO_TODAY:
        raise ValueError(N_("is not a date"))
    return date.fromordinal(today.toordinal() + days)


def _next_weekday(today: date, match: re.Match) -> date:
    """ "จันทร์หน้า" is the Monday of next week; "จันทร์นี้" the coming Monday (today if it is)."""
    name = match.group(1) or match.group(3)
    if name not in _WEEKDAYS:
        raise ValueError(N_("is not a date"))
    weekday = _WEEKDAYS[name]
    if match.group(2) == "นี้":
        return _relative(today, (weekday - today.weekday()) % 7)
    # Next week's day: the Monday starting next week, then that weekday of it.
    to_next_monday = 7 - today.weekday()
    return _relative(today, to_next_monday + weekday)


def _month_number(name: str) -> int:
    """The month of a Thai month name, full or abbreviated, dots optional."""
    key = re.sub(r"[.\s]", "", name)
    if key not in _MONTH_BY_NAME:
        raise ValueError(N_("is not a date"))
    return _MONTH_BY_NAME[key]


def _ce_year(text: str, era: str | None = None) -> int:
    """A typed year as a Common Era year, by the module's year rule."""
    year = int(text)
    era = re.sub(r"[.\s]", "", era or "")
    if len(text) == 2:
        return 2500 + year - BE_OFFSET
    if era == "พศ" or (not era and year >= 2400):
        return year - BE_OFFSET
    if era == "คศ" or year < 2200:
        return year
    raise ValueError(N_("has an ambiguous year (write the Buddhist year, e.g. 2569)"))


def _make_date(year: int, month: int, day: int) -> date:
    """The date, or why there is none."""
    if not 1900 <= year <= 2199:
        raise ValueError(N_("has a year out of range"))
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(N_("is not a real date")) from None


# ---------------------------------------------------------------------------- amounts

_PLAIN_AMOUNT = re.compile(r"^\d+(?:\.\d+)?$")
_GROUPED_AMOUNT = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def parse_amount(text: str) -> Decimal:
    """Baht as Decimal: "1,500", "๑,๕๐๐", "1500.5", "1,500 บาท", "฿1,500.00", "1,500.-"."""
    cleaned = thai_digits_to_arabic(str(text)).strip()
    for noise in ("บาท", "฿", "THB", "thb"):
        cleaned = cleaned.replace(noise, "")
    cleaned = cleaned.replace(" ", "").removesuffix(".-")
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-")
    if not (_PLAIN_AMOUNT.match(cleaned) or _GROUPED_AMOUNT.match(cleaned)):
        raise ValueError(N_("is not an amount"))
    if negative:
        raise ValueError(N_("is negative"))
    try:
        amount = Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise ValueError(N_("is not an amount")) from None
    if -amount.as_tuple().exponent > 2:
        raise ValueError(N_("has more than 2 decimals"))
    return amount


# Spoken multipliers officers type after a number: "1.5พัน", "2 หมื่น".
_UNITS = {"พัน": 1000, "หมื่น": 10_000, "แสน": 100_000, "ล้าน": 1_000_000, "k": 1000}
_UNIT_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*(พัน|หมื่น|แสน|ล้าน|k)$", re.IGNORECASE)
MAX_TYPED_AMOUNT = Decimal("100000000")


def parse_typed_amount(text: str) -> Decimal:
    """An amount as typed in a chat: parse_amount's forms, plus "1.5พัน", "2หมื่น", "3k".

    Positive and below 100 million baht (no fund lends more; a longer number is a typo).
    """
    cleaned = thai_digits_to_arabic(str(text)).strip()
    for noise in ("บาท", "฿", "THB", "thb"):
        cleaned = cleaned.replace(noise, "")
    cleaned = cleaned.strip()
    if match := _UNIT_AMOUNT.match(cleaned):
        number, unit = match.groups()
        if len(number) > 12:
            raise ValueError(N_("is not an amount"))
        amount = Decimal(number) * _UNITS[unit.lower()]
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(N_("has more than 2 decimals"))
        amount = amount.quantize(Decimal("0.01"))
    else:
        if len(cleaned) > 40:
            raise ValueError(N_("is not an amount"))
        amount = parse_amount(cleaned)
    if amount <= 0:
        raise ValueError(N_("is not more than zero"))
    if amount >= MAX_TYPED_AMOUNT:
        raise ValueError(N_("is too large"))
    return amount


def parse_rate(text: str) -> Decimal:
    """A yearly interest rate in percent, 0 to 100: "3", "3.5", "3.5%", "ร้อยละ 3 ต่อปี"."""
    cleaned = thai_digits_to_arabic(str(text)).replace(" ", "")
    cleaned = cleaned.removeprefix("ร้อยละ").removesuffix("ต่อปี").removesuffix("%")
    if cleaned.startswith("-") and _PLAIN_AMOUNT.match(cleaned[1:]):
        raise ValueError(N_("is negative"))
    if not _PLAIN_AMOUNT.match(cleaned):
        raise ValueError(N_("is not a rate in percent"))
    rate = Decimal(cleaned)
    if -rate.as_tuple().exponent > 4:
        raise ValueError(N_("has more than 4 decimals"))
    if rate > 100:
        raise ValueError(N_("is more than 100 percent"))
    return rate


# ---------------------------------------------------------------------------- names

# Longest first, so นางสาว is not read as นาง + "สาว...".
_TITLES = sorted(
    ["นางสาว", "นาง", "นาย", "น.ส.", "น.ส", "นส.", "ด.ญ.", "ด.ช.", "เด็กหญิง", "เด็กชาย"],
    key=len,
    reverse=True,
)
# English titles need a dot or a space after them ("Mrs Smith"), never a letter.
_EN_TITLE = re.compile(r"^(mrs|mr|ms|miss)(\.\s*|\s+)", re.IGNORECASE)


def split_title(name: str) -> tuple[str | None, str]:
    """("นางสาว", "สมศรี ใจดี") for "นางสาวสมศรี ใจดี"; (None, name) when there is no title."""
    cleaned = " ".join(str(name).replace("\u200b", "").split())
    title, rest = None, cleaned
    for candidate in _TITLES:
        if cleaned.startswith(candidate):
            title, rest = candidate, cleaned[len(candidate) :]
            break
    else:
        if match := _EN_TITLE.match(cleaned):
            title, rest = cleaned[: match.end()].strip(), cleaned[match.end() :]
    rest = rest.strip()
    if not rest:
        raise ValueError(N_("has no name"))
    return title, rest


def name_key(name: str) -> str:
    """The name for matching: no title, no whitespace, lower case, one spelling of สระอำ."""
    _title, bare = split_title(name)
    # "ํา" (nikhahit + sara aa) looks identical to "ำ" (sara am) but is two characters.
    bare = bare.replace("\u0e4d\u0e32", "\u0e33")
    return "".join(bare.split()).casefold()


# Tone marks and other signs people leave out or misplace when typing fast on a phone.
_TONE_MARKS = dict.fromkeys(range(0x0E47, 0x0E4D))


def loose_name_key(name: str) -> str:
    """name_key without tone marks or punctuation: "สมศรี ใจดี" and "สมสรี ใจดี" stay apart,
    but "นางสมศรี  ใจดี่" and "สมศรีใจดี" are the same key."""
    key = name_key(name).translate(_TONE_MARKS)
    key = re.sub(r"[.\-'\"()]", "", key)
    if not key:
        raise ValueError(N_("has no name"))
    return key


# ---------------------------------------------------------------------------- IDs, phones

_SEPARATORS = re.compile(r"[\s\-.()]")


def validate_national_id(text: str) -> str:
    """The 13 digits of a Thai national ID, with its checksum verified."""
    digits = _SEPARATORS.sub("", thai_digits_to_arabic(str(text)))
    if not re.fullmatch(r"\d{13}", digits):
        raise ValueError(N_("is not 13 digits"))
    total = sum(int(digits[i]) * (13 - i) for i in range(12))
    if (11 - total % 11) % 10 != int(digits[12]):
        raise ValueError(N_("has a wrong check digit"))
    return digits


def normalize_phone(text: str) -> str:
    """A Thai phone number as digits from 0: mobiles 0[689]xxxxxxxx, landlines 0[2-7]xxxxxxx."""
    digits = _SEPARATORS.sub("", thai_digits_to_arabic(str(text)))
    if digits.startswith("+66"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    if re.fullmatch(r"0[689]\d{8}", digits) or re.fullmatch(r"0[2-7]\d{7}", digits):
        return digits
    raise ValueError(N_("is not a Thai phone number"))
