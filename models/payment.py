"""Payments and how each was allocated to installments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Money, UTCDateTime, utcnow
from models.contract import Contract, Installment
from models.types import PaymentChannel, PaymentState, Source, enum_type


class Payment(Base):
    """Money received (or, with a negative amount, the reversal of an earlier payment)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[PaymentChannel] = mapped_column(enum_type(PaymentChannel, "payment_channel"))
    state: Mapped[PaymentState] = mapped_column(enum_type(PaymentState, "payment_state"))
    # Credit beyond the whole remaining debt, kept on the payment rather than lost.
    unallocated: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    recorded_by: Mapped[str] = mapped_column(String(120))
    source: Mapped[Source] = mapped_column(enum_type(Source, "source"))
    reference: Mapped[str | None] = mapped_column(String(200))
    slip_path: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(back_populates="payment")


class Allocation(Base):
    """The part of a payment applied to one installment's interest and principal."""

    __tablename__ = "allocation"
    __table_args__ = (
        Index("ix_allocation_installment_paid", "installment_id", "paid_on"),
        # The arrears engine's current path finds the allocations dated after a day by it.
        Index("ix_allocation_paid_on", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installment.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    # The payment's date, copied so arrears on a past date need not join payments.
    paid_on: Mapped[date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    installment: Mapped[Installment] = relationship()
