"""Whom the simulator can act as: debtors, officers and groups, found by a search box.

The simulator acts for the whole province the instance serves, so its scope is that
province's area path; it exists only on an instance without LINE credentials.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from bot.i18n import _
from bot.simulator.events import BORROWER, STAFF, fake_user_id, parse_fake_user_id
from handlers.texts import role_label
from models.area import SEPARATOR
from models.borrower import Borrower
from models.directory import MAX_PAGE, contract_numbers, find_debtors
from models.identity import GROUP_REMINDER, LineGroup
from models.simulator import SimulatorMessage
from models.staff import Staff


@dataclass(frozen=True)
class Person:
    """A simulated LINE user: a debtor or an officer, with the user id they chat from."""

    kind: str
    id: int
    name: str
    detail: str
    user_id: str
    linked: bool
    can_link: bool
    badge: str
    badge_on: bool

    def as_json(self) -> dict:
        """The picker's row."""
        return asdict(self)


def user_id_of(record: Borrower | Staff) -> str:
    """The LINE user id a record chats from: its linked id, else its simulated one."""
    kind = BORROWER if isinstance(record, Borrower) else STAFF
    return record.line_user_id or fake_user_id(kind, record.id)


def debtors(
    session: Session, scope: list[str], query: str, offset: int, limit: int
) -> tuple[list[Person], int]:
    """Debtors in `scope` matching `query` (name, village or contract no.): a page, the total."""
    found = find_debtors(session, scope, query, offset=offset, limit=limit)
    rows = [_debtor(b, found.contract_numbers.get(b.id, [])) for b in found.borrowers]
    return rows, found.total


def officers(
    session: Session, scope: list[str], query: str, offset: int, limit: int
) -> tuple[list[Person], int]:
    """Active staff matching `query`: a page, the total (staff are few; no area filter)."""
    condition = Staff.active.is_(True)
    if query:
        condition &= Staff.name.ilike(f"%{query}%")
    base = select(Staff).where(condition)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    page = session.scalars(
        base.options(joinedload(Staff.areas))
        .order_by(Staff.name, Staff.id)
        .offset(offset)
        .limit(min(limit, MAX_PAGE))
    ).unique()
    return [_officer(s) for s in page], total


def person(session: Session, kind: str, record_id: int) -> tuple[Person, Borrower | Staff] | None:
    """The picker row and the record of one debtor or officer."""
    if kind == BORROWER:
        borrower = session.get(Borrower, record_id)
        if borrower is None:
            return None
        return _debtor(
            borrower, contract_numbers(session, [borrower.id]).get(borrower.id)
        ), borrower
    if kind == STAFF:
        staff = session.get(Staff, record_id)
        return (_officer(staff), staff) if staff is not None else None
    return None


def speaker_name(session: Session, user_id: str | None) -> str:
    """Who a LINE user id is, for the sender line of a group message."""
    if not user_id:
        return ""
    record = session.scalar(select(Borrower).where(Borrower.line_user_id == user_id))
    record = record or session.scalar(select(Staff).where(Staff.line_user_id == user_id))
    if record is None and (parsed := parse_fake_user_id(user_id)):
        kind, record_id = parsed
        record = session.get(Borrower if kind == BORROWER else Staff, record_id)
    if record is None:
        return _("LINE user %(id)s", id=user_id[:9] + "…")
    return record.display_name if isinstance(record, Borrower) else record.name


def groups(session: Session, query: str) -> list[dict]:
    """Registered groups, then groups the simulator has chatted in that are not registered."""
    found = []
    registered = session.scalars(
        select(LineGroup).options(joinedload(LineGroup.area)).order_by(LineGroup.registered_at)
    ).all()
    for group in registered:
        found.append(group_row(group.group_id, group))
    known = {g.group_id for g in registered}
    seen = session.execute(
        select(SimulatorMessage.chat_id, func.min(SimulatorMessage.created_at))
        .where(SimulatorMessage.chat_id.like("C%"))
        .group_by(SimulatorMessage.chat_id)
        .order_by(func.min(SimulatorMessage.created_at))
    ).all()
    for chat_id, _first in seen:
        if chat_id not in known:
            found.append(group_row(chat_id, None))
    if query:
        needle = query.casefold()
        found = [g for g in found if needle in (g["name"] + g["detail"]).casefold()]
    return found


def group_row(group_id: str, group: LineGroup | None) -> dict:
    """The picker row of one group."""
    if group is None:
        name = _("Unregistered group %(id)s", id=group_id[:7])
        return {"group_id": group_id, "name": name, "detail": "", "badge": "", "badge_on": False}
    area = _short_path(group.area.path)
    if group.kind == GROUP_REMINDER:
        name = _("Reminder group: %(area)s", area=area)
    else:
        name = _("Working-team group: %(area)s", area=area)
    badge = _("active") if group.active else _("bot left")
    return {
        "group_id": group_id,
        "name": name,
        "detail": group_id[:9] + "…",
        "badge": badge,
        "badge_on": group.active,
    }


def _debtor(borrower: Borrower, contract_numbers: list[str] | None) -> Person:
    linked = borrower.line_user_id is not None
    detail = _short_path(borrower.area.path)
    if contract_numbers:
        detail = f"{detail} · {', '.join(contract_numbers)}"
    return Person(
        kind=BORROWER,
        id=borrower.id,
        name=borrower.display_name,
        detail=detail,
        user_id=user_id_of(borrower),
        linked=linked,
        can_link=True,
        badge=_("linked") if linked else _("not linked"),
        badge_on=linked,
    )


def _officer(staff: Staff) -> Person:
    linked = staff.line_user_id is not None
    areas = ", ".join(_short_path(a.path) for a in staff.areas)
    detail = f"{role_label(staff.role)} · {areas}" if areas else role_label(staff.role)
    return Person(
        kind=STAFF,
        id=staff.id,
        name=staff.name,
        detail=detail,
        user_id=user_id_of(staff),
        linked=linked,
        can_link=True,
        badge=_("registered") if linked else _("not registered"),
        badge_on=linked,
    )


def _short_path(path: str) -> str:
    # The province is the same for everyone here: show district / subdistrict / village.
    parts = path.split(SEPARATOR)
    return " / ".join(parts[1:]) if len(parts) > 1 else path
