"""`ค้างชำระ [พื้นที่]` / `overdue`: the debtors of my areas in arrears, worst first, 10 at a time."""

from __future__ import annotations

from bot.i18n import _, format_money
from handlers.context import ChatContext
from handlers.officer_access import (
    in_scope,
    int_field,
    officer_command,
    on_postback,
    postback,
    scope,
)
from handlers.officer_cards import card, command_button, fill_button, page
from handlers.router import Command, Router
from handlers.texts import fund_label
from models.area import find_area
from models.arrears import ContractArrears, contract_arrears

WORDS = ("ค้างชำระ", "overdue")
PAGE = 10


def register(router: Router) -> None:
    router.add("message.text", Command(WORDS, officer_command(overdue), takes_args=True))
    router.add("postback", on_postback("overdue", more))


def overdue(ctx: ChatContext) -> None:
    """The first page, for all my areas or the one named."""
    _answer(ctx, ctx.args.strip(), 0)


def more(ctx: ChatContext) -> None:
    """The "more" button: the next page."""
    _answer(ctx, postback(ctx).get("area", ""), int_field(ctx, "offset") or 0)


def _answer(ctx: ChatContext, area_text: str, offset: int) -> None:
    paths = scope(ctx)
    if area_text:
        area = find_area(ctx.session, area_text, ctx.runtime.settings.province)
        if area is None:
            ctx.reply(_("No area called %(path)s", path=area_text) + "\n" + usage())
            return
        if not in_scope(area.path, paths):
            ctx.reply(
                _(
                    "%(area)s is outside your areas (%(areas)s)",
                    area=area.path,
                    areas=", ".join(paths) or "-",
                )
            )
            return
        paths = [area.path]
    rows = late_contracts(ctx, paths)
    if not rows:
        ctx.reply(_("Nobody in your areas is behind with their payments today"))
        return
    if offset >= len(rows):
        ctx.reply(_("That is the whole list (%(count)d contracts in arrears)", count=len(rows)))
        return
    title = _(
        "In arrears today, worst first (%(first)d-%(last)d of %(count)d):",
        first=offset + 1,
        last=min(offset + PAGE, len(rows)),
        count=len(rows),
    )
    page(
        ctx,
        rows,
        offset,
        PAGE,
        title=title,
        line=_line,
        bubble=_bubble,
        more="overdue",
        more_said=_("More overdue debtors"),
        more_values={"area": area_text},
    )


def late_contracts(ctx: ChatContext, paths: list[str]) -> list[ContractArrears]:
    """Contracts in arrears inside `paths`: most overdue money first, then the longest late."""
    rows = contract_arrears(ctx.session, ctx.today, scope=paths)
    late = [r for r in rows if r.overdue_amount > 0]
    late.sort(key=lambda r: (-r.overdue_amount, -r.days_past_due, r.borrower_name, r.contract_no))
    return late


def _line(number: int, row: ContractArrears) -> str:
    return _(
        "%(n)d. %(name)s, %(contract)s (%(fund)s), %(area)s: "
        "%(amount)s overdue, %(days)d days late",
        n=number,
        name=row.borrower_name,
        contract=row.contract_no,
        fund=fund_label(row.fund),
        area=_short(row.area),
        amount=format_money(row.overdue_amount),
        days=row.days_past_due,
    )


def _bubble(number: int, row: ContractArrears) -> dict:
    return card(
        f"{number}. {row.borrower_name}",
        [
            (_("Area"), _short(row.area)),
            (_("Contract"), f"{row.contract_no} ({fund_label(row.fund)})"),
            (_("Overdue"), format_money(row.overdue_amount)),
            (_("Days late"), str(row.days_past_due)),
        ],
        [
            command_button(_("Status"), f"สถานะ {row.contract_no}"),
            fill_button(_("Record a payment"), f"รับชำระ {row.contract_no} "),
            fill_button(_("Record a visit"), f"เยี่ยม {row.contract_no} "),
        ],
    )


def _short(path: str) -> str:
    # The province is the same for everyone: the district onwards says where.
    return path.split("/", 1)[1] if "/" in path else path


def usage() -> str:
    """How the command is written, with an example."""
    return _(
        "Send ค้างชำระ, or ค้างชำระ followed by one of your areas, for example: ค้างชำระ แก่งคอย/หินซ้อน"
    )
