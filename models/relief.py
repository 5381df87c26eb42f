"""Relief measures: moratoriums (พักชำระหนี้) and restructurings (ปรับโครงสร้างหนี้)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.contract import Contract
from models.types import ReliefKind, enum_type


class ReliefMeasure(Base):
    """A moratorium (with its round and dates) or a restructuring (with its new terms)."""

    __tablename__ = "relief_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    kind: Mapped[ReliefKind] = mapped_column(enum_type(ReliefKind, "relief_kind"))
    round_no: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
