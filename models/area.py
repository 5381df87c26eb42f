"""Areas: province > district (อำเภอ) > subdistrict (ตำบล) > village (หมู่บ้าน)."""

from __future__ import annotations

import re

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, false, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base
from models.thai_text import thai_digits_to_arabic
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


_VILLAGE_NO = re.compile(r"^(?:หมู่(?:ที่)?|ม\.)?\s*(\d{1,3})(?:\s+(.*))?$")


def parse_village(text: str) -> tuple[int | None, str]:
    """ "หมู่ 3", "หมู่ที่ 3", "ม.3", "3" or a name, as (number or None, name)."""
    text = " ".join(thai_digits_to_arabic(text).split())
    match = _VILLAGE_NO.match(text)
    if match:
        number = int(match.group(1))
        return number, (match.group(2) or "").strip() or village_label(number, "")
    return None, text


def ensure_area(
    session: Session, province: str, district: str, subdistrict: str, village: str
) -> Area:
    """The village area for these names, creating any missing level on the way down."""
    province_area = _ensure(session, None, AreaLevel.PROVINCE, province.strip())
    district_area = _ensure(session, province_area, AreaLevel.DISTRICT, district.strip())
    sub_area = _ensure(session, district_area, AreaLevel.SUBDISTRICT, subdistrict.strip())
    number, name = parse_village(village)
    return _ensure(session, sub_area, AreaLevel.VILLAGE, name, number)


def ensure_province(session: Session, province: str) -> Area:
    """The province area, created if missing."""
    return _ensure(session, None, AreaLevel.PROVINCE, province.strip())


def _ensure(
    session: Session, parent: Area | None, level: AreaLevel, name: str, number: int | None = None
) -> Area:
    segment = village_label(number, name) if level is AreaLevel.VILLAGE else name
    path = segment if parent is None else parent.path + SEPARATOR + segment
    area = session.scalar(select(Area).where(Area.path == path))
    if area is not None:
        return area
    area = new_area(session, parent, level, name, number, path)
    session.flush()
    return area


def new_area(
    session: Session,
    parent: Area | None,
    level: AreaLevel,
    name: str,
    number: int | None,
    path: str,
    *,
    area_id: int | None = None,
) -> Area:
    """A new area below `parent` (stored, or given its id), added to the session."""
    area = Area(id=area_id, parent=parent, level=level, name=name, village_no=number, path=path)
    if parent is not None:
        area.province_id = parent.province_id or parent.id
        area.district_id = parent.id if parent.level is AreaLevel.DISTRICT else parent.district_id
        area.subdistrict_id = (
            parent.id if parent.level is AreaLevel.SUBDISTRICT else parent.subdistrict_id
        )
    session.add(area)
    return area


def find_area(session: Session, path: str, province: str) -> Area | None:
    """The area named by a path such as "แก่งคอย/หินซ้อน/หมู่ 3", within `province` by default.

    A path may also start with the province's own name. Village segments may be written
    "3", "หมู่ที่ 3" or "ม.3".
    """
    parts = [p.strip() for p in path.strip().strip(SEPARATOR).split(SEPARATOR) if p.strip()]
    if not parts:
        return None
    candidates = [parts] if parts[0] == province else [[province, *parts], parts]
    for segments in candidates:
        if len(segments) == 4:
            number, name = parse_village(segments[3])
            segments = [*segments[:3], village_label(number, name)]
        area = session.scalar(select(Area).where(Area.path == SEPARATOR.join(segments)))
        if area is not None:
            return area
    return None
