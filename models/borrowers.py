"""Borrower identity: national-ID hashing, and finding a borrower again by ID or by name.

The national ID is never stored: only an HMAC-SHA256 of its 13 digits, keyed with the
installation's secret key (FUNDBOT_SECRET_KEY), and its last four digits for people to read.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.thai_input import name_key, split_title, validate_national_id
from models.area import Area
from models.audit import Actor, audit
from models.borrower import Borrower
from models.types import BorrowerKind

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
    title, bare = split_title(name)
    wanted = {"name": bare, "name_key": name_key(name)}
    if title:
        wanted["title"] = title
    if phone:
        wanted["phone"] = phone
    if national_id:
        digest = hash_national_id(secret_key, national_id)
        if borrower.national_id_hash not in (None, digest):
            raise IdentityConflict(borrower.id)
        wanted["national_id_hash"] = digest
        wanted["national_id_last4"] = validate_national_id(national_id)[-4:]
    before = {k: getattr(borrower, k) for k, v in wanted.items() if getattr(borrower, k) != v}
    if not before:
        return False
    after = {k: wanted[k] for k in before}
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
