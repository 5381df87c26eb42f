"""Message builders give LINE's JSON and split or trim to LINE's limits instead of failing."""

import logging

from bot.line import messages as lm
from tests.fakeline import _invalid


def valid_push(messages):
    """LINE's (the fake's) verdict on a push of these messages: None when accepted."""
    return _invalid("/v2/bot/message/push", {"to": "U1", "messages": messages})


def test_text_with_quick_replies_is_lines_json():
    message = lm.text("ยอดคงเหลือ", [("ยอด", "ยอด"), ("ช่วยเหลือ", "help")])
    assert message == {
        "type": "text",
        "text": "ยอดคงเหลือ",
        "quickReply": {
            "items": [
                {"type": "action", "action": {"type": "message", "label": "ยอด", "text": "ยอด"}},
                {
                    "type": "action",
                    "action": {"type": "message", "label": "ช่วยเหลือ", "text": "help"},
                },
            ]
        },
    }
    assert "quickReply" not in lm.text("plain")


def test_quick_reply_labels_are_cut_to_20_characters():
    label = "แจ้งโอนเงินค่างวดประจำเดือนมีนาคม"
    action = lm.text("x", [(label, "แจ้งโอน")])["quickReply"]["items"][0]["action"]
    assert len(action["label"]) == 20
    assert action["label"] == label[:19] + "…"
    assert action["text"] == "แจ้งโอน"
    assert valid_push([lm.text("x", [(label, "แจ้งโอน")])]) is None


def test_lengths_count_utf16_units_so_emoji_count_double():
    assert lm.line_length("ยอด") == 3
    assert lm.line_length("💰") == 2
    assert lm.truncate("💰" * 15, 20) == "💰" * 9 + "…"


def test_six_thousand_characters_split_on_line_breaks():
    lines = [f"{n:04d} " + "ค" * 94 for n in range(60)]  # 60 lines of 99 characters
    body = "\n".join(lines)
    assert len(body) == 5999
    [batch] = lm.split_for_line([lm.text(body, [("ยอด", "ยอด")])])
    assert [m["type"] for m in batch] == ["text", "text"]
    first, second = batch[0]["text"], batch[1]["text"]
    assert len(first) <= 5000 and len(second) <= 5000
    # Cut between lines, nothing lost: the break between the two parts is the only change.
    assert first.split("\n")[-1] == lines[len(first.split("\n")) - 1]
    assert first + "\n" + second == body
    assert "quickReply" not in batch[0] and batch[1]["quickReply"]["items"][0]["action"]["text"]
    assert valid_push(batch) is None


def test_a_single_line_longer_than_a_message_is_cut_mid_line():
    [batch] = lm.split_for_line([lm.text("ง" * 12000)])
    assert [len(m["text"]) for m in batch] == [5000, 5000, 2000]


def test_more_than_five_messages_go_in_batches_of_five():
    messages = [lm.text(f"ข้อความ {n}") for n in range(7)]
    batches = lm.split_for_line(messages)
    assert [len(b) for b in batches] == [5, 2]
    assert [m["text"] for b in batches for m in b] == [m["text"] for m in messages]
    assert lm.split_for_line([]) == []


def test_fourteen_quick_replies_keep_thirteen(caplog):
    pairs = [(f"หมู่ {n}", f"หมู่ {n}") for n in range(1, 15)]
    original = lm.text("เลือกหมู่บ้าน", pairs)
    with caplog.at_level(logging.WARNING):
        [[message]] = lm.split_for_line([original])
    items = message["quickReply"]["items"]
    assert len(items) == 13 and items[-1]["action"]["label"] == "หมู่ 13"
    assert "หมู่ 14" in caplog.text
    assert len(original["quickReply"]["items"]) == 14  # the caller's message is not changed
    assert valid_push([message]) is None
    assert valid_push([original]) is not None
