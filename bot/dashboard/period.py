"""A period chosen on a page: ?from=YYYY-MM-DD&to=YYYY-MM-DD, this month by default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import request

from bot.config import office_zone

# A longer span is cut to its last year: the counts stay quick.
LONGEST = timedelta(days=366)


@dataclass(frozen=True)
class Period:
    """The first and last day, both included."""

    start: date
    end: date

    def args(self) -> dict[str, str]:
        """The period as query-string values."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def moments(self) -> tuple[datetime, datetime]:
        """[start, end) as moments in the offices' time zone: the start of the first day and
        of the day after the last."""
        zone = office_zone()
        return (
            datetime.combine(self.start, time(), zone),
            datetime.combine(self.end + timedelta(days=1), time(), zone),
        )


def month_of(day: date) -> Period:
    """From the 1st of `day`'s month to `day`."""
    return Period(day.replace(day=1), day)


def last_month(day: date) -> Period:
    """The whole month before `day`'s."""
    end = day.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def read_period(today: date, default: Period | None = None) -> Period:
    """The period in the query string; a missing or bad bound falls back to `default`
    (this month's, up to today)."""
    default = default or month_of(today)
    start = _day(request.args.get("from")) or default.start
    end = _day(request.args.get("to")) or (default.end if start <= default.end else start)
    if end < start:
        start, end = end, start
    return Period(max(start, end - LONGEST), end)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
