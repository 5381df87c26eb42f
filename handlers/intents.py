"""What a debtor means by what they type: "ขอดูยอดหน่อยค่ะ", "โอนแล้วค่ะ", "ยอก", "สวัสดีครับ".

People do not type commands: they write a sentence with polite particles, a filler or two,
a synonym, a typo. `understand(text)` finds the intent behind such a text and gives the
command word that does it ("ยอด"), so the router can route it like the typed command. In
this order:

1. the text with polite particles and fillers taken off its ends (ค่ะ, ครับ, หน่อย, ขอ, ดู, ...),
   compared with each intent's vocabulary;
2. a key phrase anywhere in it ("เลขบัญชี" is about paying, "สลิป" about a transfer done),
   the intents tried from the most specific to the most general;
3. the stripped text close to a vocabulary word (rapidfuzz's Levenshtein distance: 1 edit
   for a short word, more for longer ones), when one intent is clearly nearest.

Thai is written without spaces, so a filler is only taken off the ends, and every shorter
form is tried against the vocabulary before it is cut further: "ขอบคุณ" never loses its "ขอ".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import Levenshtein

from handlers.context import normalize_text

# Intents, each with the command word that answers it.
BALANCE = "balance"
NEXT = "next"
PAID = "paid"
PAY = "pay"
OFFICER = "officer"
HELP = "help"
LANGUAGE = "language"
UNLINK = "unlink"
CANCEL = "cancel"
GREETING = "greeting"
THANKS = "thanks"
ACK = "ack"

COMMAND = {
    BALANCE: "ยอด",
    NEXT: "งวดถัดไป",
    PAID: "แจ้งโอน",
    PAY: "ชำระเงิน",
    OFFICER: "ติดต่อพัฒนากร",
    HELP: "ช่วยเหลือ",
    LANGUAGE: "ภาษา",
    UNLINK: "ยกเลิกการเชื่อมต่อ",
    CANCEL: "ยกเลิก",
    GREETING: "สวัสดี",
    THANKS: "ขอบคุณ",
    ACK: "โอเค",
}

# The whole (stripped) text meaning the intent.
VOCABULARY: dict[str, tuple[str, ...]] = {
    BALANCE: (
        "ยอด", "ยอดเงิน", "ยอดหนี้", "ยอดค้าง", "ยอดค้างชำระ", "ยอดคงเหลือ", "ยอดหนี้คงเหลือ",
        "เช็คยอด", "เช็กยอด", "ดูยอด", "หนี้", "หนี้คงเหลือ", "หนี้ค้าง", "ค้างชำระ",
        "เงินต้นคงเหลือ", "คงเหลือ", "สถานะ", "สถานะหนี้", "ยอดเงินกู้", "เงินกู้",
        "balance", "bal", "บาลานซ์",
    ),
    NEXT: (
        "งวดถัดไป", "งวดต่อไป", "งวดหน้า", "งวดใหม่", "งวดที่ต้องจ่าย", "กำหนดชำระ",
        "วันครบกำหนด", "ครบกำหนด", "ครบกำหนดชำระ", "วันจ่าย", "วันชำระ", "next",
    ),
    PAID: (
        "แจ้งโอน", "โอนแล้ว", "จ่ายแล้ว", "ชำระแล้ว", "โอนเงินแล้ว", "จ่ายเงินแล้ว", "ส่งสลิป",
        "สลิป", "แนบสลิป", "แจ้งชำระ", "แจ้งการโอน", "แจ้งโอนเงิน", "แจ้งจ่าย", "paid", "slip",
    ),
    PAY: (
        "ชำระเงิน", "ชำระ", "จ่ายเงิน", "จ่าย", "โอนเงิน", "โอน", "จ่ายหนี้", "ชำระหนี้",
        "เลขบัญชี", "บัญชี", "พร้อมเพย์", "qr", "คิวอาร์", "pay",
    ),
    OFFICER: (
        "ติดต่อพัฒนากร", "พัฒนากร", "เจ้าหน้าที่", "ติดต่อเจ้าหน้าที่", "ติดต่อ", "เบอร์โทร",
        "โทร", "เบอร์", "officer", "contact", "call",
    ),
    HELP: ("ช่วยเหลือ", "help", "วิธีใช้", "เมนู", "menu", "คู่มือ", "ทำอะไรได้บ้าง"),
    LANGUAGE: ("ภาษา", "เปลี่ยนภาษา", "language"),
    UNLINK: ("ยกเลิกการเชื่อมต่อ", "เลิกเชื่อมต่อ", "ยกเลิกเชื่อมต่อ", "unlink"),
    CANCEL: ("ยกเลิก", "cancel"),
    GREETING: (
        "สวัสดี", "หวัดดี", "ดีจ้า", "ดี", "hello", "hi", "สวัสดีตอนเช้า", "อรุณสวัสดิ์", "ฮัลโหล", "hey",
    ),
    THANKS: ("ขอบคุณ", "ขอบคุณมาก", "ขอบใจ", "ขอบพระคุณ", "thank you", "thanks", "thx"),
    ACK: ("โอเค", "ok", "okay", "ได้", "ตกลง", "รับทราบ", "ทราบแล้ว", "เข้าใจแล้ว", "ค่ะ"),
}  # fmt: skip

# A key phrase anywhere in the text, intents from the most specific to the most general
# ("โอนเงินแล้ว" is a transfer done before it is about paying; "งวดหน้าเท่าไหร่" is the next
# installment before it is the balance).
KEY_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (UNLINK, ("ยกเลิกการเชื่อมต่อ", "เลิกเชื่อมต่อ", "ยกเลิกการผูก", "เลิกผูกบัญชี")),
    (PAID, ("สลิป", "โอนแล้ว", "จ่ายแล้ว", "ชำระแล้ว", "โอนเงินแล้ว", "จ่ายเงินแล้ว", "โอนไปแล้ว",
            "จ่ายไปแล้ว", "แจ้งโอน", "แจ้งชำระ")),
    (PAY, ("เลขบัญชี", "บัญชี", "พร้อมเพย์", "คิวอาร์", "qr", "จ่ายยังไง", "จ่ายที่ไหน",
           "ชำระยังไง", "ชำระที่ไหน", "โอนยังไง", "โอนที่ไหน", "ช่องทาง", "จ่ายได้ที่",
           "อยากจ่าย", "จะจ่าย", "จะโอน", "ขอจ่าย")),
    (NEXT, ("งวดถัดไป", "งวดต่อไป", "งวดหน้า", "ครบกำหนด", "วันไหน", "เมื่อไหร่", "เมื่อไร",
            "วันที่เท่าไหร่")),
    (OFFICER, ("พัฒนากร", "เจ้าหน้าที่", "เบอร์", "โทร")),
    (BALANCE, ("ยอด", "หนี้", "ค้าง", "คงเหลือ", "เหลือ", "เท่าไหร่", "เท่าไร", "กี่บาท")),
    (HELP, ("ช่วยเหลือ", "วิธีใช้", "ใช้ยังไง", "ทำยังไง", "ทำอะไรได้")),
    (LANGUAGE, ("ภาษา",)),
    (GREETING, ("สวัสดี", "หวัดดี")),
    (THANKS, ("ขอบคุณ", "ขอบใจ", "ขอบพระคุณ", "thank")),
)  # fmt: skip

# Polite particles and fillers at the end of a text ...
SUFFIXES = (
    "ค่ะ", "คะ", "ค่า", "คับ", "ครับ", "คร้าบ", "ครัช", "ขา", "จ้า", "จ้ะ", "จ๊ะ", "จ่ะ", "นะ",
    "น้า", "นะคะ", "นะครับ", "หน่อย", "ด้วย", "ที", "เลย", "ฮะ", "ฮ่ะ", "ค่าา", "ได้ไหม",
    "ได้มั้ย", "ไหม", "มั้ย", "บ้าง", "please", "pls", "plz", "ka", "krub", "na",
)  # fmt: skip
# ... and at its start.
PREFIXES = (
    "ขอ", "ดู", "เช็ค", "เช็ก", "ช่วย", "อยาก", "อยากทราบ", "อยากรู้", "ทราบ", "รบกวน",
    "สอบถาม", "ถาม", "หนู", "ฉัน", "ผม", "ดิฉัน", "เรา", "พี่", "คุณ", "แอดมิน", "แอด",
    "จะ", "ต้องการ", "please", "check", "show", "my", "the", "i",
)  # fmt: skip

YES_WORDS = ("ใช่", "ยืนยัน", "ตกลง", "โอเค", "ได้", "ok", "yes", "y", "confirm")
NO_WORDS = ("ไม่", "ไม่ใช่", "ไม่ต้อง", "ไม่ยกเลิก", "ไม่เอา", "no", "n")

_NOISE = re.compile(r"[\s\.\,\!\?\-_~\"'()\[\]{}:;/\\*ๆฯ+=…]+")
_REPEATS = re.compile(r"(.)\1{2,}")
_AMOUNT = re.compile(r"\d[\d,]*(?:\.\d{1,2})?")


@dataclass(frozen=True)
class Understood:
    """An intent and the command text that answers it."""

    intent: str
    command: str


def understand(text: str) -> Understood | None:
    """The intent of `text` as a debtor typed it, or None when it is not clear."""
    words = tidy(text)
    if not words:
        return Understood(ACK, COMMAND[ACK]) if text.strip() else None
    if words in _SUFFIXES:
        return Understood(ACK, COMMAND[ACK])  # "ครับ", "ค่ะ" on their own
    forms = stripped_forms(words)
    intent = _exact(forms) or _by_key_phrase(words) or _nearest(forms)
    if intent is None:
        return None
    command = COMMAND[intent]
    if intent == PAID:
        # "โอนแล้ว 1,500 บาทค่ะ": the amount goes with the command, as แจ้งโอน 1500 would.
        amount = _AMOUNT.search(normalize_text(text))
        if amount:
            command = f"{command} {amount.group(0)}"
    return Understood(intent, command)


def intent_of(text: str) -> str | None:
    """Just the intent of `text` (for tests and yes/no questions)."""
    understood = understand(text)
    return understood.intent if understood else None


def is_yes(text: str) -> bool:
    """True for a yes ("ใช่ค่ะ", "ยืนยัน", "ok")."""
    return bool(set(stripped_forms(tidy(text))) & _word_set(YES_WORDS))


def is_no(text: str) -> bool:
    """True for a no ("ไม่ค่ะ", "ไม่ต้อง", "no")."""
    return bool(set(stripped_forms(tidy(text))) & _word_set(NO_WORDS))


def tidy(text: str) -> str:
    """Case folded, Thai digits as 0-9, no punctuation, emoji or spaces, no "ค่ะะะะ"."""
    text = normalize_text(unicodedata.normalize("NFC", text))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LMN" or ch.isspace())
    text = _REPEATS.sub(r"\1", text)
    return _NOISE.sub("", text)


def stripped_forms(words: str) -> list[str]:
    """`words`, then every form with fillers taken off its ends, the least cut first."""
    seen = [words]
    index = 0
    while index < len(seen) and len(seen) < 64:
        current = seen[index]
        index += 1
        for filler in _SUFFIXES:
            if current.endswith(filler) and len(current) > len(filler):
                _add(seen, current[: -len(filler)])
        for filler in _PREFIXES:
            if current.startswith(filler) and len(current) > len(filler):
                _add(seen, current[len(filler) :])
    return seen


def _add(seen: list[str], form: str) -> None:
    if form and form not in seen:
        seen.append(form)


def _exact(forms: list[str]) -> str | None:
    vocabulary = _vocabulary()
    for form in forms:
        if form in vocabulary:
            return vocabulary[form]
    return None


def _by_key_phrase(words: str) -> str | None:
    for intent, phrases in KEY_PHRASES:
        if any(phrase in words for phrase in phrases):
            return intent
    return None


def _nearest(forms: list[str]) -> str | None:
    """The one intent with a word within a few edits of the most-stripped form."""
    best: dict[str, int] = {}
    for form in forms:
        allowed = _edits_allowed(form)
        if not allowed:
            continue
        for word, intent in _vocabulary().items():
            if len(word) < 3:
                continue
            distance = Levenshtein.distance(form, word, score_cutoff=allowed)
            if distance <= allowed:
                best[intent] = min(distance, best.get(intent, distance))
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda item: item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # as near to two intents: ask rather than guess
    return ranked[0][0]


def _edits_allowed(form: str) -> int:
    if len(form) < 3:
        return 0
    if len(form) <= 5:
        return 1
    if len(form) <= 9:
        return 2
    return 3


def _word_set(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(tidy(word) for word in words)


@cache
def _vocabulary() -> dict[str, str]:
    table: dict[str, str] = {}
    for intent, words in VOCABULARY.items():
        for word in words:
            table.setdefault(tidy(word), intent)
    return table


_SUFFIXES = sorted({tidy(s) for s in SUFFIXES}, key=len, reverse=True)
_PREFIXES = sorted({tidy(p) for p in PREFIXES}, key=len, reverse=True)
