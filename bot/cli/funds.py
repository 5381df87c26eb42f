"""`fundbot fund payment-target FUND --promptpay ID | --biller ID`: where "pay now" QR codes pay."""

from __future__ import annotations

import click

from bot.cli import pass_runtime, runtime_of
from bot.errors import UserError
from bot.i18n import _
from models.audit import Actor
from models.payment_target import BILLER, set_payment_target, the_fund


@click.group("fund")
def fund_group() -> None:
    """A fund's settings."""


@fund_group.command("payment-target")
@click.argument("fund")
@click.option(
    "--promptpay", help="PromptPay ID: mobile number, 13-digit national/tax ID, e-wallet ID."
)
@click.option("--biller", help="Bill-payment biller ID (15 digits); reference 1 is the contract.")
@pass_runtime
def payment_target(lazy, fund: str, promptpay: str | None, biller: str | None) -> None:
    """Set the account FUND (a fund word such as kkcj, or a fund id) takes QR payments to."""
    if (promptpay is None) == (biller is None):
        raise UserError(_("Give either --promptpay or --biller"))
    runtime = runtime_of(lazy)
    with runtime.db.session() as session:
        found = the_fund(session, fund)
        target = set_payment_target(session, Actor.cli(), found, promptpay=promptpay, biller=biller)
        if target.kind == BILLER:
            summary = _(
                "%(fund)s (fund %(id)d) takes QR bill payments to biller %(value)s",
                fund=found.name,
                id=found.id,
                value=target.value,
            )
        else:
            summary = _(
                "%(fund)s (fund %(id)d) takes QR payments to PromptPay %(value)s",
                fund=found.name,
                id=found.id,
                value=target.value,
            )
    click.echo(summary)


def register(main: click.Group) -> None:
    """Add this module's commands to the command line."""
    main.add_command(fund_group)
