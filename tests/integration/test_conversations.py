"""Conversations (handlers/conversation.py): steps, data, re-prompts, cancel, expiry, strays."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from handlers.conversation import END, Conversation, Entry, State
from handlers.router import PRIVATE, Command, Router, When, always, build_router
from models.chat_state import ChatState, set_pending
from models.payment import Payment
from tests.chat import Chat
from tests.factories import make_contract
from tests.line_events import in_thai

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
SLIP = b"\xff\xd8\xff\xe0 a jpeg slip"
SEND_SLIP = "Please send a photo of the transfer slip for %(amount)s (contract %(contract)s)."
SEND_SLIP_AGAIN = "Please send the photo of the transfer slip, or ยกเลิก to cancel."
EXPIRED = (
    "Your transfer report was not finished within %(minutes)d minutes and has expired. "
    "Send แจ้งโอน to start again."
)
SLIP_KEPT = "I have received your slip."
NOT_UNDERSTOOD = (
    "Sorry, I am not sure what you mean. Did you mean one of these? Tap a button below, "
    "or send ช่วยเหลือ to see everything I can do."
)
HOW_MUCH = (
    "How much did you transfer for contract %(contract)s? Send the amount in baht, "
    "for example 1500."
)


@pytest.fixture
def debtor(session):
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    return contract.borrower


def payments(db) -> list[Payment]:
    with db.session() as session:
        return list(session.scalars(select(Payment)))


def stored_state(db, user_id: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(ChatState.state).where(ChatState.line_user_id == user_id))


def test_an_expired_report_says_so_once_and_how_to_start_again(db, chat, debtor):
    with time_machine.travel(APRIL_15, tick=False):
        chat.say("Udebtor", "แจ้งโอน 500")
    with time_machine.travel(APRIL_15 + timedelta(minutes=31), tick=False):
        assert chat.say("Udebtor", "อะไรนะ").text == in_thai(EXPIRED, minutes=30)
        assert payments(db) == []
        # Said once: the next stray text is just not understood.
        assert chat.say("Udebtor", "อะไรนะ").text == in_thai(NOT_UNDERSTOOD)
        assert stored_state(db, "Udebtor") is None


def test_a_photo_after_expiry_is_a_new_report_that_carries_nothing_over(db, chat, debtor):
    with time_machine.travel(APRIL_15, tick=False):
        chat.say("Udebtor", "แจ้งโอน 500")
    with time_machine.travel(APRIL_15 + timedelta(minutes=31), tick=False):
        assert chat.send_image("Udebtor", SLIP).text == (
            in_thai(SLIP_KEPT) + "\n" + in_thai(HOW_MUCH, contract="W-001")
        )
        assert payments(db) == []
        assert stored_state(db, "Udebtor") == "paid.amount"


def test_within_its_time_to_live_the_report_goes_on(db, chat, debtor):
    with time_machine.travel(APRIL_15, tick=False):
        chat.say("Udebtor", "แจ้งโอน 500")
    with time_machine.travel(APRIL_15 + timedelta(minutes=29), tick=False):
        chat.send_image("Udebtor", SLIP)
    assert len(payments(db)) == 1


def test_other_commands_still_answer_mid_way_and_the_step_waits(db, chat, debtor):
    with time_machine.travel(APRIL_15, tick=True):
        chat.say("Udebtor", "แจ้งโอน 500")
        assert "1,000.00 บาท" in chat.say("Udebtor", "ยอด").text
        assert chat.say("Udebtor", "อะไรนะ").text == in_thai(SEND_SLIP_AGAIN)
        chat.send_image("Udebtor", SLIP)
    assert len(payments(db)) == 1


def test_commands_answer_after_expiry_and_the_command_restarts_it(db, chat, debtor):
    with time_machine.travel(APRIL_15, tick=False):
        chat.say("Udebtor", "แจ้งโอน 500")
    with time_machine.travel(APRIL_15 + timedelta(hours=2), tick=False):
        assert "1,000.00 บาท" in chat.say("Udebtor", "ยอด").text
        asked = chat.say("Udebtor", "แจ้งโอน 700").text
        assert asked == in_thai(SEND_SLIP, amount="700.00 บาท", contract="W-001")
        chat.send_image("Udebtor", SLIP)
    [payment] = payments(db)
    assert str(payment.amount) == "700.00"


def test_a_state_no_conversation_knows_is_forgotten_not_answered_with_a_prompt(
    db, session, chat, debtor
):
    set_pending(session, "Udebtor", "gone.step", {}, now=datetime.now(ZoneInfo("UTC")))
    session.commit()
    assert chat.say("Udebtor", "อากาศดีจัง").text == in_thai(NOT_UNDERSTOOD)
    # A photo from a linked debtor is a slip, whatever state was left behind.
    assert chat.send_image("Udebtor", SLIP).text.startswith(in_thai(SLIP_KEPT))
    assert stored_state(db, "Udebtor") == "paid.amount"


def test_in_a_group_the_conversation_stays_out_of_the_way(chat, debtor):
    chat.say("Udebtor", "แจ้งโอน 500")
    chat.join("Cgroup")
    assert chat.say("Udebtor", "ยกเลิก", group_id="Cgroup").messages == []
    # Still waiting for the slip in the 1:1 chat.
    assert chat.say("Udebtor", "อะไรนะ").text == in_thai(SEND_SLIP_AGAIN)


# ---------------------------------------------------------------------- the mechanism itself


def _ask_colour(ctx, data):
    ctx.reply("colour?")
    return "colour"


def _take_colour(ctx, data):
    data["colour"] = ctx.raw_text
    ctx.reply("size?")
    return "size"


def _take_size(ctx, data):
    ctx.reply(f"{data['colour']} {ctx.raw_text}")
    return END


def _a_colour(ctx, data):
    return ctx.text in {"red", "blue"}


def _ask_name(ctx, data):
    data["asked"] = True
    ctx.reply("name?")
    return "name"


def _a_name(ctx, data):
    return ctx.raw_text.istitle()


def _take_name(ctx, data):
    ctx.reply(f"hello {ctx.raw_text}" if data["asked"] else "?")
    return END


def _ask_name_again(ctx, data):
    return "the pet's name, please"


def _toy_router() -> Router:
    """Two conversations, a plain command and a fallback, the way the real router is built."""
    shirt = Conversation(
        name="shirt",
        entries=[Entry(("shirt",), _ask_colour)],
        states={
            "colour": State(_take_colour, lambda ctx, d: "a colour, please", accepts=_a_colour),
            "size": State(_take_size, lambda ctx, d: "a size, please"),
        },
        expired=lambda ctx, d: "the shirt order expired: send shirt",
        ttl=timedelta(minutes=5),
    )
    pet = Conversation(
        name="pet",
        entries=[Entry(("pet",), _ask_name)],
        states={"name": State(_take_name, _ask_name_again, accepts=_a_name)},
        expired=lambda ctx, d: "the pet form expired: send pet",
    )
    router = Router()
    router.add_conversation(shirt)
    router.add_conversation(pet)
    router.add("message.text", Command(("ping",), lambda ctx: ctx.reply("pong")))
    router.fallback("message.text", When(always, lambda ctx: ctx.reply("what?"), where=PRIVATE))
    return router


@pytest.fixture
def toy(runtime):
    return Chat(runtime, router=_toy_router())


def test_steps_carry_data_and_end(db, toy):
    assert toy.say("U1", "shirt").texts == ["colour?"]
    assert toy.say("U1", "red").texts == ["size?"]
    assert toy.say("U1", "XL").texts == ["red XL"]
    assert stored_state(db, "U1") is None
    assert toy.say("U1", "XL").texts == ["what?"]


def test_input_a_step_does_not_accept_goes_to_commands_then_the_reprompt(toy):
    toy.say("U1", "shirt")
    assert toy.say("U1", "ping").texts == ["pong"]
    assert toy.say("U1", "green").texts == ["a colour, please"]
    assert toy.say("U1", "blue").texts == ["size?"]


def test_each_conversation_answers_with_its_own_prompts(toy):
    toy.say("U1", "shirt")
    toy.say("U2", "pet")
    assert toy.say("U1", "hm").texts == ["a colour, please"]
    assert toy.say("U2", "hm").texts == ["the pet's name, please"]
    # Starting another conversation replaces the one going on.
    toy.say("U1", "pet")
    assert toy.say("U1", "hm").texts == ["the pet's name, please"]
    assert toy.say("U1", "Rex").texts == ["hello Rex"]


def test_cancel_words_in_thai_and_english(db, toy):
    toy.say("U1", "shirt")
    assert toy.say("U1", "CANCEL").texts == [in_thai("Cancelled.")]
    toy.say("U1", "pet")
    assert toy.say("U1", "ยกเลิก").texts == [in_thai("Cancelled.")]
    assert stored_state(db, "U1") is None


def test_each_conversation_has_its_own_time_to_live(toy):
    with time_machine.travel(APRIL_15, tick=False):
        toy.say("U1", "shirt")
        toy.say("U2", "pet")
    with time_machine.travel(APRIL_15 + timedelta(minutes=6), tick=False):
        assert toy.say("U1", "red").texts == ["the shirt order expired: send shirt"]
        assert toy.say("U2", "hm").texts == ["the pet's name, please"]
        assert toy.say("U1", "red").texts == ["what?"]


def test_the_bot_registers_the_transfer_report_as_a_conversation():
    router = build_router()
    assert [c.name for c in router.conversations()] == [
        "officer",
        "undo",
        "paid",
        "unlink",
        "slipreject",
        "hardship_reason",
    ]
