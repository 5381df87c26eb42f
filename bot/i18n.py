"""Translations, Buddhist-Era dates and baht amounts, in the language of whoever reads them.

The language is a context variable, not Flask's `g`: the same helpers serve a web request,
a chat reply to one debtor, a scheduler job rendering for many, and the command line.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from importlib import resources

from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

DEFAULT_LOCALE = "th"
LOCALES = ("th", "en")
BE_OFFSET = 543

_current: ContextVar[str | None] = ContextVar("fundbot_locale", default=None)
_configured = {"locale": DEFAULT_LOCALE}


def set_default_locale(locale: str) -> None:
    """Make `locale` the language used outside any `use_locale` block (FUNDBOT_LOCALE)."""
    _configured["locale"] = normalize(locale)


def current_locale() -> str:
    """The language strings are rendered in right now."""
    return _current.get() or _configured["locale"]


def normalize(locale: str | None) -> str:
    """A supported locale for whatever a user or LINE told us (th_TH, en-US, None...)."""
    short = (locale or DEFAULT_LOCALE).replace("-", "_").split("_")[0].lower()
    return short if short in LOCALES else DEFAULT_LOCALE


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Render strings in `locale` inside the block."""
    token = _current.set(normalize(locale))
    try:
        yield current_locale()
    finally:
        _current.reset(token)


@cache
def translations(locale: str) -> Translations:
    """The catalog of `locale`, compiled from its .po file in memory (no build step)."""
    po_file = resources.files("locales") / locale / "LC_MESSAGES" / "messages.po"
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str, **values: object) -> str:
    """Translate `message` into the current language and fill in `%(name)s` values."""
    text = translations(current_locale()).ugettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Translate a message that depends on a count `n` (also available as %(num)s)."""
    text = translations(current_locale()).ungettext(singular, plural, n)
    return text % {"num": n, **values}


def lazy_gettext(message: str, **values: object) -> LazyProxy:
    """A translation evaluated when it is used, for strings defined at import time."""
    return LazyProxy(gettext, message, enable_cache=False, **values)


_ = gettext


def format_date(value: date, style: str = "medium", locale: str | None = None) -> str:
    """A date for people: "15 มี.ค. 2569" in Thai (Buddhist Era), "15 Mar 2026" in English.

    Babel knows only the Gregorian calendar, so the Thai year is added here, in one place.
    """
    locale = normalize(locale or current_locale())
    if style == "short":
        if locale == "th":
            return f"{value.day}/{value.month}/{(value.year + BE_OFFSET) % 100:02d}"
        return babel_format_date(value, "d/M/yy", locale=locale)
    return _day_month_year(value, style, locale)


@lru_cache(maxsize=4096)
def _day_month_year(value: date, style: str, locale: str) -> str:
    # Kept: Babel's pattern formatting costs more than the rest of a balance card's words, and
    # a day's answers name the same few dates again and again.
    pattern = {"medium": "d MMM", "long": "d MMMM"}[style]
    day_month = babel_format_date(value, pattern, locale=locale)
    year = value.year + BE_OFFSET if locale == "th" else value.year
    return f"{day_month} {year}"


def format_money(amount: Decimal, locale: str | None = None) -> str:
    """Baht with two decimals and separators: "1,234.50 บาท" or "THB 1,234.50"."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, never float")
    locale = normalize(locale or current_locale())
    rounded = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    # Python's own grouping is Babel's "#,##0.00" in English (the digits, commas and point are
    # the same in both languages), at a tenth of the cost: every balance reply has several.
    number = f"{rounded:,.2f}"
    return f"{number} บาท" if locale == "th" else f"THB {number}"
