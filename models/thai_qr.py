"""Thai QR Payment payloads (EMVCo merchant-presented) and the "mini QR" on Thai bank slips.

Own code, not a PyPI package: `promptpay` (1.1.9, 2022) and `pypromptpay` (2020) only make
PromptPay credit transfers (tag 29), not bill payment (tag 30, with the contract number as
reference 1), and `promptpay-qr` (0.1.x) is too new to judge. The format is small: TLV fields
"TTLLvalue" and a CRC-16/CCITT-FALSE over everything up to and including "6304".

A bank slip's mini QR is the same TLV form: tag 00 holds sub-tags 00 (API id "000001"),
01 (the sending bank's code) and 02 (the transaction reference); then 51 "TH" and the CRC
in tag 91. Reading it identifies a transfer, it does not prove one: only the bank can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from models.errors import DomainError

AID_PROMPTPAY = "A000000677010111"
AID_BILL_PAYMENT = "A000000677010112"
SLIP_API_ID = "000001"

PROMPTPAY_MOBILE = "mobile"
PROMPTPAY_NATIONAL_ID = "national_id"
PROMPTPAY_EWALLET = "ewallet"
_PROMPTPAY_SUBTAG = {PROMPTPAY_MOBILE: "01", PROMPTPAY_NATIONAL_ID: "02", PROMPTPAY_EWALLET: "03"}


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    """One field: two-digit tag, two-digit length, value."""
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def with_crc(body: str, tag: str = "63") -> str:
    """`body` closed by its CRC field (the CRC covers the tag and length of the CRC field)."""
    head = body + tag + "04"
    return head + f"{crc16_ccitt_false(head.encode('ascii')):04X}"


def parse_tlv(text: str) -> dict[str, str]:
    """The fields of a TLV string; ValueError when it does not parse to its end."""
    fields: dict[str, str] = {}
    at = 0
    while at < len(text):
        tag, length = text[at : at + 2], text[at + 2 : at + 4]
        if len(tag) < 2 or not length.isdigit():
            raise ValueError("not a TLV string")
        end = at + 4 + int(length)
        if end > len(text):
            raise ValueError("a field runs past the end")
        fields[tag] = text[at + 4 : end]
        at = end
    return fields


# --------------------------------------------------------------------------- payment targets


def national_id_valid(digits: str) -> bool:
    """A 13-digit Thai national or tax ID whose check digit matches."""
    if not re.fullmatch(r"\d{13}", digits):
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def promptpay_kind(proxy: str) -> tuple[str, str]:
    """(kind, digits) of a PromptPay ID; DomainError promptpay_id_invalid when it is none.

    A mobile number is 10 digits starting with 0; a national or tax ID 13 digits with a
    valid check digit; an e-wallet ID 15 digits.
    """
    digits = re.sub(r"[\s-]", "", proxy or "")
    if re.fullmatch(r"0\d{9}", digits):
        return PROMPTPAY_MOBILE, digits
    if len(digits) == 13 and national_id_valid(digits):
        return PROMPTPAY_NATIONAL_ID, digits
    if re.fullmatch(r"\d{15}", digits):
        return PROMPTPAY_EWALLET, digits
    raise DomainError("promptpay_id_invalid", value=proxy)


def biller_id_valid(biller_id: str) -> str:
    """A bill-payment biller ID (the 13-digit tax ID and a 2-digit suffix), or DomainError."""
    digits = re.sub(r"[\s-]", "", biller_id or "")
    if not re.fullmatch(r"\d{15}", digits):
        raise DomainError("biller_id_invalid", value=biller_id)
    return digits


def bill_reference(text: str) -> str:
    """A reference as bank apps take it: upper-case letters and digits, at most 20."""
    reference = re.sub(r"[^0-9A-Z]", "", text.upper())[:20]
    if not reference:
        raise DomainError("bill_reference_invalid", value=text)
    return reference


def _amount_field(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0:
        raise DomainError("payment_not_positive")
    return tlv("54", f"{amount:.2f}")


def _payload(merchant: str, amount: Decimal | None) -> str:
    # Static (11) without an amount, dynamic (12) with one: banks then lock the amount.
    body = (
        tlv("00", "01")
        + tlv("01", "12" if amount is not None else "11")
        + merchant
        + tlv("58", "TH")
        + tlv("53", "764")
        + _amount_field(amount)
    )
    return with_crc(body)


def promptpay_payload(proxy: str, amount: Decimal | None = None) -> str:
    """A PromptPay credit-transfer payload (tag 29) to a mobile, national/tax or e-wallet ID."""
    kind, digits = promptpay_kind(proxy)
    if kind == PROMPTPAY_MOBILE:
        digits = "0066" + digits[1:]
    merchant = tlv("29", tlv("00", AID_PROMPTPAY) + tlv(_PROMPTPAY_SUBTAG[kind], digits))
    return _payload(merchant, amount)


def bill_payment_payload(
    biller_id: str, reference1: str, reference2: str | None = None, amount: Decimal | None = None
) -> str:
    """A bill-payment payload (tag 30): the biller, and references a statement shows back."""
    inner = tlv("00", AID_BILL_PAYMENT) + tlv("01", biller_id_valid(biller_id))
    inner += tlv("02", bill_reference(reference1))
    if reference2:
        inner += tlv("03", bill_reference(reference2))
    return _payload(tlv("30", inner), amount)


def crc_ok(payload: str, tag: str = "63") -> bool:
    """True when the payload ends with a CRC field that matches what precedes it."""
    marker = tag + "04"
    if len(payload) < 8 or payload[-8:-4] != marker:
        return False
    return with_crc(payload[:-8], tag) == payload


# --------------------------------------------------------------------------- slip mini QR


@dataclass(frozen=True)
class SlipQR:
    """What a bank slip's mini QR says: the sending bank's code and the transaction ref."""

    bank: str
    reference: str
    crc_ok: bool


def slip_qr_payload(bank: str, reference: str) -> str:
    """A slip mini QR as banks print it (for tests and the demo)."""
    inner = tlv("00", SLIP_API_ID) + tlv("01", bank) + tlv("02", reference)
    return with_crc(tlv("00", inner) + tlv("51", "TH"), tag="91")


def parse_slip_qr(text: str) -> SlipQR | None:
    """The bank and reference of a slip mini QR, or None when `text` is not one.

    A CRC mismatch is kept as a flag rather than refused: the reference is what catches a
    slip sent twice, and a bank printing its CRC differently must not hide that.
    """
    try:
        fields = parse_tlv(text.strip())
        inner = parse_tlv(fields.get("00", ""))
    except ValueError:
        return None
    if inner.get("00") != SLIP_API_ID or fields.get("51") != "TH":
        return None
    bank, reference = inner.get("01", ""), inner.get("02", "")
    if not re.fullmatch(r"\d{3}", bank) or not re.fullmatch(r"[0-9A-Za-z]{6,40}", reference):
        return None
    return SlipQR(bank=bank, reference=reference, crc_ok=crc_ok(text.strip(), tag="91"))
