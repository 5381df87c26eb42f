"""fundbot's data model: every table, importable from one place."""

from models.area import Area
from models.arrears_snapshot import ArrearsAreaVersion, ArrearsSnapshot
from models.audit import Actor, AuditEntry, audit
from models.base import Base, Database
from models.borrower import Borrower
from models.chat_state import ChatState
from models.contract import Contract, Installment
from models.field_reports import CollectionCase, FieldReport
from models.fund import Fund
from models.fund_register import FundRegisterEntry
from models.hardship import HardshipRequest
from models.identity import LineGroup, LineGroupMember, LinkAttempt, LinkCode, LinkGuard
from models.inbound import InboundEvent
from models.outbox import OutboxMessage, QuotaBlock
from models.payment import Allocation, Payment
from models.payment_target import PaymentTarget
from models.relief import ReliefMeasure
from models.reminders import ReminderItem, VisitTask
from models.simulator import SimulatorMessage
from models.slip import Slip
from models.staff import Staff, staff_area
from models.staff_login import LoginThrottle, StaffLogin

__all__ = [
    "Actor",
    "Allocation",
    "Area",
    "ArrearsAreaVersion",
    "ArrearsSnapshot",
    "AuditEntry",
    "Base",
    "Borrower",
    "ChatState",
    "CollectionCase",
    "Contract",
    "Database",
    "FieldReport",
    "Fund",
    "FundRegisterEntry",
    "HardshipRequest",
    "InboundEvent",
    "Installment",
    "LineGroup",
    "LineGroupMember",
    "LinkAttempt",
    "LinkCode",
    "LinkGuard",
    "LoginThrottle",
    "OutboxMessage",
    "Payment",
    "PaymentTarget",
    "QuotaBlock",
    "ReliefMeasure",
    "ReminderItem",
    "SimulatorMessage",
    "Slip",
    "Staff",
    "VisitTask",
    "StaffLogin",
    "audit",
    "staff_area",
]
