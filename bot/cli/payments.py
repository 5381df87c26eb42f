"""`fundbot slips`, `slip approve|reject`, `payment record|reverse`, `payments`: staff act on
money.

Debtors report transfers on LINE with a slip photo; the payment waits, unallocated, until
staff look at the slip and approve or reject it here. Every change is audited (source cli).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.params import DATE, contract_choice, lookup_contract
from bot.cli.tables import table
from bot.errors import UserError
from bot.i18n import _, format_date, format_money, lazy_gettext, ngettext
from bot.payment_question import payment_question
from bot.runtime import Runtime
from models.area import find_area
from models.audit import Actor
from models.ledger import (
    confirm_payment,
    payment_doubt,
    record_payment,
    reject_payment,
    reverse_payment,
)
from models.payment import Payment
from models.payments_query import contract_payments, get_payment
from models.slips_query import (
    DUPLICATE,
    STATUSES,
    UNFINISHED,
    SlipEntry,
    original_of,
    slip_entries,
)
from models.thai_text import parse_typed_amount
from models.types import PaymentChannel, PaymentState

STATE_LABELS = {
    PaymentState.PENDING: lazy_gettext("awaiting verification"),
    PaymentState.CONFIRMED: lazy_gettext("confirmed"),
    PaymentState.REJECTED: lazy_gettext("rejected"),
    PaymentState.REVERSED: lazy_gettext("reversed"),
}
SLIP_LABELS = {
    **{state.value: label for state, label in STATE_LABELS.items()},
    UNFINISHED: lazy_gettext("waiting for contract or amount"),
    DUPLICATE: lazy_gettext("duplicate"),
}
CHANNEL_LABELS = {
    PaymentChannel.CASH_OFFICER: lazy_gettext("cash to an officer"),
    PaymentChannel.BANK_TRANSFER: lazy_gettext("bank transfer"),
    PaymentChannel.OFFICE: lazy_gettext("at the office"),
    PaymentChannel.IMPORT: lazy_gettext("register import"),
}


@click.command("slips")
@click.option("--pending", is_flag=True, help="Only slips awaiting verification.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only slips in this state (repeatable): unfinished (no contract or amount yet), "
    "duplicate, pending, confirmed, rejected, reversed.",
)
@click.option("--area", "area_path", help='Only borrowers in this area, e.g. "แก่งคอย/หินซ้อน".')
@pass_runtime
def slips(lazy, pending: bool, statuses: tuple[str, ...], area_path: str | None) -> None:
    """Transfer slips debtors sent on LINE, oldest first, with the slip file to look at.

    Besides the payments, the slips still waiting for their contract or amount and the
    duplicates (a bank reference or file sent before) are listed, marked as such.
    """
    runtime = runtime_of(lazy)
    wanted = {*statuses, *([PaymentState.PENDING.value] if pending else [])} or None
    with runtime.db.session() as session:
        scope = [_area_path(session, runtime, area_path)] if area_path else None
        found = slip_entries(session, runtime.settings.timezone, scope=scope, statuses=wanted)
        rows = [
            _slip_row(session, entry, runtime.settings.instance_path, runtime.settings.timezone)
            for entry in found
        ]
    only_pending = wanted == {PaymentState.PENDING.value}
    title = _("Transfer slips awaiting verification") if only_pending else _("Transfer slips")
    if area_path:
        title = f"{title} — {area_path}"
    click.echo(title)
    if not rows:
        click.echo(_("No slips."))
        return
    headers = [
        _("No."),
        _("Date"),
        _("Contract"),
        _("Borrower"),
        _("Amount"),
        _("State"),
        _("Slip"),
        _("Note"),
    ]
    click.echo(table(headers, rows, right={0, 4}))
    click.echo(ngettext("%(num)d slip", "%(num)d slips", len(rows)))


@click.group("slip")
def slip() -> None:
    """Approve or reject a transfer slip awaiting verification."""


@slip.command("approve")
@click.argument("payment_id", type=int)
@pass_runtime
def approve(lazy, payment_id: int) -> None:
    """Accept the slip of payment PAYMENT_ID and allocate the money to the installments."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        payment = get_payment(session, payment_id, for_update=True)
        confirm_payment(
            session, Actor.cli(), payment, today=datetime.now(runtime.settings.timezone).date()
        )
        summary = _(
            "Payment %(id)d confirmed: %(amount)s on contract %(contract)s (%(borrower)s); "
            "%(paid)s",
            id=payment.id,
            amount=format_money(payment.amount),
            contract=payment.contract.contract_no,
            borrower=payment.contract.borrower.display_name,
            paid=_allocation_summary(payment),
        )
    # Printed once the transaction has committed, so a summary always means it is saved.
    click.echo(summary)


@slip.command("reject")
@click.argument("payment_id", type=int)
@click.option("--reason", required=True, help="Why the slip is refused (kept with the payment).")
@pass_runtime
def reject(lazy, payment_id: int, reason: str) -> None:
    """Refuse the slip of payment PAYMENT_ID; nothing is allocated."""
    runtime = runtime_of(lazy)
    reason = _reason(reason)
    with runtime.db.session() as session:
        payment = get_payment(session, payment_id, for_update=True)
        reject_payment(session, Actor.cli(), payment, reason)
        summary = _(
            "Payment %(id)d rejected (%(amount)s on contract %(contract)s): %(reason)s",
            id=payment.id,
            amount=format_money(payment.amount),
            contract=payment.contract.contract_no,
            reason=reason,
        )
    click.echo(summary)


@click.group("payment")
def payment_group() -> None:
    """Correct a recorded payment."""


@payment_group.command("reverse")
@click.argument("payment_id", type=int)
@click.option("--reason", required=True, help="Why the payment is reversed (audited).")
@pass_runtime
def reverse(lazy, payment_id: int, reason: str) -> None:
    """Reverse confirmed payment PAYMENT_ID with a mirroring negative payment."""
    runtime = runtime_of(lazy)
    reason = _reason(reason)
    with runtime.db.session() as session:
        payment = get_payment(session, payment_id, for_update=True)
        reversal = reverse_payment(session, Actor.cli(), payment, reason)
        summary = _(
            "Payment %(id)d (%(amount)s on contract %(contract)s) reversed by payment "
            "%(reversal)d: %(reason)s",
            id=payment.id,
            amount=format_money(payment.amount),
            contract=payment.contract.contract_no,
            reversal=reversal.id,
            reason=reason,
        )
    click.echo(summary)


@payment_group.command("record")
@click.argument("contract_no")
@click.argument("amount")
@click.option("--date", "paid_on", type=DATE, help="When it was paid (default: today).")
@click.option(
    "--channel",
    type=click.Choice(["office", "bank_transfer", "cash_officer"]),
    default="office",
    show_default=True,
    help="How the money came in.",
)
@click.option("--reference", help="A receipt or bank reference, kept with the payment.")
@click.option("--yes", is_flag=True, help="Do not ask when above the balance or in the future.")
@contract_choice
@pass_runtime
def record(
    lazy,
    contract_no: str,
    amount: str,
    paid_on,
    channel: str,
    reference: str | None,
    yes: bool,
    fund_kind: str | None,
    area_path: str | None,
) -> None:
    """Record AMOUNT received on CONTRACT_NO, allocated to the installments at once."""
    runtime = runtime_of(lazy)
    today = datetime.now(runtime.settings.timezone).date()
    try:
        baht = parse_typed_amount(amount)
    except ValueError as exc:
        raise UserError(_("%(value)s %(problem)s", value=amount, problem=_(str(exc)))) from None
    paid_on = paid_on or today
    with runtime.db.session() as session:
        contract = lookup_contract(session, runtime, contract_no, fund_kind, area_path)
        doubt = payment_doubt(contract, baht, paid_on, today)
        if doubt is not None and not yes:
            question = payment_question(
                doubt, contract, baht, paid_on, contract.borrower.display_name
            )
            click.confirm(question, abort=True)
        payment = record_payment(
            session,
            Actor.cli(),
            contract,
            baht,
            paid_on,
            PaymentChannel(channel),
            reference=reference,
            today=today,
        )
        summary = _(
            "Payment %(id)d recorded: %(amount)s on contract %(contract)s (%(borrower)s); %(paid)s",
            id=payment.id,
            amount=format_money(payment.amount),
            contract=contract.contract_no,
            borrower=contract.borrower.display_name,
            paid=_allocation_summary(payment),
        )
    click.echo(summary)


@click.command("payments")
@click.argument("contract_no")
@contract_choice
@pass_runtime
def payments(lazy, contract_no: str, fund_kind: str | None, area_path: str | None) -> None:
    """Every payment of CONTRACT_NO with its state, reversals included."""
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        contract = lookup_contract(session, runtime, contract_no, fund_kind, area_path)
        title = _(
            "Payments of contract %(contract)s (%(borrower)s)",
            contract=contract.contract_no,
            borrower=contract.borrower.display_name,
        )
        found = contract_payments(session, contract)
        reversed_by = {p.reverses_id: p.id for p in found if p.reverses_id is not None}
        rows = [_payment_row(p, reversed_by.get(p.id)) for p in found]
    click.echo(title)
    if not rows:
        click.echo(_("No payments."))
        return
    headers = [
        _("No."),
        _("Date"),
        _("Amount"),
        _("Channel"),
        _("State"),
        _("Allocated"),
        _("Recorded by"),
        _("Note"),
    ]
    click.echo(table(headers, rows, right={0, 2, 5}))


def _area_path(session, runtime: Runtime, path: str) -> str:
    """The stored path of the area the operator typed; an unknown one is an error."""
    area = find_area(session, path, runtime.settings.province)
    if area is None:
        raise UserError(_("Unknown area: %(path)s", path=path))
    return area.path


def _reason(text: str) -> str:
    """The reason, trimmed; a blank one is refused, since it is the audit's only why."""
    reason = " ".join(text.split())
    if not reason:
        raise UserError(_("--reason cannot be empty"))
    return reason


def _slip_row(session, entry: SlipEntry, instance: Path, zone: tzinfo) -> list[str]:
    """A payment's number, contract and amount; a slip without a payment has none yet."""
    payment = entry.payment
    return [
        str(payment.id) if payment else "-",
        format_date(entry.day),
        payment.contract.contract_no if payment else "-",
        entry.borrower.display_name,
        format_money(payment.amount) if payment else "-",
        str(SLIP_LABELS[entry.status]),
        str(Path(instance) / entry.path),
        _slip_note(session, entry, zone),
    ]


def _slip_note(session, entry: SlipEntry, zone: tzinfo) -> str:
    """For a duplicate, the slip it repeats: its payment's number, or the day it came."""
    original = original_of(session, entry.slip) if entry.status == DUPLICATE else None
    if original is None:
        return "-"
    if original.payment_id is not None:
        return _("same slip as payment %(id)d", id=original.payment_id)
    sent = format_date(original.created_at.astimezone(zone).date())
    return _("same slip as one sent %(date)s", date=sent)


def _payment_row(payment: Payment, reversed_by: int | None) -> list[str]:
    allocated = sum((a.principal + a.interest for a in payment.allocations), Decimal("0.00"))
    return [
        str(payment.id),
        format_date(payment.paid_on),
        format_money(payment.amount),
        str(CHANNEL_LABELS[payment.channel]),
        str(STATE_LABELS[payment.state]),
        format_money(allocated) if payment.allocations else "-",
        payment.recorded_by,
        _payment_note(payment, reversed_by),
    ]


def _payment_note(payment: Payment, reversed_by: int | None) -> str:
    """What explains the row: the reversal it is part of, and the note kept with it."""
    parts = []
    if reversed_by is not None:
        parts.append(_("reversed by payment %(id)d", id=reversed_by))
    if payment.reverses_id is not None:
        parts.append(_("reverses payment %(id)d", id=payment.reverses_id))
    if payment.note:
        parts.append(" ".join(payment.note.split()))
    return "; ".join(parts) or "-"


def _allocation_summary(payment: Payment) -> str:
    """Which installments the money went to, and any credit left over."""
    seqs = ", ".join(str(a.installment.seq) for a in payment.allocations)
    if seqs:
        text = _("paid to installments %(seqs)s", seqs=seqs)
    else:
        text = _("nothing was owed")
    if payment.unallocated > 0:
        text += "; " + _("%(credit)s kept as credit", credit=format_money(payment.unallocated))
    return text


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    for command in (slips, slip, payment_group, payments):
        main.add_command(command)
