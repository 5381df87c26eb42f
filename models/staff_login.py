"""Web logins of staff: usernames, Argon2 password hashes, and the lockout after failures.

A login belongs to one Staff row, whose role and areas decide what the person sees. The
lockout counts failures per username (known or not, so it says nothing about which names
exist) in a window of LOCKOUT_WINDOW; each attempt claims its place in the count with one
upsert before the password is checked, so parallel attempts cannot slip past the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from models.area import Area, find_area
from models.audit import Actor, audit
from models.base import Base, UTCDateTime, utcnow
from models.errors import DomainError
from models.staff import Staff
from models.types import Role, Source

MAX_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Checked against when the username is unknown, so that answer takes as long as a wrong one.
_DUMMY_HASH = _hasher.hash("not a real password")


class StaffLogin(Base):
    """A username and password for the staff dashboard."""

    __tablename__ = "staff_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship()


class LoginThrottle(Base):
    """Failed attempts per username in the current window (a row per username tried)."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)


def normalize_username(username: str) -> str:
    """Usernames compare without surrounding spaces and case."""
    return username.strip().casefold()


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` (refused when too short)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def create_login(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    staff: Staff,
) -> StaffLogin:
    """A login for `staff` (audited; the hash is never written to the audit log)."""
    name = normalize_username(username)
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise DomainError("username_invalid", username=username)
    if session.scalar(select(StaffLogin.id).where(StaffLogin.username == name)) is not None:
        raise DomainError("username_taken", username=name)
    if session.scalar(select(StaffLogin.id).where(StaffLogin.staff_id == staff.id)) is not None:
        raise DomainError("staff_has_login", staff_id=staff.id)
    login = StaffLogin(staff=staff, username=name, password_hash=hash_password(password))
    session.add(login)
    session.flush()
    after = {"username": name, "staff_id": staff.id, "role": staff.role, "areas": staff.area_paths}
    audit(session, actor, "staff_login.add", "staff_login", login.id, None, after)
    return login


def add_staff_with_login(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: Role | str,
    area_paths: list[str],
    province: str,
    name: str | None = None,
) -> StaffLogin:
    """A new member of staff with these areas and a login (both audited)."""
    areas = []
    for path in area_paths:
        area = find_area(session, path, province)
        if area is None:
            raise DomainError("area_not_found", path=path)
        areas.append(area)
    if not areas:
        raise DomainError("area_required")
    staff = Staff(name=(name or username).strip(), role=Role(role), areas=areas)
    session.add(staff)
    session.flush()
    after = {"name": staff.name, "role": staff.role, "areas": staff.area_paths}
    audit(session, actor, "staff.add", "staff", staff.id, None, after)
    return create_login(session, actor, username=username, password=password, staff=staff)


@dataclass(frozen=True)
class LoginResult:
    """What an attempt came to: the login on success, else whether the name is locked."""

    login: StaffLogin | None
    locked: bool = False


def attempt_login(session: Session, username: str, password: str, *, now: datetime | None = None):
    """Check a username and password, counting the attempt against the lockout.

    The caller commits. A success clears the count; the sixth attempt inside the window is
    refused without looking at the password, right or wrong.
    """
    now = now or utcnow()
    name = normalize_username(username)[:64]
    if _claim_attempt(session, name, now) > MAX_FAILURES:
        _verify(_DUMMY_HASH, password)
        return LoginResult(None, locked=True)
    login = session.scalar(
        select(StaffLogin)
        .where(StaffLogin.username == name)
        .options(selectinload(StaffLogin.staff).selectinload(Staff.areas))
    )
    usable = login is not None and login.active and login.staff.active
    if not _verify(login.password_hash if usable else _DUMMY_HASH, password) or not usable:
        return LoginResult(None)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name))
    if _hasher.check_needs_rehash(login.password_hash):
        login.password_hash = _hasher.hash(password)
    login.last_login_at = now
    return LoginResult(login)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _claim_attempt(session: Session, username: str, now: datetime) -> int:
    """Count this attempt as a failure (until it succeeds), in one atomic statement.

    An upsert with RETURNING is a single row write on both engines: PostgreSQL locks the
    row, SQLite the database, so two attempts never read the same count.
    """
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    table = LoginThrottle.__table__
    expired = table.c.window_start <= now - LOCKOUT_WINDOW
    statement = (
        dialect.insert(table)
        .values(username=username, failures=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[table.c.username],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.failures)
    )
    return session.execute(statement).scalar_one()


def load_login(session: Session, login_id: int) -> StaffLogin | None:
    """The active login with this id, with its staff and their areas loaded."""
    login = session.scalar(
        select(StaffLogin)
        .where(StaffLogin.id == login_id)
        .options(selectinload(StaffLogin.staff).selectinload(Staff.areas))
    )
    if login is None or not login.active or not login.staff.active:
        return None
    return login


def list_logins(session: Session) -> list[StaffLogin]:
    """Every login, with staff and areas, by username."""
    return list(
        session.scalars(
            select(StaffLogin)
            .options(selectinload(StaffLogin.staff).selectinload(Staff.areas))
            .order_by(StaffLogin.username)
        )
    )


def scope_of(staff: Staff, province: str) -> list[str]:
    """The area paths a person may see: their areas; the whole province for an admin."""
    if staff.role is Role.ADMIN:
        return [province]
    return staff.area_paths


# The demo's logins, one per role; documented in README ("The staff dashboard").
DEMO_LOGINS = (
    ("admin", Role.ADMIN, "demo-admin-2569"),
    ("district", Role.DISTRICT_HEAD, "demo-district-2569"),
    ("fundstaff", Role.FUND_STAFF, "demo-fundstaff-2569"),
    ("officer", Role.FIELD_OFFICER, "demo-officer-2569"),
)
DEMO_ACTOR = Actor("seed-demo", Source.SYSTEM)


def create_demo_logins(session: Session, province: str = "สระบุรี") -> list[tuple[str, str]]:
    """One login per role on the demo's first staff of that role; (username, password) pairs.

    Called by the demo after it has loaded its staff. A role without staff gets a new member
    covering the province (admin) or the first district. Existing usernames are left alone.
    """
    created = []
    for username, role, password in DEMO_LOGINS:
        if session.scalar(select(StaffLogin.id).where(StaffLogin.username == username)):
            continue
        staff = session.scalar(
            select(Staff)
            .where(Staff.role == role, ~Staff.id.in_(select(StaffLogin.staff_id)))
            .order_by(Staff.id)
            .limit(1)
        )
        if staff is None:
            staff = Staff(name=username, role=role, areas=[_demo_area(session, role, province)])
            session.add(staff)
            session.flush()
        create_login(session, DEMO_ACTOR, username=username, password=password, staff=staff)
        created.append((username, password))
    return created


def _demo_area(session: Session, role: Role, province: str) -> Area:
    province_area = session.scalar(select(Area).where(Area.path == province))
    if province_area is None:
        raise DomainError("area_not_found", path=province)
    if role is Role.ADMIN:
        return province_area
    first = session.scalar(
        select(Area).where(Area.parent_id == province_area.id).order_by(Area.path).limit(1)
    )
    return first or province_area
