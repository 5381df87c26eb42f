"""`งานวันนี้` / `tasks`: today's visits in my areas, each with a "done" button (audited)."""

from __future__ import annotations

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
from handlers.router import Command, Router
from models.visit_tasks import TaskRow, add_new_defaults, mark_done, open_tasks, task_in_scope

WORDS = ("งานวันนี้", "tasks")
# One "done" button per task shown: a message carries at most 13 quick replies.
SHOWN = 12


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, officer_command(tasks)))
    router.add("postback", on_postback("task", done))


def tasks(ctx: ChatContext) -> None:
    """The open visit tasks of my areas, new defaults added first."""
    paths = scope(ctx)
    add_new_defaults(ctx.session, paths, ctx.today)
    rows = open_tasks(ctx.session, paths)
    if not rows:
        ctx.reply(_("No visits are waiting in your areas today"))
        return
    shown = rows[:SHOWN]
    lines = [_("Visits to make (%(count)d):", count=len(rows))]
    lines += [_line(n, row) for n, row in enumerate(shown, start=1)]
    if len(rows) > SHOWN:
        lines.append(
            _("… and %(count)d more: mark these done to see them", count=len(rows) - SHOWN)
        )
    lines.append(_("Tap the number of a visit once it is made"))
    quick = [
        button(
            _("Done %(n)d", n=n),
            postback_data("task", id=row.task.id),
            _("Visit %(n)d done", n=n),
        )
        for n, row in enumerate(shown, start=1)
    ]
    ctx.reply(line_messages.text("\n".join(lines), quick_replies=quick))


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
