"""The words of reminders: one polite persona (ค่ะ), in each reader's language.

Debtors get their own figures 1:1; a reminder group gets only a generic notice, checked by
models.contact_rules before it is queued; staff groups get the names they need to visit.
"""

from __future__ import annotations

from bot.i18n import _, format_date, format_money, use_locale
from bot.line import messages as line_messages
from models.contact_rules import check_group_text
from models.reminder_policy import Policy
from models.reminders import (
    ITEM_MORATORIUM,
    ITEM_PROMISE,
    DebtorReminder,
    GroupNotice,
    Item,
    StaffNotice,
)
from models.types import FundKind

MAX_DIGEST_LINES = 40


def fund_name(kind: str) -> str:
    """A fund kind in words."""
    if FundKind(kind) is FundKind.WOMENS_FUND:
        return _("Women's Development Fund")
    return _("KKCJ fund")


class ReminderTexts:
    """The renderer models.reminders.plan calls: LINE messages per debtor, group and staff."""

    def debtor(self, debtor: DebtorReminder, policy: Policy) -> list[dict]:
        with use_locale(debtor.locale):
            return [line_messages.text(debtor_text(debtor, policy))]

    def group(self, notice: GroupNotice) -> list[dict]:
        with use_locale("th"):
            return [line_messages.text(check_group_text(group_text(notice)))]

    def staff(self, notice: StaffNotice) -> list[dict]:
        with use_locale(notice.locale):
            if notice.kind == "digest":
                return [line_messages.text(digest_text(notice))]
            return [line_messages.text(report_text(notice))]


def debtor_text(debtor: DebtorReminder, policy: Policy) -> str:
    """One debtor's reminders of the day, as one message."""
    lines = [_("Dear %(name)s,", name=debtor.name)]
    for item in sorted(debtor.items, key=lambda i: (i.due_date, i.contract_no)):
        lines.append(_item_line(item))
    if any(i.kind != ITEM_MORATORIUM for i in debtor.items):
        if policy.pay_to:
            lines.append(_("You can pay by transfer to %(where)s,", where=policy.pay_to))
        lines.append(
            _(
                'pay in cash to your officer or at the office, then send "แจ้งโอน" to me '
                "with a photo of the slip."
            )
        )
    officers = []
    for item in debtor.items:
        who = (item.officer_name, item.officer_phone)
        if item.officer_name and who not in officers:
            officers.append(who)
    for name, phone in officers:
        if phone:
            lines.append(_("Questions: %(name)s, tel. %(phone)s", name=name, phone=phone))
        else:
            lines.append(_("Questions: your officer %(name)s", name=name))
    lines.append(_('Send "ยอด" to see your whole balance. Thank you.'))
    return "\n".join(lines)


def _item_line(item: Item) -> str:
    values = {
        "contract": item.contract_no,
        "fund": fund_name(item.fund),
        "date": format_date(item.due_date),
        "amount": format_money(item.amount),
    }
    if item.kind == ITEM_PROMISE:
        return _(
            "As you agreed with your officer, please pay %(amount)s on contract %(contract)s "
            "by %(date)s.",
            **values,
        )
    if item.kind == ITEM_MORATORIUM:
        return _(
            "The moratorium on contract %(contract)s (%(fund)s) ends on %(date)s; from then on "
            "the installments fall due again, so please prepare to pay.",
            **values,
        )
    if item.stage < 0:
        return _(
            "Contract %(contract)s (%(fund)s): the installment of %(amount)s falls due on "
            "%(date)s.",
            **values,
        )
    if item.stage == 0:
        return _(
            "Contract %(contract)s (%(fund)s): the installment of %(amount)s falls due today, "
            "%(date)s.",
            **values,
        )
    return _(
        "Contract %(contract)s (%(fund)s): the installment of %(amount)s due on %(date)s is "
        "still unpaid.",
        **values,
    )


def group_text(notice: GroupNotice) -> str:
    """The generic notice for a reminder group: a fund and a date, never a name or amount."""
    lines = [
        _(
            'Installments of the %(fund)s fall due on %(date)s; send "ยอด" to me in a private '
            "chat to see yours.",
            fund=fund_name(fund),
            date=format_date(due),
        )
        for fund, due in notice.due
    ]
    return "\n".join(lines)


def digest_text(notice: StaffNotice) -> str:
    """The morning list of visits for a working-team group (staff only: names allowed)."""
    tasks = notice.data["tasks"]
    lines = [
        _(
            "Visits for %(date)s: %(count)d debtors cannot be reached on LINE.",
            date=format_date(notice.data["day"]),
            count=len(tasks),
        )
    ]
    for task in tasks[:MAX_DIGEST_LINES]:
        reason = (
            _("overdue since %(date)s", date=format_date(task["due_date"]))
            if task["reason"] == "overdue"
            else _("moratorium ends %(date)s", date=format_date(task["due_date"]))
        )
        amount = f" {format_money(task['amount'])}" if task["amount"] else ""
        phone = f" {task['phone']}" if task["phone"] else ""
        officer = f" ({task['officer']})" if task["officer"] else ""
        lines.append(
            f"- {task['name']}{phone}, {task['area']}, {task['contract_no']}: "
            f"{reason}{amount}{officer}"
        )
    if len(tasks) > MAX_DIGEST_LINES:
        lines.append(_("... and %(count)d more.", count=len(tasks) - MAX_DIGEST_LINES))
    return "\n".join(lines)


def report_text(notice: StaffNotice) -> str:
    """The KKCJ follow-up report reminder."""
    deadline = format_date(notice.data["deadline"])
    if notice.kind == "kkcj_monthly":
        return _(
            "Reminder: the monthly follow-up report of the KKCJ problem funds is due on %(date)s.",
            date=deadline,
        )
    return _(
        "Reminder: the quarterly follow-up report of the KKCJ problem funds is due by "
        "%(date)s, the end of the quarter.",
        date=deadline,
    )


def run_summary(report) -> str:
    """One line on a reminder run (a scheduler.reminders.RemindReport): what went to whom."""
    plan = report.plan
    return _(
        "Reminders for %(date)s: %(debtors)d debtors, %(groups)d groups, %(staff)d staff "
        "messages, %(visits)d visit tasks; %(held)d held back by the monthly quota; "
        "%(sent)d sent.",
        date=format_date(plan.day),
        debtors=len(plan.debtors),
        groups=len(plan.groups),
        staff=len(plan.staff),
        visits=plan.visits,
        held=report.held,
        sent=report.sent,
    )
