"""The audit log: who changed money, status, links or roles, when, from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.types import Source, enum_type


@dataclass(frozen=True)
class Actor:
    """Who is acting: a name for people to read and the channel they act through."""

    name: str
    source: Source

    @classmethod
    def cli(cls) -> Actor:
        """The operator at the command line."""
        import getpass

        return cls(f"cli:{getpass.getuser()}", Source.CLI)


class AuditEntry(Base):
    """One change. Entries are only ever added."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    source: Mapped[Source] = mapped_column(enum_type(Source, "source"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session (committed with the change it records)."""
    entry = AuditEntry(
        actor=actor.name,
        source=actor.source,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_plain(before),
        after=_plain(after),
    )
    session.add(entry)
    return entry


def audit_row(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit_log row `audit` would add, as values for a bulk insert (same content)."""
    return {
        "at": utcnow(),
        "actor": actor.name,
        "source": actor.source,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": _plain(before),
        "after": _plain(after),
    }


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    # JSON columns take no Decimal or date: money as "1234.50", dates ISO.
    if values is None:
        return None
    return {key: _plain_value(value) for key, value in values.items()}


def _plain_value(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return _plain(value)
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    return value
