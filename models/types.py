"""Enumerations shared by the models, stored as short strings with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def enum_type(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable VARCHAR + CHECK column type for a StrEnum (same on SQLite and PostgreSQL)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class AreaLevel(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    SUBDISTRICT = "subdistrict"
    VILLAGE = "village"


class FundKind(StrEnum):
    WOMENS_FUND = "womens_fund"
    KKCJ = "kkcj"


class BorrowerKind(StrEnum):
    PERSON = "person"
    GROUP = "group"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    PAID_OFF = "paid_off"
    CLOSED = "closed"


class PaymentChannel(StrEnum):
    CASH_OFFICER = "cash_officer"
    BANK_TRANSFER = "bank_transfer"
    OFFICE = "office"
    IMPORT = "import"


class PaymentState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REVERSED = "reversed"
    REJECTED = "rejected"


class ReliefKind(StrEnum):
    MORATORIUM = "moratorium"
    RESTRUCTURING = "restructuring"


class Role(StrEnum):
    FIELD_OFFICER = "field_officer"
    FUND_STAFF = "fund_staff"
    DISTRICT_HEAD = "district_head"
    ADMIN = "admin"


class Source(StrEnum):
    """Where a change came from, for the audit log."""

    LINE = "line"
    WEB = "web"
    CLI = "cli"
    IMPORT = "import"
    SYSTEM = "system"
