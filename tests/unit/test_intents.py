"""What debtors type, as they type it, and the intent the bot must hear (handlers/intents.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.intents import (
    ACK,
    BALANCE,
    CANCEL,
    GREETING,
    HELP,
    LANGUAGE,
    NEXT,
    OFFICER,
    PAID,
    PAY,
    THANKS,
    UNLINK,
    intent_of,
    is_no,
    is_yes,
    understand,
)

# Real-world phrasings: particles, fillers, spaces, synonyms, typos, emoji, English.
PHRASINGS = [
    # the balance
    ("ยอด", BALANCE),
    ("ยอดค่ะ", BALANCE),
    ("ยอด ครับ", BALANCE),
    ("ยอดคะ", BALANCE),
    ("ยอดจ้า", BALANCE),
    ("ขอดูยอดหน่อยค่ะ", BALANCE),
    ("ขอยอดหน่อยครับ", BALANCE),
    ("ดูยอด", BALANCE),
    ("เช็คยอดค่ะ", BALANCE),
    ("เช็กยอดหน่อย", BALANCE),
    ("ยอดหนี้", BALANCE),
    ("ยอดหนี้คงเหลือเท่าไหร่คะ", BALANCE),
    ("ยอดค้างชำระ", BALANCE),
    ("หนี้เหลือเท่าไหร่", BALANCE),
    ("ค้างเท่าไรคะ", BALANCE),
    ("ต้องจ่ายเท่าไหร่คะ", BALANCE),
    ("เหลืออีกกี่บาทคะ", BALANCE),
    ("ยอก", BALANCE),
    ("ยอดด", BALANCE),
    ("ยอดดดด", BALANCE),
    ("ยอด!!", BALANCE),
    ("ยอด?", BALANCE),
    ("ยอด 🙏", BALANCE),
    ("  ยอด  ", BALANCE),
    ("balance", BALANCE),
    ("Balance please", BALANCE),
    ("balnce", BALANCE),
    ("BALANCE", BALANCE),
    ("รบกวนขอดูยอดค่ะ", BALANCE),
    ("อยากทราบยอดหนี้ค่ะ", BALANCE),
    ("สถานะหนี้", BALANCE),
    ("หนูขอดูยอดหน่อยนะคะ", BALANCE),
    ("ยอดเงินกู้", BALANCE),
    ("ยอดคงเหลือ", BALANCE),
    # the next installment
    ("งวดถัดไป", NEXT),
    ("งวดต่อไป", NEXT),
    ("งวดหน้า", NEXT),
    ("งวดหน้าต้องจ่ายเท่าไหร่", NEXT),
    ("งวดถัดไปค่ะ", NEXT),
    ("งวดถัดไหป", NEXT),
    ("งวดถัดไปเมื่อไหร่คะ", NEXT),
    ("ครบกำหนดวันไหนคะ", NEXT),
    ("ต้องจ่ายวันไหน", NEXT),
    ("จ่ายงวดหน้าเมื่อไร", NEXT),
    ("next", NEXT),
    ("วันครบกำหนด", NEXT),
    # a transfer done
    ("โอนแล้วค่ะ", PAID),
    ("โอนแล้ว", PAID),
    ("จ่ายแล้ว", PAID),
    ("จ่ายแล้วค่ะ", PAID),
    ("ชำระแล้วครับ", PAID),
    ("โอนเงินแล้วนะคะ", PAID),
    ("โอนไปแล้วค่ะ", PAID),
    ("แจ้งโอน", PAID),
    ("แจ้งโอนค่ะ", PAID),
    ("แจ้งโอม", PAID),
    ("แจ้งดอน", PAID),
    ("ส่งสลิป", PAID),
    ("ส่งสลิปค่ะ", PAID),
    ("สลิปค่ะ", PAID),
    ("แนบสลิปการโอนค่ะ", PAID),
    ("แจ้งชำระเงินค่ะ", PAID),
    ("paid", PAID),
    ("slip", PAID),
    ("โอนแล้ว 1,500 บาทค่ะ", PAID),
    # how to pay
    ("ขอเลขบัญชีโอนเงินหน่อยค่ะ", PAY),
    ("เลขบัญชี", PAY),
    ("ขอเลขบัญชีค่ะ", PAY),
    ("โอนเข้าบัญชีไหนคะ", PAY),
    ("จ่ายยังไงคะ", PAY),
    ("ชำระเงิน", PAY),
    ("ชำระเงินค่ะ", PAY),
    ("จ่ายเงิน", PAY),
    ("อยากจ่ายเงินค่ะ", PAY),
    ("จะโอนเงินค่ะ", PAY),
    ("ขอ QR หน่อยค่ะ", PAY),
    ("พร้อมเพย์", PAY),
    ("จ่ายที่ไหนได้บ้าง", PAY),
    ("pay", PAY),
    ("ชำระเงน", PAY),
    # the officer
    ("ติดต่อพัฒนากร", OFFICER),
    ("ขอเบอร์พัฒนากรหน่อยค่ะ", OFFICER),
    ("เบอร์เจ้าหน้าที่", OFFICER),
    ("ติดต่อเจ้าหน้าที่ค่ะ", OFFICER),
    ("โทรหาใครได้คะ", OFFICER),
    ("พัฒนากรชื่ออะไรคะ", OFFICER),
    ("officer", OFFICER),
    ("ติดต่อพัฒนากน", OFFICER),
    # help
    ("ช่วยเหลือ", HELP),
    ("ช่วยเหลอ", HELP),
    ("help", HELP),
    ("เมนู", HELP),
    ("วิธีใช้", HELP),
    ("ทำอะไรได้บ้างคะ", HELP),
    ("ใช้ยังไงคะ", HELP),
    # language
    ("ภาษา", LANGUAGE),
    ("เปลี่ยนภาษาค่ะ", LANGUAGE),
    ("language", LANGUAGE),
    # unlinking and cancelling
    ("ยกเลิกการเชื่อมต่อ", UNLINK),
    ("ขอยกเลิกการเชื่อมต่อค่ะ", UNLINK),
    ("เลิกเชื่อมต่อ", UNLINK),
    ("ยกเลิก", CANCEL),
    ("ยกเลิกค่ะ", CANCEL),
    ("cancel", CANCEL),
    # greetings, thanks, acknowledgements
    ("สวัสดีครับ", GREETING),
    ("สวัสดีค่ะ", GREETING),
    ("สวัสดี", GREETING),
    ("หวัดดีจ้า", GREETING),
    ("สวัสดีค่าาา", GREETING),
    ("hello", GREETING),
    ("Hi", GREETING),
    ("ขอบคุณค่ะ", THANKS),
    ("ขอบคุณครับ", THANKS),
    ("ขอบคุณมากๆค่ะ", THANKS),
    ("ขอบคุณมากนะคะ 🙏", THANKS),
    ("ขอบใจจ้า", THANKS),
    ("thank you", THANKS),
    ("thanks!", THANKS),
    ("โอเคค่ะ", ACK),
    ("ok", ACK),
    ("ค่ะ", ACK),
    ("ครับ", ACK),
    ("รับทราบค่ะ", ACK),
    # nothing the bot should act on
    ("วันนี้อากาศดีจัง", None),
    ("555", None),
    ("ABC234", None),
    ("", None),
    ("🙂", ACK),
    ("กินข้าวหรือยัง", None),
]


def test_there_are_at_least_a_hundred_phrasings():
    assert len(PHRASINGS) >= 100
    assert len({text for text, _intent in PHRASINGS}) == len(PHRASINGS)


@pytest.mark.parametrize(("text", "intent"), PHRASINGS, ids=[t or "empty" for t, _ in PHRASINGS])
def test_each_phrasing_is_understood(text, intent):
    assert intent_of(text) == intent


def test_an_amount_goes_with_a_transfer_done():
    assert understand("โอนแล้ว 1,500 บาทค่ะ").command == "แจ้งโอน 1,500"
    assert understand("โอนแล้วค่ะ").command == "แจ้งโอน"


@pytest.mark.parametrize("text", ["ใช่", "ใช่ค่ะ", "ยืนยันครับ", "ok", "โอเคค่ะ", "Yes"])
def test_yes(text):
    assert is_yes(text) and not is_no(text)


@pytest.mark.parametrize("text", ["ไม่", "ไม่ค่ะ", "ไม่ใช่", "ไม่ต้องค่ะ", "no", "ไม่เอาค่ะ"])
def test_no(text):
    assert is_no(text) and not is_yes(text)


@given(st.text(max_size=200))
def test_no_text_raises(text):
    understood = understand(text)
    assert understood is None or understood.command
