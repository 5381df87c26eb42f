"""Thai QR Payment payloads against published vectors, and round trips through a decoder."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image

from bot.qr_image import qr_png
from models.errors import DomainError
from models.thai_qr import (
    bill_payment_payload,
    crc16_ccitt_false,
    crc_ok,
    parse_slip_qr,
    parse_tlv,
    promptpay_kind,
    promptpay_payload,
    slip_qr_payload,
)


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_crc_is_ccitt_false_by_its_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_promptpay_mobile_without_amount_matches_the_promptpay_qr_vector():
    # The promptpay-qr library's example; CRC checked above and against binascii.crc_hqx.
    assert promptpay_payload("0812345678") == (
        "00020101021129370016A000000677010111011300668123456785802TH530376463045D82"
    )


def test_promptpay_with_an_amount_is_dynamic_with_two_decimals():
    assert promptpay_payload("081-234-5678", Decimal("1234.56")) == (
        "00020101021229370016A000000677010111011300668123456785802TH530376454071234.566304D937"
    )


def test_national_id_needs_its_check_digit_and_ewallet_is_fifteen_digits():
    assert promptpay_kind("1234567890121") == ("national_id", "1234567890121")
    assert "02131234567890121" in promptpay_payload("1234567890121")
    with pytest.raises(DomainError):
        promptpay_kind("1234567890123")
    assert promptpay_kind("123456789012345")[0] == "ewallet"
    assert "0315123456789012345" in promptpay_payload("123456789012345")
    for bad in ("12345", "0812345", "abc", ""):
        with pytest.raises(DomainError):
            promptpay_kind(bad)


def test_bill_payment_carries_biller_and_the_contract_as_reference_1():
    payload = bill_payment_payload("099400016550100", "W-001", amount=Decimal("1500"))
    fields = parse_tlv(payload)
    assert fields["00"] == "01" and fields["01"] == "12"
    assert parse_tlv(fields["30"]) == {
        "00": "A000000677010112",
        "01": "099400016550100",
        "02": "W001",
    }
    assert (fields["53"], fields["54"], fields["58"]) == ("764", "1500.00", "TH")
    assert crc_ok(payload)
    with pytest.raises(DomainError):
        bill_payment_payload("12345", "W-001")


@pytest.mark.parametrize(
    "payload",
    [
        promptpay_payload("0812345678", Decimal("3000")),
        bill_payment_payload("099400016550100", "K-12/2568", amount=Decimal("250.5")),
    ],
)
def test_drawn_with_segno_and_read_back_with_zxing(payload):
    assert decode(qr_png(payload)) == [payload]


def test_slip_mini_qr_round_trip():
    payload = slip_qr_payload("004", "0014242082547BPM0498")
    assert payload.startswith("0041000600000101030040220")
    assert "5102TH9104" in payload
    slip = parse_slip_qr(payload)
    assert (slip.bank, slip.reference, slip.crc_ok) == ("004", "0014242082547BPM0498", True)
    assert parse_slip_qr(promptpay_payload("0812345678")) is None
    assert parse_slip_qr("hello") is None
