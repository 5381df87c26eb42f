"""Contracts (loans) and their installment schedules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from models.area import Area, within
from models.base import Base, Money, Rate, UTCDateTime, utcnow
from models.borrower import Borrower
from models.errors import DomainError
from models.fund import Fund
from models.thai_text import thai_digits_to_arabic
from models.types import ContractStatus, Frequency, FundKind, enum_type


class Contract(Base):
    """A loan: its terms, its borrower, the officer who follows it."""

    __tablename__ = "contract"
    __table_args__ = (UniqueConstraint("fund_id", "contract_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    contract_no: Mapped[str] = mapped_column(String(60), index=True)
    # contract_number_key(contract_no): what typed numbers are matched on.
    number_key: Mapped[str] = mapped_column(String(60), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrower.id"), index=True)
    principal: Mapped[Decimal] = mapped_column(Money)
    annual_interest_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    contract_date: Mapped[date] = mapped_column(Date)
    first_due_date: Mapped[date] = mapped_column(Date)
    installment_count: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[Frequency] = mapped_column(enum_type(Frequency, "frequency"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[ContractStatus] = mapped_column(
        enum_type(ContractStatus, "contract_status"), default=ContractStatus.ACTIVE
    )
    # Schedule 1 is the original; each restructuring adds the next number.
    schedule_no: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund: Mapped[Fund] = relationship()
    borrower: Mapped[Borrower] = relationship(backref="contracts")
    installments: Mapped[list[Installment]] = relationship(
        back_populates="contract", order_by="(Installment.schedule_no, Installment.seq)"
    )

    @validates("contract_no")
    def _keep_number_key(self, _key: str, contract_no: str) -> str:
        self.number_key = contract_number_key(contract_no)
        return contract_no

    @property
    def current_installments(self) -> list[Installment]:
        """The installments of the schedule in force (not superseded by a restructuring)."""
        return [i for i in self.installments if i.superseded_on is None]

    def __repr__(self) -> str:
        return f"<Contract {self.contract_no}>"


OPEN_CONDITION = "principal_paid <> principal_due OR interest_paid <> interest_due"


class Installment(Base):
    """One installment: what falls due on a date, and what has been paid against it.

    `principal_paid` and `interest_paid` are the sums of its allocations, kept here so the
    current position needs no join; the arrears engine sums allocations for past dates.
    """

    __tablename__ = "installment"
    __table_args__ = (
        UniqueConstraint("contract_id", "schedule_no", "seq"),
        Index("ix_installment_due", "due_date"),
        # Whether a contract has an installment in force on a date, answered from the index
        # alone (today's arrears ask it of every contract); serves lookups by contract too.
        Index("ix_installment_in_force", "contract_id", "effective_from", "superseded_on"),
        # The installments with something left to pay, a tenth of them: today's arrears read
        # only these (models.arrears OPEN_INSTALLMENT states the same condition).
        Index(
            "ix_installment_open",
            "contract_id",
            sqlite_where=text(OPEN_CONDITION),
            postgresql_where=text(OPEN_CONDITION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))
    schedule_no: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    original_due_date: Mapped[date] = mapped_column(Date)
    principal_due: Mapped[Decimal] = mapped_column(Money)
    interest_due: Mapped[Decimal] = mapped_column(Money)
    principal_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    interest_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # The schedule this belongs to is in force from `effective_from` until `superseded_on`.
    effective_from: Mapped[date] = mapped_column(Date)
    superseded_on: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship(back_populates="installments")

    @property
    def amount_due(self) -> Decimal:
        """Principal plus interest due."""
        return self.principal_due + self.interest_due

    @property
    def amount_paid(self) -> Decimal:
        """Principal plus interest paid so far."""
        return self.principal_paid + self.interest_paid

    @property
    def remaining(self) -> Decimal:
        """What is still to pay on this installment."""
        return self.amount_due - self.amount_paid

    def status(self, as_of: date) -> str:
        """paid, partial, overdue, due (on its due date) or upcoming, as of a date."""
        if self.superseded_on is not None and self.superseded_on <= as_of:
            return "superseded"
        if self.remaining <= 0:
            return "paid"
        if as_of > self.due_date:
            return "overdue"
        if as_of == self.due_date:
            return "due"
        return "partial" if self.amount_paid > 0 else "upcoming"

    def __repr__(self) -> str:
        return f"<Installment {self.contract_id}#{self.schedule_no}.{self.seq} {self.due_date}>"


def contract_number_key(contract_no: str) -> str:
    """What contract numbers are matched on: Thai digits as 0-9, no spaces, case folded.

    People type "สกส.สบ.187/2569" for "สกส.สบ. 187/2569"; the stored number keeps its spaces.
    """
    return "".join(thai_digits_to_arabic(contract_no).split()).casefold()


def find_contract(
    session: Session,
    contract_no: str,
    fund_kind: FundKind | None = None,
    *,
    scope: list[str] | None = None,
    area: str | None = None,
) -> Contract:
    """The one contract with this number (in this kind of fund; borrowers inside `scope`).

    `scope` is the caller's area paths (None: no limit, the operator at the command line);
    `area` narrows to one area path, for numbers that repeat across KKCJ village funds.
    Raises DomainError contract_not_found or contract_ambiguous (with the candidates).
    """
    key = contract_number_key(contract_no)
    query = (
        select(Contract)
        .join(Fund)
        .join(Borrower, Contract.borrower_id == Borrower.id)
        .join(Area, Borrower.area_id == Area.id)
        .where(Contract.number_key == key)
    )
    if fund_kind is not None:
        query = query.where(Fund.kind == FundKind(fund_kind))
    if scope is not None:
        query = query.where(within(Area.path, scope))
    if area is not None:
        query = query.where(within(Area.path, [area]))
    contracts = list(session.scalars(query.order_by(Fund.kind, Fund.name, Area.path)))
    if not contracts:
        raise DomainError("contract_not_found", contract=contract_no.strip())
    if len(contracts) > 1:
        funds = ", ".join(f"{c.fund.name} ({c.borrower.area.path})" for c in contracts)
        raise DomainError("contract_ambiguous", contract=contracts[0].contract_no, funds=funds)
    return contracts[0]
