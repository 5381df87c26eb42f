"""Groups: the bot joining and leaving, members seen, and officers registering a group.

A group never sees a debtor's name or amount: debtor answers asked for in a group go 1:1.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from bot.i18n import _
from handlers.context import ChatContext
from handlers.router import GROUP, PRIVATE, Command, Router, When, always
from handlers.texts import FUND_CHOICE, fund_label
from models.area import Area, find_area
from models.audit import audit
from models.fund import fund_kind_from_text
from models.identity import GROUP_REMINDER, GROUP_TEAM, LineGroup, LineGroupMember
from models.types import FundKind

TEAM_WORDS = ("ผูกกลุ่มทีม", "register team group")
REMINDER_WORDS = ("ผูกกลุ่ม", "register group")


def register(router: Router) -> None:
    """Add group events and the group registration commands."""
    router.observe(learn_member)
    router.add("join", When(always, introduce))
    router.add("leave", When(always, deactivate))
    router.add("memberJoined", When(always, members_joined))
    router.add("memberLeft", When(always, members_left))
    # The team command first: Thai needs no space, so "ผูกกลุ่มทีม" also starts "ผูกกลุ่ม".
    team = partial(register_group, kind=GROUP_TEAM)
    reminder = partial(register_group, kind=GROUP_REMINDER)
    router.add("message.text", Command(TEAM_WORDS, team, takes_args=True, where=GROUP))
    router.add("message.text", Command(REMINDER_WORDS, reminder, takes_args=True, where=GROUP))
    words = TEAM_WORDS + REMINDER_WORDS
    router.add("message.text", Command(words, only_in_groups, takes_args=True, where=PRIVATE))


def learn_member(ctx: ChatContext) -> None:
    """Remember who speaks in a group (LINE lists members only for verified accounts)."""
    if ctx.in_group and ctx.user_id and ctx.chat_id and ctx.kind.startswith("message."):
        _seen(ctx, ctx.chat_id, ctx.user_id)


def _seen(ctx: ChatContext, chat_id: str, user_id: str) -> None:
    member = ctx.session.scalar(
        select(LineGroupMember).where(
            LineGroupMember.group_id == chat_id, LineGroupMember.user_id == user_id
        )
    )
    if member is None:
        ctx.session.add(LineGroupMember(group_id=chat_id, user_id=user_id, first_seen=ctx.now))
    elif member.left_at is not None:
        member.left_at = None


def _event_members(ctx: ChatContext, key: str) -> list[str]:
    members = (ctx.event.get(key) or {}).get("members") or []
    return [m["userId"] for m in members if isinstance(m, dict) and m.get("userId")]


def members_joined(ctx: ChatContext) -> None:
    """memberJoined: remember the new members; welcome them in a registered reminder group."""
    if not ctx.chat_id:
        return
    for user_id in _event_members(ctx, "joined"):
        _seen(ctx, ctx.chat_id, user_id)
    group = _group(ctx)
    if group is not None and group.active and group.kind == GROUP_REMINDER:
        ctx.reply(
            _(
                "Welcome! Add me as a friend and link your account in a private chat; then "
                "send ยอด to see your balance (I answer you privately, never in the group)."
            )
        )


def members_left(ctx: ChatContext) -> None:
    """memberLeft: mark the members as gone."""
    for user_id in _event_members(ctx, "left"):
        member = ctx.session.scalar(
            select(LineGroupMember).where(
                LineGroupMember.group_id == ctx.chat_id, LineGroupMember.user_id == user_id
            )
        )
        if member is not None:
            member.left_at = ctx.now


def introduce(ctx: ChatContext) -> None:
    """join: say who the bot is and how an officer registers the group."""
    ctx.reply(
        _(
            "Hello, I am the repayment assistant of the community development funds. I never "
            "show anyone's figures in a group. An officer registers this group by sending "
            "ผูกกลุ่ม AREA %(funds)s for a debtor reminder group, or ผูกกลุ่มทีม AREA "
            "for a working-team group, for example: ผูกกลุ่ม แก่งคอย/หินซ้อน/หมู่ 3 กองทุน กข.คจ.",
            funds=FUND_CHOICE,
        )
    )


def deactivate(ctx: ChatContext) -> None:
    """leave: the bot was removed; the group gets nothing more."""
    group = _group(ctx)
    if group is not None and group.active:
        group.active = False
        audit(
            ctx.session,
            ctx.actor,
            "group.leave",
            "line_group",
            group.id,
            {"active": True},
            {"active": False},
        )


def only_in_groups(ctx: ChatContext) -> None:
    """Group registration sent in a private chat."""
    ctx.reply(_("Send this inside the LINE group you want to register, after adding me to it."))


def register_group(ctx: ChatContext, *, kind: str) -> None:
    """`ผูกกลุ่ม AREA [fund]` / `ผูกกลุ่มทีม AREA`: an officer registers this group for an area."""
    staff = ctx.staff
    if staff is None:
        ctx.reply(
            _(
                "Only a registered officer can register a group. Officers: first send your "
                "registration code to me in a private chat."
            )
        )
        return
    path, fund_kind = _path_and_fund(ctx.args) if kind == GROUP_REMINDER else (ctx.args, None)
    if not path:
        ctx.reply(_usage(kind))
        return
    area = find_area(ctx.session, path, ctx.runtime.settings.province)
    if area is None:
        ctx.reply(
            _("No area called %(path)s. Write it as district/subdistrict/village.", path=path)
        )
        return
    if not any(own.contains(area) for own in staff.areas):
        ctx.reply(
            _(
                "%(area)s is outside your areas (%(areas)s); you cannot register a group for it.",
                area=area.path,
                areas=", ".join(staff.area_paths) or "-",
            )
        )
        return
    _save_group(ctx, kind, area, fund_kind)
    ctx.reply(_registered(kind, area, fund_kind))


def _path_and_fund(args: str) -> tuple[str, FundKind | None]:
    words = args.split()
    # The fund's name may be two words ("กองทุน กข.คจ."); an area path never ends so.
    for size in (2, 1):
        if len(words) > size and (kind := fund_kind_from_text("".join(words[-size:]))):
            return " ".join(words[:-size]), kind
    return args.strip(), None


def _usage(kind: str) -> str:
    if kind == GROUP_TEAM:
        return _("Send ผูกกลุ่มทีม followed by the area, for example: ผูกกลุ่มทีม แก่งคอย/หินซ้อน")
    return _(
        "Send ผูกกลุ่ม followed by the area and, if it is for one fund, "
        "กองทุนพัฒนาบทบาทสตรี or กองทุน กข.คจ., for example: ผูกกลุ่ม แก่งคอย/หินซ้อน/หมู่ 3 กองทุน กข.คจ."
    )


def _registered(kind: str, area: Area, fund_kind: FundKind | None) -> str:
    if kind == GROUP_TEAM:
        return _("This group is now the working-team group of %(area)s.", area=area.path)
    return _(
        "This group is now the debtor reminder group of %(area)s (%(fund)s).",
        area=area.path,
        fund=fund_label(fund_kind),
    )


def _group(ctx: ChatContext) -> LineGroup | None:
    if not ctx.chat_id:
        return None
    return ctx.session.scalar(select(LineGroup).where(LineGroup.group_id == ctx.chat_id))


def _save_group(ctx: ChatContext, kind: str, area: Area, fund_kind: FundKind | None) -> None:
    group = _group(ctx)
    before = None
    if group is None:
        group = LineGroup(group_id=ctx.chat_id)
        ctx.session.add(group)
    else:
        before = _snapshot(group)
    group.kind, group.area, group.fund_kind = kind, area, fund_kind
    group.active, group.registered_by, group.registered_at = True, ctx.staff.id, ctx.now
    ctx.session.flush()
    audit(
        ctx.session, ctx.actor, "group.register", "line_group", group.id, before, _snapshot(group)
    )


def _snapshot(group: LineGroup) -> dict:
    return {
        "group_id": group.group_id,
        "kind": group.kind,
        "area": group.area.path if group.area else None,
        "fund_kind": group.fund_kind,
        "active": group.active,
        "registered_by": group.registered_by,
    }
