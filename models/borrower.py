"""Borrowers: a person, or a member group acting through its representative."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.area import Area
from models.base import Base, UTCDateTime, utcnow
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
