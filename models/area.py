"""Areas: province > district (อำเภอ) > subdistrict (ตำบล) > village (หมู่บ้าน)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, false, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.types import AreaLevel, enum_type

SEPARATOR = "/"


class Area(Base):
    """One node of the area tree; `path` is the Thai names from the province down."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    level: Mapped[AreaLevel] = mapped_column(enum_type(AreaLevel, "area_level"))
    name: Mapped[str] = mapped_column(String(120))
    village_no: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    # Ancestors by level, so arrears can be grouped per district or subdistrict in one query.
    province_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    def __repr__(self) -> str:
        return f"<Area {self.path}>"

    def contains(self, other: Area) -> bool:
        """True when `other` is this area or lies inside it."""
        return other.path == self.path or other.path.startswith(self.path + SEPARATOR)


def village_label(village_no: int | None, name: str) -> str:
    """The path segment of a village: "หมู่ 3" when numbered, else its name."""
    return f"หมู่ {village_no}" if village_no is not None else name


def within(column, paths: list[str]):
    """A SQL condition: `column` (an area path) lies inside any of `paths`."""
    if not paths:
        return false()
    clauses = []
    for path in paths:
        clauses.append(column == path)
        clauses.append(column.startswith(path + SEPARATOR, autoescape=True))
    return or_(*clauses)
