"""Borrowers: a person, or a member group acting through its representative."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.area import Area
from models.audit import Actor, audit
from models.base import Base, UTCDateTime, utcnow
from models.thai_text import name_key, split_title, validate_national_id
from models.types import BorrowerKind, enum_type


class Borrower(Base):
    """A debtor. The national ID is kept only as a salted hash and its last four digits."""

    __tablename__ = "borrower"
    __table_args__ = (UniqueConstraint("line_user_id"), UniqueConstraint("national_id_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BorrowerKind] = mapped_column(
        enum_type(BorrowerKind, "borrower_kind"), default=BorrowerKind.PERSON
    )
    title: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    # The name without titles or spaces, for matching what people type.
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    representative_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    national_id_hash: Mapped[str | None] = mapped_column(String(64))
    national_id_last4: Mapped[str | None] = mapped_column(String(4))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    line_reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="th")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship()

    @property
    def display_name(self) -> str:
        """The name as people write it, with its title."""
        return f"{self.title}{self.name}" if self.title else self.name

    def __repr__(self) -> str:
        return f"<Borrower {self.id} {self.name}>"


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class IdentityConflict(ValueError):
    """The national ID given belongs to someone other than the borrower it was given for."""


def hash_national_id(secret_key: str, nid: str) -> str:
    """The keyed hash (hex) under which a national ID is stored and looked up."""
    digits = validate_national_id(nid)
    return hmac.new(secret_key.encode(), digits.encode(), hashlib.sha256).hexdigest()


def find_by_national_id(session: Session, secret_key: str, nid: str) -> Borrower | None:
    """The borrower with this national ID, if any."""
    digest = hash_national_id(secret_key, nid)
    return session.scalar(select(Borrower).where(Borrower.national_id_hash == digest))


def find_by_name(
    session: Session, name: str, village: Area, kind: BorrowerKind | None = None
) -> Borrower | None:
    """The borrower of this name (titles and spacing ignored) in this village; oldest first."""
    query = select(Borrower).where(
        Borrower.name_key == name_key(name), Borrower.area_id == village.id
    )
    if kind is not None:
        query = query.where(Borrower.kind == BorrowerKind(kind))
    return session.scalars(query.order_by(Borrower.id).limit(1)).first()


def find_or_create_borrower(
    session: Session,
    actor: Actor,
    *,
    secret_key: str,
    kind: BorrowerKind,
    name: str,
    phone: str | None,
    national_id: str | None,
    village: Area,
    locale: str,
) -> Borrower:
    """The borrower matching this national ID, else this name in this village, else a new one.

    A matched borrower takes the name and phone given when they differ (audited).
    """
    borrower, _outcome = resolve_borrower(
        session,
        actor,
        secret_key=secret_key,
        kind=kind,
        name=name,
        phone=phone,
        national_id=national_id,
        village=village,
        locale=locale,
    )
    return borrower


def resolve_borrower(
    session: Session,
    actor: Actor,
    *,
    secret_key: str,
    kind: BorrowerKind,
    name: str,
    phone: str | None,
    national_id: str | None,
    village: Area,
    locale: str,
) -> tuple[Borrower, str]:
    """find_or_create_borrower, also saying whether the borrower was created or updated."""
    borrower = None
    if national_id:
        borrower = find_by_national_id(session, secret_key, national_id)
    if borrower is None:
        borrower = find_by_name(session, name, village, kind)
        if borrower is not None and national_id and borrower.national_id_hash:
            # Same name, same village, but a different person: keep them apart.
            borrower = None
    if borrower is None:
        borrower = _create(
            session, actor, secret_key, kind, name, phone, national_id, village, locale
        )
        return borrower, CREATED
    changed = update_borrower(
        session,
        actor,
        borrower,
        secret_key=secret_key,
        name=name,
        phone=phone,
        national_id=national_id,
    )
    return borrower, UPDATED if changed else UNCHANGED


def update_borrower(
    session: Session,
    actor: Actor,
    borrower: Borrower,
    *,
    secret_key: str,
    name: str,
    phone: str | None,
    national_id: str | None,
) -> bool:
    """Take a new name, phone or a first national ID; audited; True when anything changed.

    A missing title, phone or ID means "not given" and leaves what is stored. An ID that
    differs from the stored one raises IdentityConflict.
    """
    current = {key: getattr(borrower, key) for key in ("id", *BORROWER_FIELDS)}
    before, after = borrower_changes(
        current, secret_key=secret_key, name=name, phone=phone, national_id=national_id
    )
    if not before:
        return False
    for key, value in after.items():
        setattr(borrower, key, value)
    session.flush()
    audit(
        session,
        actor,
        "borrower.update",
        "borrower",
        borrower.id,
        before=_shown(before),
        after=_shown(after),
    )
    return True


BORROWER_FIELDS = ("title", "name", "name_key", "phone", "national_id_hash", "national_id_last4")


def borrower_changes(
    current: dict, *, secret_key: str, name: str, phone: str | None, national_id: str | None
) -> tuple[dict, dict]:
    """What update_borrower changes on a borrower whose stored values are `current`:
    (before, after) of the changed fields, both empty when nothing changes. Pure, so the
    bulk import applies the same rule. Raises IdentityConflict for another stored ID."""
    title, bare = split_title(name)
    wanted = {"name": bare, "name_key": name_key(name)}
    if title:
        wanted["title"] = title
    if phone:
        wanted["phone"] = phone
    if national_id:
        digest = hash_national_id(secret_key, national_id)
        if current["national_id_hash"] not in (None, digest):
            raise IdentityConflict(current.get("id"))
        wanted["national_id_hash"] = digest
        wanted["national_id_last4"] = validate_national_id(national_id)[-4:]
    before = {k: current[k] for k, v in wanted.items() if current[k] != v}
    return before, {k: wanted[k] for k in before}


def shown_in_audit(values: dict) -> dict:
    """Borrower values as the audit log keeps them (public name of _shown)."""
    return _shown(values)


def _create(
    session: Session,
    actor: Actor,
    secret_key: str,
    kind: BorrowerKind,
    name: str,
    phone: str | None,
    national_id: str | None,
    village: Area,
    locale: str,
) -> Borrower:
    """A new borrower, audited (the audit shows the ID's last 4 digits, never the hash)."""
    title, bare = split_title(name)
    borrower = Borrower(
        kind=BorrowerKind(kind),
        title=title,
        name=bare,
        name_key=name_key(name),
        phone=phone or None,
        national_id_hash=hash_national_id(secret_key, national_id) if national_id else None,
        national_id_last4=validate_national_id(national_id)[-4:] if national_id else None,
        area=village,
        locale=locale,
    )
    session.add(borrower)
    session.flush()
    audit(
        session,
        actor,
        "borrower.create",
        "borrower",
        borrower.id,
        after=_shown(
            {
                "kind": borrower.kind,
                "title": title,
                "name": bare,
                "phone": borrower.phone,
                "national_id_last4": borrower.national_id_last4,
                "area": village.path,
            }
        ),
    )
    return borrower


def _shown(values: dict) -> dict:
    """Values for the audit log, without the hash and the matching key."""
    # The audit log is read by people: the hash says nothing to them, the last 4 digits do.
    return {k: v for k, v in values.items() if k not in ("national_id_hash", "name_key")}
