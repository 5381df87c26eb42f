"""A small world for the officer commands: two villages, an officer of one, debtors in both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from models.area import Area
from models.identity import GROUP_REMINDER, GROUP_TEAM, LineGroup
from models.staff import Staff
from models.types import Role
from tests.factories import make_borrower, make_contract, make_village
from tests.flex import flex_actions

BANGKOK = ZoneInfo("Asia/Bangkok")
# 15 April 2025, a Tuesday, 10:00: W-001 (1,000.00 a month from 1 Feb) is 73 days late.
APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=BANGKOK)
OFFICER = "Uofficer"
DEBTOR = "Udebtor"
STRANGER = "Ustranger"
TEAM = "Cteam0001"
REMINDERS = "Cremind001"


@dataclass
class World:
    officer_id: int
    mine: list[int]  # borrower ids inside the officer's areas
    other: int  # a borrower outside them


def build_world(session) -> World:
    """Officer สมชาย (หินซ้อน) with debtors สมศรี (W-001, linked as Udebtor), มานี (W-002, two
    months more behind), and สมปอง in another district (W-009, the worst of all)."""
    village = make_village(session)
    far = make_village(session, "เมืองสระบุรี/ปากเพรียว/หมู่ 1")
    subdistrict = session.get(Area, village.subdistrict_id)
    staff = Staff(name="สมชาย", role=Role.FIELD_OFFICER, line_user_id=OFFICER, areas=[subdistrict])
    session.add(staff)
    somsri = make_borrower(session, "นางสมศรี ใจดี", village, line_user_id=DEBTOR)
    manee = make_borrower(session, "นางสาวมานี มีนา", village, phone="0812345678")
    sompong = make_borrower(session, "นายสมปอง ไกลบ้าน", far)
    make_contract(session, "W-001", borrower=somsri)
    make_contract(
        session,
        "W-002",
        borrower=manee,
        contract_date=date(2024, 11, 1),
        first_due=date(2024, 12, 1),
    )
    make_contract(session, "W-009", principal="120000", borrower=sompong)
    session.commit()
    return World(staff.id, [somsri.id, manee.id], sompong.id)


def register_group(session, group_id: str, kind: str, officer_id: int) -> None:
    """A registered LINE group of the officer's village."""
    staff = session.get(Staff, officer_id)
    session.add(
        LineGroup(
            group_id=group_id,
            kind=kind,
            area=staff.areas[0],
            active=True,
            registered_by=officer_id,
            registered_at=APRIL_15,
        )
    )
    session.commit()


def postbacks(sent) -> list[tuple[str, dict]]:
    """(label, data fields) of the postback quick replies on the last message sent."""
    items = ((sent.messages[-1:] or [{}])[0].get("quickReply") or {}).get("items") or []
    return [
        (i["action"]["label"], dict(parse_qsl(i["action"]["data"])))
        for i in items
        if i["action"]["type"] == "postback"
    ]


def card_postbacks(sent) -> list[tuple[str, dict]]:
    """(label, data fields) of the postback buttons on the Flex cards sent, in order."""
    return [
        (action["label"], dict(parse_qsl(action["data"])))
        for card in sent.cards
        for action in flex_actions(card["contents"])
        if action["type"] == "postback" and "=" in action["data"]
    ]


def card_data_of(sent, label: str, index: int = 0) -> str:
    """The raw data of the `index`-th card button labelled `label`."""
    actions = [a for card in sent.cards for a in flex_actions(card["contents"])]
    return [a["data"] for a in actions if a["label"] == label][index]


def alt_lines(sent) -> list[str]:
    """The lines of the altText of the last Flex message sent (its plain-text form)."""
    return sent.cards[-1]["altText"].splitlines()


def data_of(sent, label: str) -> str:
    """The raw postback data of the quick reply labelled `label`."""
    items = sent.messages[-1]["quickReply"]["items"]
    [action] = [i["action"] for i in items if i["action"]["label"] == label]
    return action["data"]


__all__ = ["GROUP_REMINDER", "GROUP_TEAM"]
