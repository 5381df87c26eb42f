"""Thai-first language helpers: Buddhist-Era dates, baht amounts, the catalogs."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import _, current_locale, format_date, format_money, normalize, use_locale

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


@pytest.mark.parametrize(
    ("value", "style", "locale", "expected"),
    [
        (date(2026, 3, 15), "medium", "th", "15 มี.ค. 2569"),
        (date(2026, 3, 15), "long", "th", "15 มีนาคม 2569"),
        (date(2026, 3, 15), "short", "th", "15/3/69"),
        (date(2026, 3, 15), "medium", "en", "15 Mar 2026"),
        (date(2024, 2, 29), "medium", "th", "29 ก.พ. 2567"),
        (date(2000, 1, 1), "short", "th", "1/1/43"),
    ],
)
def test_format_date_uses_buddhist_era_in_thai(value, style, locale, expected):
    assert format_date(value, style, locale) == expected


def test_format_date_follows_the_current_locale():
    with use_locale("en"):
        assert format_date(date(2026, 10, 1)) == "1 Oct 2026"
    assert format_date(date(2026, 10, 1)) == "1 ต.ค. 2569"


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        (Decimal("1234.5"), "th", "1,234.50 บาท"),
        (Decimal("1234.5"), "en", "THB 1,234.50"),
        (Decimal("0"), "th", "0.00 บาท"),
        (Decimal("74356587.68"), "th", "74,356,587.68 บาท"),
        (Decimal("-12.005"), "en", "THB -12.01"),
    ],
)
def test_format_money(amount, locale, expected):
    assert format_money(amount, locale) == expected


def test_format_money_refuses_float():
    with pytest.raises(TypeError):
        format_money(12.5)


def test_normalize_maps_line_languages_to_supported_locales():
    assert normalize("en-US") == "en"
    assert normalize("th_TH") == "th"
    assert normalize("ja") == "th"
    assert normalize(None) == "th"


def test_use_locale_restores_the_previous_language():
    with use_locale("en"):
        assert current_locale() == "en"
        with use_locale("th"):
            assert current_locale() == "th"
        assert current_locale() == "en"
    assert current_locale() == "th"


def test_thai_catalog_translates_strings():
    msgid = "Cannot use the database %(where)s: %(detail)s"
    with use_locale("th"):
        thai = _(msgid, where="db", detail="x")
    with use_locale("en"):
        english = _(msgid, where="db", detail="x")
    assert english == "Cannot use the database db: x"
    assert thai != english and "x" in thai


def _extracted_msgids() -> set[str]:
    found = set()
    for folder in ("bot", "handlers", "scheduler", "models"):
        method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, method_map, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_in_the_code_has_a_thai_translation():
    with (ROOT / "locales/th/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(_extracted_msgids() - translated)
    assert missing == [], "run `fundbot translate update` and translate: " + repr(missing[:20])
