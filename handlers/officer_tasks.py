"""`งานวันนี้` / `tasks`: today's visits in my areas, each with a "done" button (audited)."""

from __future__ import annotations

import re

from bot.i18n import _, format_date, format_money
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.officer_access import (
    button,
    int_field,
    officer_command,
    on_postback,
    postback_data,
    scope,
)
from handlers.officer_cards import action_button, card, fill_button, page
from handlers.router import Command, Router
from models.visit_tasks import TaskRow, add_new_defaults, mark_done, open_tasks, task_in_scope

WORDS = ("งานวันนี้", "tasks")
PAGE = 10


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, officer_command(tasks)))
    router.add("postback", on_postback("task", done))
    router.add("postback", on_postback("tasks", more))


def tasks(ctx: ChatContext) -> None:
    """The open visit tasks of my areas, new defaults added first."""
    _answer(ctx, 0)


def more(ctx: ChatContext) -> None:
    """The "more" button: the next visits."""
    _answer(ctx, int_field(ctx, "offset") or 0)


def _answer(ctx: ChatContext, offset: int) -> None:
    paths = scope(ctx)
    if offset == 0:
        add_new_defaults(ctx.session, paths, ctx.today)
    rows = open_tasks(ctx.session, paths)
    if not rows:
        ctx.reply(_("No visits are waiting in your areas today"))
        return
    if offset >= len(rows):
        offset = 0  # done ones left the list since: start again
    page(
        ctx,
        rows,
        offset,
        PAGE,
        title=_("Visits to make (%(count)d):", count=len(rows)),
        line=_line,
        bubble=_bubble,
        more="tasks",
        more_said=_("More visits"),
    )


def done(ctx: ChatContext) -> None:
    """A "done" button: the task is closed once; a second tap is told it was already."""
    task_id = int_field(ctx, "id")
    task = (
        task_in_scope(ctx.session, task_id, scope(ctx), for_update=True)
        if task_id is not None
        else None
    )
    if task is None:
        ctx.reply(_("That visit is not on your list. Send งานวันนี้ to see your visits."))
        return
    if not mark_done(ctx.session, ctx.actor, task, now=ctx.now):
        ctx.reply(_("That visit was already marked done"))
        return
    ctx.reply(
        line_messages.text(
            _("Marked done, thank you"), quick_replies=[(_("Today's visits"), "งานวันนี้")]
        )
    )


def reason_label(reason: str) -> str:
    """Why the visit is needed, in words."""
    labels = {
        "overdue": _("overdue, cannot be reached on LINE"),
        "moratorium_end": _("moratorium ending, cannot be reached on LINE"),
        "defaulted": _("more than 90 days late"),
        "broken_promise": _("promise to pay broken"),
    }
    return labels.get(reason, reason)


def _bubble(number: int, row: TaskRow) -> dict:
    borrower = row.borrower
    buttons = [
        action_button(
            button(
                _("Visit made"),
                postback_data("task", id=row.task.id),
                _("Visit %(n)d done", n=number),
            ),
            primary=True,
        ),
        fill_button(_("Record a visit"), f"เยี่ยม {row.contract_no} "),
    ]
    if borrower.phone:
        buttons.append(
            action_button(
                {
                    "type": "uri",
                    "label": _("Call"),
                    "uri": "tel:" + re.sub(r"[^0-9+]", "", borrower.phone),
                }
            )
        )
    return card(
        f"{number}. {borrower.display_name}",
        [
            (_("Area"), borrower.area.path.split("/", 1)[-1]),
            (_("Contract"), row.contract_no),
            (_("Why"), reason_label(row.task.reason)),
            (_("Amount"), format_money(row.task.amount)),
            (_("Since"), format_date(row.task.due_date)),
            (_("Phone"), borrower.phone or "-"),
        ],
        buttons,
    )


def _line(number: int, row: TaskRow) -> str:
    borrower = row.borrower
    phone = ", " + _("tel. %(phone)s", phone=borrower.phone) if borrower.phone else ""
    return _(
        "%(n)d. %(name)s (%(area)s), %(contract)s: %(reason)s, %(amount)s since %(due)s%(phone)s",
        n=number,
        name=borrower.display_name,
        area=borrower.area.path.split("/", 1)[-1],
        contract=row.contract_no,
        reason=reason_label(row.task.reason),
        amount=format_money(row.task.amount),
        due=format_date(row.task.due_date),
        phone=phone,
    )
