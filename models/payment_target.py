"""Where a fund takes payments by Thai QR: a PromptPay ID or a bill-payment biller ID.

One per fund. A biller (tag 30) carries the contract number as reference 1, so a bank
statement line can be matched back to its contract; a PromptPay ID (tag 29) cannot say
which contract a transfer is for, so debtors still send the slip.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.audit import Actor, audit
from models.base import Base, UTCDateTime, utcnow
from models.contract import Contract
from models.errors import DomainError
from models.fund import Fund, fund_kind_from_text
from models.thai_qr import (
    bill_payment_payload,
    biller_id_valid,
    promptpay_kind,
    promptpay_payload,
)

PROMPTPAY = "promptpay"
BILLER = "biller"


class PaymentTarget(Base):
    """A fund's QR payment account."""

    __tablename__ = "payment_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), unique=True)
    # promptpay or biller
    kind: Mapped[str] = mapped_column(String(12))
    # For PromptPay: mobile, national_id or ewallet; for a biller: biller.
    id_type: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund: Mapped[Fund] = relationship()

    def payload(self, contract: Contract, amount: Decimal | None) -> str:
        """The Thai QR Payment payload for paying `amount` on `contract` to this account."""
        if self.kind == BILLER:
            return bill_payment_payload(self.value, contract.contract_no, amount=amount)
        return promptpay_payload(self.value, amount)


def find_funds(session: Session, text: str) -> list[Fund]:
    """The funds `text` names: a fund id, or a fund kind word (every fund of that kind)."""
    text = (text or "").strip()
    if text.isdigit():
        fund = session.get(Fund, int(text))
        return [fund] if fund is not None else []
    kind = fund_kind_from_text(text)
    if kind is None:
        return []
    return list(session.scalars(select(Fund).where(Fund.kind == kind).order_by(Fund.id)))


def the_fund(session: Session, text: str) -> Fund:
    """The one fund `text` names; DomainError fund_not_found or fund_ambiguous."""
    funds = find_funds(session, text)
    if not funds:
        raise DomainError("fund_not_found", fund=text)
    if len(funds) > 1:
        ids = ", ".join(str(f.id) for f in funds[:10])
        raise DomainError("fund_ambiguous", fund=text, ids=ids)
    return funds[0]


def target_of(session: Session, fund_id: int) -> PaymentTarget | None:
    """The fund's QR payment account, if one is set."""
    return session.scalar(select(PaymentTarget).where(PaymentTarget.fund_id == fund_id))


def set_payment_target(
    session: Session,
    actor: Actor,
    fund: Fund,
    *,
    promptpay: str | None = None,
    biller: str | None = None,
) -> PaymentTarget:
    """Set (or replace) the fund's account; validated, audited."""
    if (promptpay is None) == (biller is None):
        raise DomainError("payment_target_one_of")
    if promptpay is not None:
        kind, (id_type, value) = PROMPTPAY, promptpay_kind(promptpay)
    else:
        kind, id_type, value = BILLER, BILLER, biller_id_valid(biller)
    target = target_of(session, fund.id)
    before = None
    if target is None:
        target = PaymentTarget(fund_id=fund.id, kind=kind, id_type=id_type, value=value)
        session.add(target)
    else:
        before = {"kind": target.kind, "id_type": target.id_type, "value": target.value}
        target.kind, target.id_type, target.value = kind, id_type, value
        target.updated_at = utcnow()
    session.flush()
    audit(
        session,
        actor,
        "fund.payment_target",
        "fund",
        fund.id,
        before=before,
        after={"kind": kind, "id_type": id_type, "value": value},
    )
    return target
