"""Linking LINE users to borrowers and staff with one-time codes, and stopping code guessing.

A code is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), always with at
least one digit, so a plain word someone types is never taken for a code. Only its HMAC
(keyed with the instance secret) is stored: a copy of the database gives no live codes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.borrower import Borrower
from models.chat_state import preferred_locale
from models.identity import PURPOSE_BORROWER, PURPOSE_STAFF, LinkAttempt, LinkCode, LinkGuard
from models.staff import Staff
from models.thai_text import thai_digits_to_arabic
from models.types import Role, Source

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DIGITS = "23456789"
CODE_LENGTH = 6
CODE_TTL = timedelta(days=14)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
LOCKOUT = timedelta(hours=1)
# Across all users: past this many wrong codes in an hour, someone is guessing. Every code
# check is then slowed to one per SLOW_INTERVAL (30 an hour, for everyone) until an hour
# passes without a wrong code, and the administrators are told once an hour.
GLOBAL_MAX_FAILURES = 60
GLOBAL_WINDOW = timedelta(hours=1)
SLOW_INTERVAL = timedelta(minutes=2)
ALERT_EVERY = timedelta(hours=1)
GLOBAL_SCOPE = "global"

log = logging.getLogger(__name__)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

_CODE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


class LinkStatus(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"  # this user and this person were linked already
    USER_TAKEN = "user_taken"  # this LINE user is linked to someone else
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"
    THROTTLED = "throttled"  # too many wrong codes from everyone: not checked, try later


@dataclass(frozen=True)
class GuessingAlert:
    """Codes are being guessed: what the administrators are told (once an hour)."""

    failures: int
    since: datetime
    slow_until: datetime
    raised_at: datetime


@dataclass(frozen=True)
class LinkResult:
    """The outcome of sending a code; `borrower` or `staff` is whom the user is now linked to."""

    status: LinkStatus
    purpose: str | None = None
    borrower: Borrower | None = None
    staff: Staff | None = None
    locked_until: datetime | None = None
    retry_at: datetime | None = None
    # The LINE account the person was linked to before this one: it is told it no longer is.
    replaced_line_user_id: str | None = None
    replaced_locale: str | None = None
    alert: GuessingAlert | None = None

    @property
    def ok(self) -> bool:
        """True when the user is linked (now or already)."""
        return self.status in (LinkStatus.LINKED, LinkStatus.ALREADY_LINKED)


def normalize_code(text: str) -> str:
    """A typed code as stored: capitals, Thai digits as 0-9, spaces and dashes dropped."""
    return re.sub(r"[\s\-]", "", thai_digits_to_arabic(text)).upper()


def looks_like_code(text: str) -> bool:
    """True for text that could be a link code on its own (6 code characters, with a digit)."""
    code = normalize_code(text)
    return bool(_CODE.match(code)) and any(c in DIGITS for c in code)


def code_hash(code: str, secret_key: str) -> str:
    """The stored form of a code."""
    return hmac.new(secret_key.encode(), normalize_code(code).encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    """A random code (from `secrets`), with at least one digit and one letter."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if any(c in DIGITS for c in code) and any(c.isalpha() for c in code):
            return code


def issue_borrower_code(
    session: Session, actor: Actor, borrower: Borrower, *, now: datetime, secret_key: str
) -> str:
    """A new code for `borrower` (earlier unused codes stop working); shown once, never stored."""
    return _issue(session, actor, PURPOSE_BORROWER, now, secret_key, borrower=borrower)


def issue_staff_code(
    session: Session, actor: Actor, staff: Staff, *, now: datetime, secret_key: str
) -> str:
    """A new registration code for a member of staff."""
    return _issue(session, actor, PURPOSE_STAFF, now, secret_key, staff=staff)


def _issue(
    session: Session,
    actor: Actor,
    purpose: str,
    now: datetime,
    secret_key: str,
    *,
    borrower: Borrower | None = None,
    staff: Staff | None = None,
) -> str:
    owner = LinkCode.borrower_id == borrower.id if borrower else LinkCode.staff_id == staff.id
    session.execute(
        update(LinkCode)
        .where(owner, LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    while True:
        code = new_code()
        digest = code_hash(code, secret_key)
        if session.scalar(select(LinkCode.id).where(LinkCode.code_hash == digest)) is None:
            break
    row = LinkCode(
        code_hash=digest,
        purpose=purpose,
        borrower_id=borrower.id if borrower else None,
        staff_id=staff.id if staff else None,
        issued_by=actor.name,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    session.add(row)
    entity, entity_id = ("borrower", borrower.id) if borrower else ("staff", staff.id)
    audit(
        session, actor, "link_code.issue", entity, entity_id, after={"expires_at": row.expires_at}
    )
    return code


def revoke(session: Session, code: str, *, now: datetime, secret_key: str) -> bool:
    """Stop a live code from working (it was seen by others); False when it was not live."""
    row = session.scalar(select(LinkCode).where(LinkCode.code_hash == code_hash(code, secret_key)))
    if row is None or _problem(row, now) is not None:
        return False
    row.revoked_at = now
    return True


def locked_until(session: Session, line_user_id: str, now: datetime) -> datetime | None:
    """Until when codes from this user are refused (None when they are not)."""
    until = session.scalar(
        select(func.max(LinkAttempt.locked_until)).where(LinkAttempt.line_user_id == line_user_id)
    )
    return until if until is not None and until > now else None


def redeem(
    session: Session, line_user_id: str, code: str, *, now: datetime, secret_key: str
) -> LinkResult:
    """Link `line_user_id` to whoever `code` was issued for, if the code is good.

    Every redemption first locks the one guard row, so concurrent ones (any user, any code)
    run one after the other: a code has one winner, and no counter is read stale.
    """
    guard = _lock_guard(session)
    until = locked_until(session, line_user_id, now)
    if until is not None:
        return LinkResult(LinkStatus.LOCKED, locked_until=until)
    if _slowed(guard, now):
        if guard.next_check_at is not None and guard.next_check_at > now:
            return LinkResult(
                LinkStatus.THROTTLED, retry_at=guard.next_check_at, alert=_alert(guard, now)
            )
        guard.next_check_at = now + SLOW_INTERVAL
    row = session.scalar(
        select(LinkCode)
        .where(LinkCode.code_hash == code_hash(code, secret_key))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    problem = _problem(row, now)
    if problem is not None:
        return _failure(session, guard, line_user_id, now, problem)
    if row.purpose == PURPOSE_STAFF:
        staff = session.get(Staff, row.staff_id)
        refusal = _staff_refusal(session, line_user_id, staff)
    else:
        borrower = session.get(Borrower, row.borrower_id)
        refusal = _borrower_refusal(session, line_user_id, borrower)
    if refusal is not None:
        session.add(LinkAttempt(line_user_id=line_user_id, at=now, success=refusal.ok))
        return refusal
    if not _claim(session, row.id, line_user_id, now):
        return _failure(session, guard, line_user_id, now, LinkStatus.USED)
    if row.purpose == PURPOSE_STAFF:
        result = _link_staff(session, line_user_id, staff)
    else:
        result = _link_borrower(session, line_user_id, borrower)
    session.add(LinkAttempt(line_user_id=line_user_id, at=now, success=True))
    return result


def _lock_guard(session: Session) -> LinkGuard:
    # The insert makes sure the row exists (and on SQLite takes the writer lock at once);
    # FOR UPDATE holds it on PostgreSQL until this transaction ends.
    insert = _INSERTS[session.get_bind().dialect.name]
    session.execute(
        insert(LinkGuard)
        .values(scope=GLOBAL_SCOPE, failures=0)
        .on_conflict_do_nothing(index_elements=["scope"])
    )
    return session.scalars(
        select(LinkGuard)
        .where(LinkGuard.scope == GLOBAL_SCOPE)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _claim(session: Session, code_id: int, line_user_id: str, now: datetime) -> bool:
    """Mark the code used, only if it still is unused: True for the one caller that did."""
    claimed = session.execute(
        update(LinkCode)
        .where(LinkCode.id == code_id, LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
        .values(used_at=now, used_by=line_user_id)
        .returning(LinkCode.id)
        .execution_options(synchronize_session="fetch")
    ).scalar()
    return claimed is not None


def _problem(row: LinkCode | None, now: datetime) -> LinkStatus | None:
    if row is None or row.revoked_at is not None:
        return LinkStatus.INVALID
    if row.used_at is not None:
        return LinkStatus.USED
    if row.expires_at <= now:
        return LinkStatus.EXPIRED
    return None


def _failure(
    session: Session, guard: LinkGuard, line_user_id: str, now: datetime, status: LinkStatus
) -> LinkResult:
    attempt = LinkAttempt(line_user_id=line_user_id, at=now, success=False)
    session.add(attempt)
    session.flush()
    failures = session.scalar(
        select(func.count(LinkAttempt.id)).where(
            LinkAttempt.line_user_id == line_user_id,
            LinkAttempt.success.is_(False),
            LinkAttempt.at > now - FAILURE_WINDOW,
        )
    )
    alert = _count_global_failure(guard, now)
    if failures >= MAX_FAILURES:
        attempt.locked_until = now + LOCKOUT
        return LinkResult(LinkStatus.LOCKED, locked_until=attempt.locked_until, alert=alert)
    return LinkResult(status, alert=alert)


def _slowed(guard: LinkGuard, now: datetime) -> bool:
    return guard.slow_until is not None and guard.slow_until > now


def _count_global_failure(guard: LinkGuard, now: datetime) -> GuessingAlert | None:
    """One more wrong code from anyone; past the hourly limit every check is slowed."""
    # While slowed, the count runs on from the start, so the alert tells the whole story.
    stale = guard.window_start is None or now - guard.window_start >= GLOBAL_WINDOW
    if stale and not _slowed(guard, now):
        guard.window_start, guard.failures = now, 0
    guard.failures += 1
    # Once slowed, every wrong code keeps it so: it ends after an hour without one.
    if guard.failures >= GLOBAL_MAX_FAILURES or _slowed(guard, now):
        guard.slow_until = now + GLOBAL_WINDOW
        if guard.next_check_at is None or guard.next_check_at < now + SLOW_INTERVAL:
            guard.next_check_at = now + SLOW_INTERVAL
    return _alert(guard, now)


def _alert(guard: LinkGuard, now: datetime) -> GuessingAlert | None:
    """An alert for the administrators, at most once an hour while codes are slowed."""
    if not _slowed(guard, now):
        return None
    if guard.alerted_at is not None and now - guard.alerted_at < ALERT_EVERY:
        return None
    guard.alerted_at = now
    log.warning(
        "link codes: %d wrong codes from LINE users since %s; every code check is slowed to "
        "one per %d s until %s",
        guard.failures,
        guard.window_start.isoformat() if guard.window_start else "-",
        SLOW_INTERVAL.total_seconds(),
        guard.slow_until.isoformat(),
    )
    return GuessingAlert(
        failures=guard.failures,
        since=guard.window_start or now,
        slow_until=guard.slow_until,
        raised_at=now,
    )


def alert_recipients(session: Session) -> list[Staff]:
    """Who is told when codes are being guessed: active administrators linked to LINE."""
    return list(
        session.scalars(
            select(Staff)
            .where(Staff.role == Role.ADMIN, Staff.active.is_(True))
            .where(Staff.line_user_id.is_not(None))
            .order_by(Staff.id)
        )
    )


def _borrower_refusal(session: Session, line_user_id: str, borrower: Borrower) -> LinkResult | None:
    if borrower.line_user_id == line_user_id:
        return LinkResult(LinkStatus.ALREADY_LINKED, PURPOSE_BORROWER, borrower=borrower)
    other = session.scalar(select(Borrower).where(Borrower.line_user_id == line_user_id))
    if other is not None:
        return LinkResult(LinkStatus.USER_TAKEN, PURPOSE_BORROWER, borrower=other)
    return None


def _staff_refusal(session: Session, line_user_id: str, staff: Staff) -> LinkResult | None:
    if staff.line_user_id == line_user_id:
        return LinkResult(LinkStatus.ALREADY_LINKED, PURPOSE_STAFF, staff=staff)
    other = session.scalar(select(Staff).where(Staff.line_user_id == line_user_id))
    if other is not None:
        return LinkResult(LinkStatus.USER_TAKEN, PURPOSE_STAFF, staff=other)
    return None


def _link_borrower(session: Session, line_user_id: str, borrower: Borrower) -> LinkResult:
    previous, previous_locale = borrower.line_user_id, borrower.locale
    before = {"line_user_id": previous, "line_reachable": borrower.line_reachable}
    borrower.line_user_id, borrower.line_reachable = line_user_id, True
    chosen = preferred_locale(session, line_user_id)
    if chosen:
        borrower.locale = chosen
    actor = Actor(f"line:{line_user_id}", Source.LINE)
    after = {"line_user_id": line_user_id, "line_reachable": True}
    audit(session, actor, "link", "borrower", borrower.id, before=before, after=after)
    return LinkResult(
        LinkStatus.LINKED,
        PURPOSE_BORROWER,
        borrower=borrower,
        replaced_line_user_id=previous,
        replaced_locale=previous_locale,
    )


def _link_staff(session: Session, line_user_id: str, staff: Staff) -> LinkResult:
    previous, previous_locale = staff.line_user_id, staff.locale
    before = {"line_user_id": previous}
    staff.line_user_id = line_user_id
    chosen = preferred_locale(session, line_user_id)
    if chosen:
        staff.locale = chosen
    actor = Actor(f"line:{line_user_id}", Source.LINE)
    audit(
        session,
        actor,
        "link",
        "staff",
        staff.id,
        before=before,
        after={"line_user_id": line_user_id},
    )
    return LinkResult(
        LinkStatus.LINKED,
        PURPOSE_STAFF,
        staff=staff,
        replaced_line_user_id=previous,
        replaced_locale=previous_locale,
    )


def unlink_borrower(session: Session, actor: Actor, borrower: Borrower) -> bool:
    """Forget the borrower's LINE account (audited); False when none was linked."""
    if borrower.line_user_id is None:
        return False
    before = {"line_user_id": borrower.line_user_id}
    borrower.line_user_id = None
    audit(
        session,
        actor,
        "unlink",
        "borrower",
        borrower.id,
        before=before,
        after={"line_user_id": None},
    )
    return True


def unlink_staff(session: Session, actor: Actor, staff: Staff) -> bool:
    """Forget a member of staff's LINE account (audited); False when none was linked."""
    if staff.line_user_id is None:
        return False
    before = {"line_user_id": staff.line_user_id}
    staff.line_user_id = None
    audit(session, actor, "unlink", "staff", staff.id, before=before, after={"line_user_id": None})
    return True
