"""The debtor's experience in a 1:1 chat: plain Thai understood, the balance card, quick replies
after every answer, how to pay, the officer, unlinking with a confirmation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models.audit import Actor
from models.borrower import Borrower
from models.contract import Contract
from models.ledger import record_payment
from models.relief_rules import add_moratorium
from models.staff import Staff
from models.types import FundKind, PaymentChannel, Role, Source
from tests.factories import make_contract, make_fund
from tests.flex import flex_actions, flex_texts
from tests.line_events import in_thai
from tests.line_schema import problems

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
ACTOR = Actor("test", Source.CLI)
MAIN_BUTTONS = ["Balance", "Pay", "Send a slip", "Next installment", "Call my officer", "Help"]
NOT_SURE = (
    "Sorry, I am not sure what you mean. Did you mean one of these? Tap a button below, "
    "or send ช่วยเหลือ to see everything I can do."
)


@pytest.fixture
def debtor(session):
    """สมศรี, linked to LINE as Udebtor, with contract W-001 (12 x 1,000 baht from Feb 2025)
    followed by officer สมชาย, whose phone is 081-234-5678."""
    contract = make_contract(session)
    officer = Staff(name="สมชาย รักงาน", role=Role.FIELD_OFFICER, phone="081-234-5678")
    session.add(officer)
    session.flush()
    contract.officer_id = officer.id
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    return contract.borrower


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(APRIL_15, tick=True):
        yield


def thai_labels(*msgids: str) -> list[str]:
    return [in_thai(m) for m in msgids]


# ---------------------------------------------------------------------- talking normally


@pytest.mark.parametrize(
    "text", ["ยอดค่ะ", "ยอด ครับ", "ขอดูยอดหน่อยค่ะ", "ยอก", "เช็คยอดหน่อยจ้า", "ยอดดด"]
)
def test_the_balance_in_plain_thai(chat, debtor, text):
    [card] = chat.say("Udebtor", text).cards
    assert in_thai("Contract %(contract)s", contract="W-001") in flex_texts(card["contents"])


@pytest.mark.parametrize("text", ["โอนแล้วค่ะ", "จ่ายแล้ว", "ส่งสลิปค่ะ"])
def test_a_transfer_done_starts_the_report(chat, debtor, text):
    assert chat.say("Udebtor", text).text == in_thai(
        "How much did you transfer for contract %(contract)s? Send the amount in baht, "
        "for example 1500.",
        contract="W-001",
    )


def test_a_transfer_done_with_its_amount_asks_for_the_slip(chat, debtor):
    assert chat.say("Udebtor", "โอนแล้ว 1,500 บาทค่ะ").text == in_thai(
        "Please send a photo of the transfer slip for %(amount)s (contract %(contract)s).",
        amount="1,500.00 บาท",
        contract="W-001",
    )


def test_the_next_installment_in_plain_thai(chat, debtor):
    answer = chat.say("Udebtor", "งวดต่อไปเมื่อไหร่คะ")
    assert answer.texts[0].startswith(
        in_thai(
            "Contract %(contract)s: next installment %(date)s, %(amount)s",
            contract="W-001",
            date="1 พ.ค. 2568",
            amount="1,000.00 บาท",
        )
    )


def test_greetings_and_thanks_get_a_friendly_answer(chat, debtor):
    hello = chat.say("Udebtor", "สวัสดีครับ")
    assert hello.text == in_thai(
        "Hello, %(name)s! How can I help you today? Tap a button below, or send ยอด "
        "to see your balance.",
        name="สมศรี ใจดี",
    )
    assert hello.quick_replies() == thai_labels(*MAIN_BUTTONS)
    thanks = chat.say("Udebtor", "ขอบคุณค่ะ")
    assert thanks.text == in_thai("You are welcome! I am here whenever you need me.")
    assert thanks.quick_replies() == thai_labels(*MAIN_BUTTONS)


def test_anything_else_asks_did_you_mean_with_the_main_actions(chat, debtor):
    answer = chat.say("Udebtor", "วันนี้อากาศดีจัง")
    assert answer.text == in_thai(NOT_SURE)
    assert "ระบบไม่เข้าใจ" not in answer.text
    assert answer.quick_replies() == thai_labels(*MAIN_BUTTONS)


def test_the_account_number_question_is_answered(chat, debtor):
    instance = chat.runtime.settings.instance_path
    (instance / "reminders.toml").write_text(
        'pay_to = "ธ.ก.ส. บัญชี 012-3-45678-9"\n', encoding="utf-8"
    )
    answer = chat.say("Udebtor", "ขอเลขบัญชีโอนเงินหน่อยค่ะ")
    assert answer.texts[0].splitlines() == [
        in_thai(
            "To pay, tap Pay now on your contract below for a PromptPay QR code. After you "
            "transfer, tap Send a slip, or send แจ้งโอน, and send the slip photo."
        ),
        in_thai("You can also transfer to %(where)s.", where="ธ.ก.ส. บัญชี 012-3-45678-9"),
    ]
    [card] = answer.cards
    assert {"type": "postback", "label": in_thai("Pay now")}.items() <= flex_actions(card)[
        0
    ].items()


def test_my_officer_gives_the_name_and_phone(chat, debtor):
    answer = chat.say("Udebtor", "ขอเบอร์พัฒนากรหน่อยค่ะ")
    assert answer.text == in_thai(
        "Your community development officer is %(name)s, phone %(phone)s. Tap the number to call.",
        name="สมชาย รักงาน",
        phone="081-234-5678",
    )
    assert answer.quick_replies()


def test_language_alone_offers_both(chat, debtor):
    answer = chat.say("Udebtor", "เปลี่ยนภาษาค่ะ")
    assert answer.text == in_thai("Which language would you like me to answer in?")
    assert answer.quick_replies() == ["ไทย", "English"]


def test_in_a_group_free_text_is_left_alone(chat, debtor):
    assert chat.say("Udebtor", "ยอดเยี่ยมเลยค่ะ", group_id="Cgroup").messages == []
    assert chat.say("Udebtor", "สวัสดีครับ", group_id="Cgroup").messages == []


# ---------------------------------------------------------------------- the card


def test_the_card_shows_everything_at_a_glance(chat, debtor):
    answer = chat.say("Udebtor", "ยอด")
    [card] = answer.cards
    bubble = card["contents"]
    assert bubble["type"] == "bubble"
    texts = flex_texts(bubble).splitlines()
    assert texts[:3] == [
        in_thai("Women's Development Fund"),
        in_thai("Contract %(contract)s", contract="W-001"),
        in_thai("Late: %(days)d days", days=73),
    ]
    assert texts[3:] == [
        in_thai("Outstanding"),
        "12,000.00 บาท",
        in_thai("Overdue (%(days)d days late)", days=73),
        "3,000.00 บาท",
        in_thai("Next due"),
        "1 พ.ค. 2568",
        in_thai("Next amount"),
        "1,000.00 บาท",
    ]
    overdue = bubble["body"]["contents"][2]["contents"][1]
    assert overdue["text"] == "3,000.00 บาท" and overdue["color"] == "#D93025"
    contract_id = _contract_id(chat, "W-001")
    assert flex_actions(bubble) == [
        {
            "type": "postback",
            "label": in_thai("Pay now"),
            "data": f"pay_now:{contract_id}",
            "displayText": in_thai("Pay now"),
        },
        {
            "type": "postback",
            "label": in_thai("Send a slip"),
            "data": f"send_slip:{contract_id}",
            "displayText": in_thai("Send a slip"),
        },
        {"type": "uri", "label": in_thai("Call my officer"), "uri": "tel:0812345678"},
    ]
    assert card["altText"].splitlines() == [
        in_thai("Your balance on %(date)s", date="15 เม.ย. 2568"),
        in_thai("%(contract)s: outstanding %(amount)s", contract="W-001", amount="12,000.00 บาท")
        + ", "
        + in_thai("overdue %(amount)s", amount="3,000.00 บาท")
        + ", "
        + in_thai("next %(date)s %(amount)s", date="1 พ.ค. 2568", amount="1,000.00 บาท"),
    ]
    assert answer.quick_replies() == thai_labels(
        "Pay", "Send a slip", "Next installment", "Call my officer", "Help"
    )


def test_the_card_is_a_valid_line_flex_message(session, chat, debtor):
    kkcj = make_fund(session, FundKind.KKCJ, village=debtor.area)
    make_contract(session, contract_no="K-7", principal="6000", count=6, fund=kkcj, borrower=debtor)
    session.commit()
    for text in ("ยอด", "ชำระเงิน"):
        for message in chat.say("Udebtor", text).messages:
            assert problems(message) == [], message
            if message["type"] == "flex":
                assert len(message["altText"]) <= 400
                for action in flex_actions(message):
                    assert len(action["label"]) <= 20
                    assert len(action.get("data", "")) <= 300


def test_the_schema_check_catches_mistakes():
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": []}}
    good = {"type": "flex", "altText": "x", "contents": bubble}
    assert problems(good) == []
    assert problems({"type": "flex", "contents": bubble}) == ["$: altText is required"]
    bad_box = {"type": "box", "layout": "diagonal", "contents": [{"type": "txt"}]}
    assert problems({**good, "contents": {"type": "bubble", "body": bad_box}}) == [
        "$.contents.body.layout: 'diagonal' is not one of ['horizontal', 'vertical', 'baseline']",
        "$.contents.body.contents[0]: unknown type 'txt'",
    ]
    colour = {"type": "text", "text": "x", "colour": "#fff"}
    box = {"type": "box", "layout": "vertical", "contents": [colour]}
    assert problems({**good, "contents": {"type": "bubble", "body": box}}) == [
        "$.contents.body.contents[0]: LINE describes no property 'colour'"
    ]


def test_several_contracts_make_a_carousel_with_the_village_fund_named(session, chat, debtor):
    kkcj = make_fund(session, FundKind.KKCJ, village=debtor.area)
    make_contract(session, contract_no="K-7", principal="6000", count=6, fund=kkcj, borrower=debtor)
    session.commit()
    [card] = chat.say("Udebtor", "ยอด").cards
    first, second = card["contents"]["contents"]
    assert flex_texts(first).splitlines()[0] == in_thai("KKCJ fund of %(village)s", village="หมู่ 3")
    assert flex_texts(second).splitlines()[0] == in_thai("Women's Development Fund")


def test_a_paid_off_debtor_is_thanked(session, chat, debtor):
    contract = session.scalar(select(Contract).where(Contract.contract_no == "W-001"))
    record_payment(
        session, ACTOR, contract, Decimal("12000"), date(2025, 4, 10), PaymentChannel.OFFICE
    )
    session.commit()
    answer = chat.say("Udebtor", "ยอด")
    [card] = answer.cards
    texts = flex_texts(card["contents"])
    assert in_thai("Paid off. Thank you for paying every installment!") in texts
    assert "0.00 บาท" not in texts
    assert [a["type"] for a in flex_actions(card)] == ["uri"]  # nothing to pay, still a call
    assert in_thai("%(contract)s: paid off, thank you", contract="W-001") in card["altText"]
    assert chat.say("Udebtor", "งวดถัดไป").texts[0] == in_thai(
        "Contract %(contract)s is paid off. Thank you for paying every installment!",
        contract="W-001",
    )
    assert chat.say("Udebtor", "ชำระเงิน").text == in_thai(
        "You have nothing to pay right now. Thank you!"
    )


def test_a_moratorium_says_until_when(session, chat, debtor):
    contract = session.scalar(select(Contract).where(Contract.contract_no == "W-001"))
    add_moratorium(
        session, ACTOR, contract, round_no=1, start=date(2025, 4, 1), end=date(2025, 6, 30)
    )
    session.commit()
    [card] = chat.say("Udebtor", "ยอด").cards
    assert in_thai("In a moratorium until %(date)s", date="30 มิ.ย. 2568") in flex_texts(
        card["contents"]
    )


def test_no_call_button_without_a_phone(db, chat, debtor):
    with db.session() as s:
        s.scalars(select(Staff)).one().phone = None
        s.commit()
    [card] = chat.say("Udebtor", "ยอด").cards
    assert [a["type"] for a in flex_actions(card)] == ["postback", "postback"]


def test_asked_in_a_group_the_card_is_pushed_privately(chat, debtor):
    sent = chat.say("Udebtor", "ยอด", group_id="Cgroup")
    assert sent.to("Cgroup").text == in_thai("I have sent the answer to you in a private chat.")
    [card] = sent.to("Udebtor").cards
    assert "W-001" in card["altText"]


# ---------------------------------------------------------------------- unlinking


def test_unlinking_asks_first_and_no_keeps_the_link(db, chat, debtor):
    question = chat.say("Udebtor", "ยกเลิกการเชื่อมต่อ")
    assert question.text == in_thai(
        "Do you really want to unlink this LINE account from %(name)s? You will no longer get "
        "reminders or see your balance here.",
        name="สมศรี ใจดี",
    )
    assert question.quick_replies() == thai_labels("Yes, unlink", "No, keep it")
    assert chat.say("Udebtor", "ไม่ค่ะ").text == in_thai("All right, your LINE account stays linked.")
    with db.session() as s:
        assert s.get(Borrower, debtor.id).line_user_id == "Udebtor"
    # The question is over: a later "yes" unlinks nobody.
    chat.say("Udebtor", "ใช่")
    with db.session() as s:
        assert s.get(Borrower, debtor.id).line_user_id == "Udebtor"


def test_unlinking_with_yes(db, chat, debtor):
    chat.say("Udebtor", "ขอยกเลิกการเชื่อมต่อค่ะ")
    assert chat.say("Udebtor", "ยืนยันค่ะ").text == in_thai(
        "Your LINE account is no longer linked to %(name)s. To link again, ask your "
        "officer for a new code.",
        name="สมศรี ใจดี",
    )
    with db.session() as s:
        assert s.get(Borrower, debtor.id).line_user_id is None


def test_unlinking_takes_only_a_typed_yes(db, chat, debtor):
    """An emoji, a dot or a stray character reads as "โอเค" elsewhere; here it asks again."""
    question = chat.say("Udebtor", "เลิกผูกบัญชี").text
    for stray in ("👍", "...", "\x94"):
        assert chat.say("Udebtor", stray).text == question
    with db.session() as s:
        assert s.get(Borrower, debtor.id).line_user_id == "Udebtor"
    chat.say("Udebtor", "ใช่")
    with db.session() as s:
        assert s.get(Borrower, debtor.id).line_user_id is None


# ---------------------------------------------------------------------- every answer


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.one_of(
        st.text(max_size=60),
        st.sampled_from(["ยอด", "ยอก", "งวดถัดไป", "ชำระเงิน", "ติดต่อพัฒนากร", "ช่วยเหลือ"]),
        st.sampled_from(["สวัสดีค่ะ", "ขอบคุณ", "แจ้งโอน", "ยกเลิก", "ภาษา", "โอนแล้ว 500"]),
    )
)
def test_every_reply_to_a_linked_debtor_has_quick_replies(chat, debtor, text):
    # The examples share the debtor: one may have unlinked her ("เลิกผูกบัญชี", then "ใช่").
    with chat.runtime.db.session() as s:
        s.get(Borrower, debtor.id).line_user_id = "Udebtor"
    sent = chat.say("Udebtor", text)
    if sent.messages:
        assert sent.replies.messages[-1].get("quickReply", {}).get("items"), sent.messages
    # Never an apology for a failure, whatever was typed.
    assert in_thai("Sorry, something went wrong. Please try again later.") not in sent.text


def _contract_id(chat, contract_no: str) -> int:
    with chat.runtime.db.session() as s:
        return s.scalar(select(Contract.id).where(Contract.contract_no == contract_no))
