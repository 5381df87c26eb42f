"""Words for the codes people read in pages, exports and the command line: debtor classes,
aging buckets, statuses of installments and payments.

Here, below the entry points, so that the dashboard and `fundbot arrears` say the same.
"""

from __future__ import annotations

from functools import cache

from bot.i18n import _, current_locale

__all__ = ["bucket_label", "class_label", "status_label"]


def class_label(code: str) -> str:
    """A debtor class in words."""
    return {
        "normal": _("normal"),
        "late": _("late"),
        "moratorium": _("in moratorium"),
        "restructured": _("restructured"),
        "restructured_late": _("restructured, late"),
        "defaulted": _("defaulted"),
        "paid_off": _("paid off"),
    }.get(code, code)


def bucket_label(code: str) -> str:
    """An aging bucket in words."""
    if code == "current":
        return _("not overdue")
    if code == "365+":
        return _("over 365 days")
    return _("%(range)s days", range=code)


def status_label(code: str) -> str:
    """How far an installment or a payment has got, in words."""
    return _status_words(current_locale()).get(code, code)


@cache
def _status_words(_locale: str) -> dict[str, str]:
    # Built once per language: an export asks for a word on every one of many rows.
    return {
        "paid": _("paid in full"),
        "partial": _("partly paid"),
        "unpaid": _("not paid"),
        "superseded": _("replaced"),
        "overdue": _("overdue"),
        "due": _("due today"),
        "upcoming": _("upcoming"),
        "confirmed": _("confirmed"),
        "pending": _("awaiting verification"),
        "reversed": _("reversed"),
        "rejected": _("rejected"),
        "cash_officer": _("cash to an officer"),
        "bank_transfer": _("bank transfer"),
        "office": _("at the office"),
        "import": _("register import"),
        "moratorium": _("moratorium"),
        "restructuring": _("restructuring"),
        "line": _("LINE"),
        "web": _("web"),
        "cli": _("command line"),
        "system": _("system"),
    }
