"""Staff: field officers, fund staff, district heads and province admins, with their areas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.area import Area
from models.base import Base, UTCDateTime, utcnow
from models.types import Role, enum_type

staff_area = Table(
    "staff_area",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id"), primary_key=True),
    Column("area_id", ForeignKey("area.id"), primary_key=True),
)


class Staff(Base):
    """A member of staff; what they may see is the areas they are responsible for."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("line_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    # Given to debtors in reminders, so they can call their officer.
    phone: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8), default="th")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    areas: Mapped[list[Area]] = relationship(secondary=staff_area)

    @property
    def area_paths(self) -> list[str]:
        """The paths that scope every debtor query this person makes."""
        return [a.path for a in self.areas]

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.role} {self.name}>"
