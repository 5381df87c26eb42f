""" "Pay now": the fund's QR account, the reply with the QR image, the signed image route."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
import zxingcpp
from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from bot.runtime import Runtime
from models.audit import AuditEntry
from models.contact_rules import discloses
from models.payment_target import PaymentTarget
from models.qr_link import qr_path
from models.thai_qr import parse_tlv, promptpay_payload
from models.types import FundKind
from tests.chat import Chat
from tests.factories import make_contract
from tests.line_events import make_app

APRIL_15 = datetime(2025, 4, 15, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(APRIL_15, tick=True):
        yield


@pytest.fixture
def contract(session):
    """W-001, 12 x 1,000 baht from 1 Feb 2025: 3,000 overdue on 15 Apr; debtor Udebtor."""
    contract = make_contract(session)
    contract.borrower.line_user_id = "Udebtor"
    session.commit()
    return contract


@pytest.fixture
def public_env(env):
    return {**env, "FUNDBOT_PUBLIC_URL": "https://bot.example.org/"}


@pytest.fixture
def public_chat(public_env):
    runtime = Runtime(Settings.from_env(public_env))
    yield Chat(runtime)
    runtime.db.dispose()


def _images(sent) -> list[dict]:
    return [m for m in sent.messages if m.get("type") == "image"]


def test_payment_target_from_the_command_line_is_validated_and_audited(cli, db, contract):
    result = cli("fund", "payment-target", "womens_fund", "--promptpay", "081-234-5678")
    assert result.exit_code == 0, result.output
    assert "0812345678" in result.output
    with db.session() as s:
        target = s.scalar(select(PaymentTarget))
        assert (target.kind, target.id_type, target.value) == ("promptpay", "mobile", "0812345678")
        fund_id = target.fund_id
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "fund.payment_target"))
    # A fund id works too, and replaces the target.
    result = cli("fund", "payment-target", str(fund_id), "--biller", "099400016550100")
    assert result.exit_code == 0, result.output
    with db.session() as s:
        [target] = s.scalars(select(PaymentTarget))
        assert (target.kind, target.value) == ("biller", "099400016550100")
    bad = cli("fund", "payment-target", "womens_fund", "--promptpay", "1234567890123")
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "1234567890123" in bad.output
    assert cli("fund", "payment-target", "nosuchfund", "--biller", "1" * 15).exit_code != 0
    assert cli("fund", "payment-target", "womens_fund").exit_code != 0


def test_a_kind_word_naming_several_funds_asks_for_the_id(cli, session, contract):
    from tests.factories import make_fund, make_village

    make_fund(session, FundKind.KKCJ, make_village(session, "แก่งคอย/หินซ้อน/หมู่ 1"))
    make_fund(session, FundKind.KKCJ, make_village(session, "แก่งคอย/หินซ้อน/หมู่ 2"))
    session.commit()
    result = cli("fund", "payment-target", "กข.คจ.", "--promptpay", "0812345678")
    assert result.exit_code != 0 and "Traceback" not in result.output


def _set_promptpay(session, contract, value="0812345678"):
    from models.audit import Actor
    from models.payment_target import set_payment_target
    from models.types import Source

    set_payment_target(session, Actor("test", Source.CLI), contract.fund, promptpay=value)
    session.commit()


def test_pay_now_answers_with_amount_account_and_a_signed_https_qr(
    session, public_chat, contract, public_env
):
    _set_promptpay(session, contract)
    sent = public_chat.tap("Udebtor", f"pay_now:{contract.id}")
    assert "3,000.00 บาท" in sent.text
    assert "081-234-5678" in sent.text
    [image] = _images(sent)
    url = image["originalContentUrl"]
    assert re.fullmatch(r"https://bot\.example\.org/qr/\d+/300000/\d+/[0-9a-f]{32}\.png", url)
    assert image["previewImageUrl"] == url
    # The last message offers the slip, for the same contract.
    [item] = sent.messages[-1]["quickReply"]["items"]
    assert item["action"]["data"] == f"send_slip:{contract.id}"
    # The image itself: served to anyone holding the link, and it decodes to the payment.
    app = make_app(public_env)
    try:
        response = app.test_client().get(url.removeprefix("https://bot.example.org"))
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "private" in response.headers["Cache-Control"]
        [decoded] = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))]
        assert decoded == promptpay_payload("0812345678", Decimal("3000.00"))
        assert parse_tlv(decoded)["54"] == "3000.00"
    finally:
        app.extensions["fundbot"].db.dispose()


def test_qr_links_cannot_be_guessed_altered_or_used_after_expiry(client, app, session, contract):
    _set_promptpay(session, contract)
    secret = app.extensions["fundbot"].settings.secret_key
    good = qr_path(secret, contract.id, 300000, datetime.now(ZoneInfo("UTC")))
    assert client.get(good).status_code == 200
    _, _, cid, satang, expires, sig = good.split("/")
    assert client.get(f"/qr/{cid}/100/{expires}/{sig}").status_code == 403
    assert client.get(f"/qr/{cid}/{satang}/{expires}/{'0' * 32}.png").status_code == 403
    assert client.get(f"/qr/{int(cid) + 1}/{satang}/{expires}/{sig}").status_code == 403
    with time_machine.travel(datetime(2025, 4, 17, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))):
        assert client.get(good).status_code == 403


def test_without_a_public_url_the_simulator_gets_a_local_image(chat, session, contract):
    _set_promptpay(session, contract)
    [image] = _images(chat.tap("Udebtor", f"pay_now:{contract.id}"))
    assert image["originalContentUrl"].startswith("/qr/")


def test_pay_now_in_a_group_shows_no_qr_and_no_amount_there(session, public_chat, contract):
    _set_promptpay(session, contract)
    sent = public_chat.tap("Udebtor", f"pay_now:{contract.id}", group_id="Cgroup")
    sent_text = public_chat.say("Udebtor", "ชำระเงิน", group_id="Cgroup")
    for delivery in [*sent.to("Cgroup").deliveries, *sent_text.to("Cgroup").deliveries]:
        for message in delivery.messages:
            assert message["type"] == "text"
            assert not discloses(message["text"], ["สมศรี"])
    # The figures and the QR went to the debtor privately.
    private = sent.to("Udebtor")
    assert _images(private) and "3,000.00 บาท" in private.text
    for delivery in public_chat.sent.deliveries:
        if delivery.to == "Cgroup":
            assert all(m["type"] == "text" for m in delivery.messages)


def test_pay_now_for_someone_elses_contract_or_without_a_target(session, public_chat, contract):
    other = make_contract(session, contract_no="W-999")
    session.commit()
    sent = public_chat.tap("Udebtor", f"pay_now:{other.id}")
    assert not _images(sent) and "3,000" not in sent.text
    sent = public_chat.tap("Udebtor", f"pay_now:{contract.id}")
    assert not _images(sent) and "3,000.00 บาท" in sent.text


def test_the_text_command_offers_a_card_per_contract_with_its_pay_button(
    session, public_chat, contract
):
    _set_promptpay(session, contract)
    second = make_contract(session, contract_no="W-002", borrower=contract.borrower)
    session.commit()
    asked = public_chat.say("Udebtor", "ชำระเงิน")
    cards = json.dumps([m for m in asked.messages if m["type"] == "flex"], ensure_ascii=False)
    assert f"pay_now:{contract.id}" in cards and f"pay_now:{second.id}" in cards
    assert _images(public_chat.tap("Udebtor", f"pay_now:{second.id}"))
