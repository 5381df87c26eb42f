"""Funds: the province's Women's Development Fund and each village's KKCJ fund."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.area import Area
from models.base import Base
from models.types import FundKind, enum_type


class Fund(Base):
    """A lending fund; a KKCJ fund belongs to one village, the Women's Fund to a province."""

    __tablename__ = "fund"
    __table_args__ = (UniqueConstraint("kind", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FundKind] = mapped_column(enum_type(FundKind, "fund_kind"))
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)

    area: Mapped[Area] = relationship()

    def __repr__(self) -> str:
        return f"<Fund {self.kind} {self.name}>"
