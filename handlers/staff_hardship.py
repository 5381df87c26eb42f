"""`ผ่อนผัน` / `relief`: fund staff and district heads decide hardship requests on LINE.

The open requests of the staff member's areas come as a carousel, oldest first, each with
approve / reject buttons. A tap calls models.hardship.decide_hardship, the operation behind
`fundbot hardship approve|reject`, audited with the staff member's LINE id (source line).
In a 1:1 chat a rejection first asks why (the reason goes to the officer who filed it and into
the audit; `ข้าม` rejects without one, `ยกเลิก` decides nothing); in a team group it is
decided at once, as a reason typed there would be read by the whole group.
Field officers file requests (`ขอผ่อนผัน`) but may not decide them. The requester is told:
an officer at once, the debtor (when linked) inside the legal contact hours. An approval is
recorded; the moratorium's dates or the restructuring's terms are then set with
`fundbot relief`, as for any relief.
"""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.errors import explain
from bot.i18n import _, format_date, use_locale
from bot.line import messages as line_messages
from handlers.context import ChatContext
from handlers.conversation import END, Conversation, State
from handlers.officer_access import (
    OfficerCommand,
    button,
    int_field,
    on_postback,
    postback,
    postback_data,
    scope,
)
from handlers.officer_cards import action_button, card, page
from handlers.officer_debtor import reachable
from handlers.router import Router
from models.chat_state import set_pending
from models.contact_rules import next_contact_time
from models.errors import DomainError
from models.hardship import (
    APPROVED,
    MORATORIUM,
    REJECTED,
    RESTRUCTURE,
    HardshipRequest,
    clean_note,
    decide_hardship,
    hardship_requests,
    may_decide,
    open_request,
)
from models.staff import Staff

WORDS = ("ผ่อนผัน", "relief")
POSTBACK = "hardship"
PAGE = 10


SKIP_WORDS = ("ข้าม", "skip")


def register(router: Router) -> None:
    # Staff only: a debtor's "ผ่อนผัน" is left to the other commands (ขอผ่อนผัน is theirs).
    router.add_conversation(REASON)
    router.add("message.text", OfficerCommand(WORDS, deciders_only(requests), staff_only=WORDS))
    router.add("postback", on_postback(POSTBACK, deciders_only(decide)))


def deciders_only(action):
    """`action` for staff who may decide (once officer_access let them in); field officers
    are told who decides."""

    def guarded(ctx: ChatContext) -> None:
        if not may_decide(ctx.staff.role):
            ctx.reply(
                _(
                    "Only fund staff and district heads decide hardship requests. To file "
                    "one, send ขอผ่อนผัน, the debtor and the reason."
                )
            )
            return
        action(ctx)

    guarded.__name__ = getattr(action, "__name__", "deciders_only")
    return guarded


def requests(ctx: ChatContext) -> None:
    """The open requests of my areas, oldest first."""
    rows = hardship_requests(ctx.session, scope=scope(ctx))
    if not rows:
        ctx.reply(_("No hardship requests are waiting in your areas"))
        return
    offset = int_field(ctx, "offset") or 0
    if offset >= len(rows):
        offset = 0  # decided ones left the list since: start again
    page(
        ctx,
        rows,
        offset,
        PAGE,
        title=_("Hardship requests to decide (%(count)d):", count=len(rows)),
        line=_line,
        bubble=partial(_bubble, ctx.runtime.settings.timezone),
        more=POSTBACK,
        more_said=_("More requests"),
    )


def decide(ctx: ChatContext) -> None:
    """An approve or reject button; "more" continues the list."""
    act = postback(ctx).get("act")
    if act not in (APPROVED, REJECTED):
        requests(ctx)
        return
    request_id = int_field(ctx, "id")
    if request_id is None:
        ctx.reply(explain(DomainError("hardship_not_found", id="-")))
    elif act == REJECTED and not ctx.in_group:
        _ask_why(ctx, request_id)
    else:
        _decide(ctx, request_id, act)


def _ask_why(ctx: ChatContext, request_id: int) -> None:
    """Before a rejection in a 1:1 chat: the reason, for the officer who filed the request."""
    try:
        request = open_request(ctx.session, request_id, scope=scope(ctx))
    except DomainError as error:
        ctx.reply(explain(error))
        return
    set_pending(
        ctx.session,
        ctx.user_id,
        f"{REASON.name}.{WHY}",
        {"id": request_id},
        now=ctx.now,
        ttl=REASON.ttl,
    )
    ctx.reply(
        line_messages.text(
            _(
                "Why is the request of %(name)s not approved? Send the reason in one message "
                "(the officer who filed it will read it), ข้าม to reject without one, or "
                "ยกเลิก to decide nothing.",
                name=request.borrower.display_name,
            ),
            quick_replies=[(_("Skip the reason"), "ข้าม"), (_("Cancel"), "ยกเลิก")],
        )
    )


def _rejected_with_reason(ctx: ChatContext, data: dict) -> str:
    try:
        note = "" if ctx.text in SKIP_WORDS else clean_note(ctx.text)
    except DomainError as error:
        ctx.reply(explain(error))  # too long: the question stays open
        return WHY
    _decide(ctx, data["id"], REJECTED, note)
    return END


def _why_again(_ctx: ChatContext, _data: dict) -> str:
    return _("Please send the reason in a message, ข้าม to reject without one, or ยกเลิก")


def _why_expired(_ctx: ChatContext, _data: dict) -> str:
    return _("That question has expired; nothing was decided. Please send ผ่อนผัน again")


WHY = "why"
REASON = Conversation(
    name="hardship_reason",
    entries=[],
    # `ผ่อนผัน` itself is the command again (the list), not a reason.
    states={
        WHY: State(_rejected_with_reason, _why_again, accepts=lambda ctx, _d: ctx.text not in WORDS)
    },
    expired=_why_expired,
    allowed=lambda ctx: ctx.staff is not None and may_decide(ctx.staff.role),
)


def _decide(ctx: ChatContext, request_id: int, act: str, note: str = "") -> None:
    """Decide through the domain operation, tell those concerned, answer the decider."""
    try:
        request = decide_hardship(
            ctx.session, ctx.actor, request_id, act, scope=scope(ctx), note=note
        )
    except DomainError as error:
        ctx.reply(explain(error))
        return
    name = request.borrower.display_name
    if act == APPROVED:
        answer = _(
            "Approved: the request of %(name)s (%(measure)s). Set the relief's dates or "
            "terms with fundbot relief.",
            name=name,
            measure=measure_label(request.measure),
        )
    else:
        answer = _("Rejected: the request of %(name)s.", name=name)
    told = _tell(ctx, request, note)
    ctx.reply(
        line_messages.text(
            answer + ("\n" + told if told else ""),
            quick_replies=[(_("More requests"), "ผ่อนผัน")],
        )
    )


def _tell(ctx: ChatContext, request: HardshipRequest, note: str = "") -> str:
    """Tell the officer who filed it and the debtor; say who was told."""
    told = []
    officer = _filing_officer(ctx, request)
    if officer is not None and officer.id != ctx.staff.id:
        with use_locale(officer.locale):
            words = _officer_notice(request, note)
        ctx.push_private(
            officer.line_user_id, [words], key=f"hardship-{request.status}:{request.id}:officer"
        )
        told.append(_("%(name)s, who filed it, is told", name=officer.name))
    borrower = request.borrower
    if reachable(borrower):
        with use_locale(borrower.locale):
            words = _debtor_notice(request)
        row = ctx.messenger.queue_push(
            ctx.session,
            borrower.line_user_id,
            [line_messages.text(words)],
            dedupe_key=f"hardship-{request.status}:{request.id}",
        )
        if row is not None:
            # A decision taken at night reaches the debtor the next morning.
            row.next_attempt_at = next_contact_time(ctx.now, ctx.runtime.settings.timezone)
            row.contact_key = f"borrower:{borrower.id}"
            ctx.queued += 1
        told.append(_("the debtor is told on LINE (within the legal contact hours)"))
    return "; ".join(told)


def _filing_officer(ctx: ChatContext, request: HardshipRequest) -> Staff | None:
    user_id = request.requested_by.removeprefix("line:")
    if user_id == request.requested_by or user_id == request.borrower.line_user_id:
        return None
    return ctx.session.scalar(
        select(Staff).where(Staff.line_user_id == user_id, Staff.active.is_(True))
    )


def _officer_notice(request: HardshipRequest, note: str = "") -> str:
    name = request.borrower.display_name
    if request.status == APPROVED:
        return _(
            "The hardship request you filed for %(name)s is approved; the fund staff will set "
            "the relief up.",
            name=name,
        )
    if note:
        return _(
            "The hardship request you filed for %(name)s is not approved. The reason: "
            "%(reason)s. Please talk it over with the debtor.",
            name=name,
            reason=note,
        )
    return _(
        "The hardship request you filed for %(name)s is not approved. Please talk it over "
        "with the debtor.",
        name=name,
    )


def _debtor_notice(request: HardshipRequest) -> str:
    if request.status == APPROVED:
        return _(
            "Your hardship request is approved. The fund staff will set the relief up and "
            "your officer will tell you the new dates."
        )
    return _(
        "Your hardship request is not approved. Your officer will contact you about what "
        "can be done."
    )


def measure_label(measure: str | None) -> str:
    """The measure asked for, in words."""
    labels = {MORATORIUM: _("moratorium"), RESTRUCTURE: _("restructuring")}
    return labels.get(measure or "", _("not said"))


def _bubble(zone: ZoneInfo, number: int, request: HardshipRequest) -> dict:
    borrower = request.borrower
    return card(
        f"{number}. {borrower.display_name}",
        [
            (_("Area"), borrower.area.path.split("/", 1)[-1]),
            (_("Contract"), request.contract.contract_no if request.contract else "-"),
            (_("Asks for"), measure_label(request.measure)),
            (_("Filed"), format_date(request.created_at.astimezone(zone).date())),
        ],
        [
            action_button(
                button(
                    _("Approve"),
                    postback_data(POSTBACK, act=APPROVED, id=request.id),
                    _("Approve request %(n)d", n=number),
                ),
                primary=True,
            ),
            action_button(
                button(
                    _("Reject"),
                    postback_data(POSTBACK, act=REJECTED, id=request.id),
                    _("Reject request %(n)d", n=number),
                )
            ),
        ],
        note=line_messages.truncate(request.reason, 300),
    )


def _line(number: int, request: HardshipRequest) -> str:
    return _(
        "%(n)d. %(name)s (%(area)s): %(measure)s, %(reason)s",
        n=number,
        name=request.borrower.display_name,
        area=request.borrower.area.path.split("/", 1)[-1],
        measure=measure_label(request.measure),
        reason=request.reason,
    )
