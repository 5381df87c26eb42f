"""Errors shown to a person: already-worded ones, and the words for the domain's error codes."""

from __future__ import annotations

from bot.i18n import _
from models.errors import DomainError


class UserError(Exception):
    """Bad input or a refused action; the message is shown as is, with no trace."""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message for extraction; it is translated where it is shown."""
    return message


# One sentence per rule of the domain (models/errors.py codes), in English as the msgid.
MESSAGES = {
    "payment_not_positive": N_("A payment must be more than zero baht"),
    "reversal_of_reversal": N_("A reversal cannot itself be reversed"),
    "payment_already_reversed": N_("Payment %(id)d has already been reversed"),
    "payment_not_confirmed": N_("Only a confirmed payment can be reversed; reject a pending one"),
    "payment_on_replaced_schedule": N_(
        "Payment %(id)d was allocated to a schedule since replaced by a restructuring; "
        "it can no longer be reversed"
    ),
    "payment_not_pending": N_("Payment %(id)d is not awaiting verification"),
    "payment_not_found": N_("No payment numbered %(id)s"),
    "moratorium_backwards": N_("The moratorium starts after it ends"),
    "moratorium_round_invalid": N_("The moratorium round must be 1 or more"),
    "moratorium_round_exists": N_(
        "Moratorium round %(round)d is already recorded for contract %(contract)s"
    ),
    "moratorium_too_long": N_("The moratorium is too long"),
    "schedule_needs_installment": N_("A new schedule needs at least one installment"),
    "restructure_first_due_early": N_(
        "The first new installment falls due before the restructuring"
    ),
    "restructure_before_contract": N_("The restructuring takes effect before the contract date"),
    "rate_negative": N_("The interest rate cannot be negative"),
    "nothing_to_restructure": N_("Contract %(contract)s has no principal left to restructure"),
    "contract_not_active": N_("Contract %(contract)s is not active (it is paid off or closed)"),
    "first_due_before_contract": N_("The first due date is before the contract date"),
    "principal_not_positive": N_("The principal must be more than zero"),
    "contract_needs_installment": N_("A contract needs at least one installment"),
    "contract_not_found": N_("No contract numbered %(contract)s"),
    "contract_ambiguous": N_("Contract number %(contract)s exists in several funds: %(funds)s"),
    "policy_unreadable": N_("%(file)s cannot be read: %(detail)s"),
    "policy_unknown_key": N_("%(file)s: unknown setting %(key)s"),
    "policy_bad_value": N_("%(file)s: %(key)s must be %(expected)s"),
    "group_text_discloses": N_("A group message may not show a debtor's %(what)s"),
    "password_too_short": N_("A password needs at least %(minimum)d characters"),
    "username_invalid": N_("%(username)s cannot be a username (1 to 64 characters, no spaces)"),
    "username_taken": N_("The username %(username)s is already taken"),
    "staff_has_login": N_("Staff %(staff_id)d already has a login"),
    "promptpay_id_invalid": N_(
        "%(value)s is not a PromptPay ID (a mobile number, a 13-digit national or tax ID with "
        "a valid check digit, or a 15-digit e-wallet ID)"
    ),
    "biller_id_invalid": N_("%(value)s is not a biller ID (15 digits)"),
    "bill_reference_invalid": N_("%(value)s cannot be a bill-payment reference"),
    "fund_not_found": N_("No fund called %(fund)s (give a fund word such as kkcj, or a fund id)"),
    "fund_ambiguous": N_("%(fund)s names several funds; give one fund id: %(ids)s"),
    "payment_target_one_of": N_("Give either a PromptPay ID or a biller ID"),
    "area_not_found": N_("No area called %(path)s"),
    "area_required": N_("Give at least one area"),
    "hardship_reason_missing": N_("Say why the debtor needs relief"),
    "hardship_reason_too_long": N_("The reason is too long (at most %(limit)d characters)"),
    "hardship_not_found": N_("No open hardship request %(id)s in your areas"),
    "hardship_decided": N_("Hardship request %(id)s has already been decided"),
    "hardship_note_too_long": N_("The note is too long (at most %(limit)d characters)"),
    "visit_task_not_found": N_("No visit task with id %(id)d"),
    "visit_task_closed": N_("Visit task %(id)d is already done"),
    "bad_month": N_("%(text)s is not a month: write 2569-10 or 10/2569"),
    "bad_quarter": N_("%(text)s is not a fiscal quarter: write 2570Q1 (October to December 2569)"),
    "period_not_begun": N_("%(period)s has not begun yet: there is nothing to report"),
    "database_folder_unusable": N_(
        "Cannot create the folder %(path)s for the SQLite database (DATABASE_URL): %(reason)s"
    ),
}


def explain(error: DomainError) -> str:
    """The error in the current language, one line."""
    message = MESSAGES.get(error.code)
    if message is None:
        return _("That cannot be done (%(code)s)", code=error.code)
    return _(message, **error.params)
