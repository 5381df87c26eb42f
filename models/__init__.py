"""fundbot's data model: every table, importable from one place."""

from models.area import Area
from models.audit import Actor, AuditEntry, audit
from models.base import Base, Database
from models.borrower import Borrower
from models.contract import Contract, Installment
from models.fund import Fund
from models.payment import Allocation, Payment
from models.relief import ReliefMeasure
from models.staff import Staff, staff_area

__all__ = [
    "Actor",
    "Allocation",
    "Area",
    "AuditEntry",
    "Base",
    "Borrower",
    "Contract",
    "Database",
    "Fund",
    "Installment",
    "Payment",
    "ReliefMeasure",
    "Staff",
    "audit",
    "staff_area",
]
