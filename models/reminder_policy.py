"""The reminder policy: when debtors are reminded, per fund; read from instance/reminders.toml.

Without the file every fund uses DEFAULT. The file may set any key at the top (all funds) and
in a [womens_fund] or [kkcj] table (that fund only). It is checked when read: an unknown key
or a bad value stops the command with one line naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path

from models.errors import DomainError
from models.types import FundKind

POLICY_FILE = "reminders.toml"
MAX_DAYS = 366


@dataclass(frozen=True)
class Policy:
    """One fund's reminder stages, in days relative to a due date or a moratorium's end."""

    before_due: tuple[int, ...] = (7, 3)
    on_due: bool = True
    after_due: tuple[int, ...] = (1, 7, 15, 30)
    moratorium_end_before: tuple[int, ...] = (30, 7)
    # Reminders are planned to go out at this local time (inside the contact window).
    send_at: time = time(9, 0)
    # A stage missed (the bot was down) is still sent up to this many days late, unless a
    # later stage has taken over by then.
    catch_up_days: int = 7
    # Registered reminder groups hear of a due date this many days before it (0: never).
    group_days_before: int = 3
    # Where and how to pay, as the fund states it (a bank account, the office); shown as is.
    pay_to: str = ""

    def due_offsets(self) -> tuple[int, ...]:
        """Installment stages as day offsets from the due date, ascending (-7, -3, 0, 1...)."""
        offsets = {-d for d in self.before_due} | set(self.after_due)
        if self.on_due:
            offsets.add(0)
        return tuple(sorted(offsets))

    def moratorium_offsets(self) -> tuple[int, ...]:
        """Moratorium-end stages as day offsets from the end date, ascending (-30, -7)."""
        return tuple(sorted(-d for d in self.moratorium_end_before))


DEFAULT = Policy()


@dataclass(frozen=True)
class PolicyBook:
    """The policy of each fund kind."""

    funds: dict[str, Policy] = field(
        default_factory=lambda: {kind.value: DEFAULT for kind in FundKind}
    )
    source: str = "default"

    def for_fund(self, kind: FundKind | str) -> Policy:
        """The policy of a fund kind."""
        return self.funds.get(str(kind), DEFAULT)


def load_policy(instance_path: Path | str) -> PolicyBook:
    """The policy in instance/reminders.toml, or the default when there is no such file."""
    path = Path(instance_path) / POLICY_FILE
    if not path.is_file():
        return PolicyBook()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise DomainError("policy_unreadable", file=str(path), detail=detail) from None
    return parse_policy(data, source=str(path))


def parse_policy(data: dict, source: str = "reminders.toml") -> PolicyBook:
    """A PolicyBook from the parsed TOML; DomainError on the first bad key or value."""
    funds = {kind.value for kind in FundKind}
    common = {k: v for k, v in data.items() if k not in funds}
    base = _apply(DEFAULT, common, source, "")
    book = {}
    for kind in FundKind:
        section = data.get(kind.value, {})
        if not isinstance(section, dict):
            raise DomainError("policy_bad_value", file=source, key=kind.value, expected="a table")
        book[kind.value] = _apply(base, section, source, f"{kind.value}.")
    return PolicyBook(funds=book, source=source)


def _apply(policy: Policy, values: dict, source: str, prefix: str) -> Policy:
    changes = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if key not in _CHECKS:
            raise DomainError("policy_unknown_key", file=source, key=name)
        check, expected = _CHECKS[key]
        converted = check(value)
        if converted is None:
            raise DomainError("policy_bad_value", file=source, key=name, expected=expected)
        changes[key] = converted
    return replace(policy, **changes)


def _days(value) -> tuple[int, ...] | None:
    if not isinstance(value, list):
        return None
    if not all(type(v) is int and 0 < v <= MAX_DAYS for v in value):
        return None
    return tuple(sorted(set(value), reverse=True))


def _bool(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _count(value) -> int | None:
    return value if type(value) is int and 0 <= value <= MAX_DAYS else None


def _send_at(value) -> time | None:
    if not isinstance(value, str):
        return None
    try:
        moment = time.fromisoformat(value.strip())
    except ValueError:
        return None
    # Inside every day's contact window (Saturdays close at 18:00).
    return moment if time(8, 0) <= moment < time(18, 0) else None


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and len(value) <= 300 else None


_CHECKS = {
    "before_due": (_days, "a list of days from 1 to 366, e.g. [7, 3]"),
    "on_due": (_bool, "true or false"),
    "after_due": (_days, "a list of days from 1 to 366, e.g. [1, 7, 15, 30]"),
    "moratorium_end_before": (_days, "a list of days from 1 to 366, e.g. [30, 7]"),
    "send_at": (_send_at, 'a time from "08:00" to "17:59"'),
    "catch_up_days": (_count, "a whole number of days from 0 to 366"),
    "group_days_before": (_count, "a whole number of days from 0 to 366"),
    "pay_to": (_text, "a text of at most 300 characters"),
}
