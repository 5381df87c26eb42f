"""`รหัส <ผู้กู้>` / `code`: a link code for a debtor of my areas, shown only in a 1:1 chat.

A code seen by others is void (handlers/linking.py stops a code sent in a group), so the
command is refused in every group, team groups included.
"""

from __future__ import annotations

from bot.i18n import _, format_date
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.officer_access import allowed, scope
from handlers.officer_debtor import debtor_label
from handlers.router import Command, Router
from models.debtor_lookup import find_debtor
from models.directory import contract_numbers
from models.linking import CODE_TTL, issue_borrower_code

WORDS = ("รหัส", "code")


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, link_code, takes_args=True))


def link_code(ctx: ChatContext) -> None:
    """Issue a code for the one debtor named, or ask which one among several."""
    if ctx.in_group and ctx.staff is not None:
        ctx.reply(
            _(
                "Link codes are shown only in a private chat: a code others have seen "
                "must not be used. Send รหัส and the debtor to me privately."
            )
        )
        return
    if not allowed(ctx):
        return
    wanted = ctx.args.strip()
    if not wanted:
        ctx.reply(usage())
        return
    found = find_debtor(ctx.session, scope(ctx), wanted)
    if not found.borrowers:
        ctx.reply(_("No debtor in your areas matches %(text)s", text=wanted) + "\n" + usage())
        return
    if not found.exact and len(found.borrowers) > 1:
        numbers = contract_numbers(ctx.session, [b.id for b in found.borrowers])
        lines = [_("Several debtors match %(text)s. Which one?", text=wanted)]
        quick = []
        for n, borrower in enumerate(found.borrowers, start=1):
            own = numbers.get(borrower.id, [])
            lines.append(f"{n}. {debtor_label(borrower)} {', '.join(own)}")
            if own:
                quick.append((f"{n}. {borrower.display_name}", f"รหัส {own[0]}"))
        ctx.reply(line_messages.text("\n".join(lines), quick_replies=quick))
        return
    borrower = found.borrowers[0]
    code = issue_borrower_code(
        ctx.session,
        ctx.actor,
        borrower,
        now=ctx.now,
        secret_key=ctx.runtime.settings.secret_key,
    )
    expires = ctx.now.astimezone(ctx.runtime.settings.timezone).date()

    ctx.reply(
        _(
            "Link code for %(name)s: %(code)s (valid until %(until)s, once). Give it to the "
            "debtor in person; they send it to me in a private chat. A new code cancels "
            "the old one.",
            name=debtor_label(borrower),
            code=code,
            until=format_date(expires + CODE_TTL),
        ),
        code,
    )


def usage() -> str:
    """How the command is written, with an example."""
    return _("Send รหัส followed by the debtor's name or contract number, for example: รหัส W-001")
