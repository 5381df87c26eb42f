"""The law on contacting debtors (Debt Collection Act B.E. 2558), in one place.

- Contact only from 08:00 to 20:00 on working days, and from 08:00 to 18:00 on Saturdays,
  Sundays and Thai public holidays (the `holidays` package's Thailand calendar, offline),
  in the offices' time zone. What is planned outside the window waits for the next one.
- At most one reminder contact per debtor per day (planning merges the day's reminders).
- Nothing about a debt is disclosed to third parties: a group only ever gets generic texts,
  checked here before they are queued.

Every reminder the planner queues and the dispatcher sends goes through these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from models.errors import DomainError

OPENS = time(8, 0)
CLOSES_WORKING_DAY = time(20, 0)
CLOSES_REST_DAY = time(18, 0)


@cache
def _thai_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("TH", years=year)


def is_public_holiday(day: date) -> bool:
    """A Thai public holiday (the `holidays` package's calendar)."""
    return day in _thai_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a Thai public holiday."""
    return day.weekday() < 5 and not is_public_holiday(day)


def window_of(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The contact window of a day: [opens, closes) as aware datetimes in `zone`."""
    closes = CLOSES_WORKING_DAY if is_working_day(day) else CLOSES_REST_DAY
    return datetime.combine(day, OPENS, zone), datetime.combine(day, closes, zone)


def in_window(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether a debtor may be contacted at `moment` (08:00 inclusive, the close exclusive)."""
    local = moment.astimezone(zone)
    opens, closes = window_of(local.date(), zone)
    return opens <= local < closes


def next_contact_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` itself when inside the window, otherwise the start of the next window."""
    local = moment.astimezone(zone)
    opens, closes = window_of(local.date(), zone)
    if local < opens:
        return opens
    if local < closes:
        return local
    return window_of(local.date() + timedelta(days=1), zone)[0]


def contact_day(moment: datetime, zone: ZoneInfo) -> date:
    """The day a contact planned at `moment` happens on (the day of the next window)."""
    return next_contact_time(moment, zone).date()


# An amount as fundbot prints it (1,234.50 บาท, THB 1,234.50) or any figure with satang.
_AMOUNT = re.compile(r"\d[\d,]*\.\d{2}|\d[\d,]*\s*บาท|THB\s*\d|฿\s*\d")


def check_group_text(text: str, names: Iterable[str] = ()) -> str:
    """`text` if it may go to a group; DomainError group_text_discloses otherwise.

    A group text carries no amount, no contract number and none of `names` (the debtors of
    the group's area): only the fund, a due date, and an invitation to ask privately.
    """
    if _AMOUNT.search(text):
        raise DomainError("group_text_discloses", what="amount")
    for name in names:
        if name and name in text:
            raise DomainError("group_text_discloses", what="name")
    return text


def discloses(text: str, names: Iterable[str] = ()) -> bool:
    """True when `text` names a debtor or shows an amount (the tests scan every group text)."""
    try:
        check_group_text(text, names)
    except DomainError:
        return True
    return False
