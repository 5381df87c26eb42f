"""The SDK wrapper against the fake LINE server: what goes on the wire, and how answers sort."""

import uuid

import pytest

from bot.line import messages as lm
from bot.line.client import LineClient, LineError, derived_retry_key
from tests.fakeline import MONTHLY_LIMIT


@pytest.fixture
def client(fake_line):
    line = LineClient("test-token", fake_line.url, fake_line.url, timeout=2.0)
    yield line
    line.close()


def key() -> str:
    return str(uuid.uuid4())


def test_push_sends_the_retry_key_and_exactly_our_json(client, fake_line):
    retry_key = key()
    messages = [lm.text("ยอดค้างชำระ 1,234.50 บาท", [("ยอด", "ยอด")])]
    result = client.push_message("U1", messages, retry_key)
    [request] = fake_line.requests
    assert request.method == "POST" and request.path == "/v2/bot/message/push"
    assert request.headers["x-line-retry-key"] == retry_key
    assert request.headers["authorization"] == "Bearer test-token"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {"to": "U1", "messages": messages, "notificationDisabled": False}
    assert result.ok and result.status == 200 and not result.duplicate
    assert result.request_id == request.request_id


def test_a_repeated_retry_key_is_sent_already(client, fake_line):
    retry_key = key()
    first = client.push_message("U1", [lm.text("hello")], retry_key)
    again = client.push_message("U1", [lm.text("hello")], retry_key)
    assert again.ok and again.duplicate and again.status == 409
    assert again.request_id == first.request_id  # x-line-accepted-request-id
    assert len(fake_line.pushes()) == 1


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (500, {"message": "Internal server error"}, True),
        (503, {"message": "Service unavailable"}, True),
        (429, {"message": "Too many requests"}, True),
        (400, {"message": "The request body has 1 error(s)"}, False),
        (403, {"message": "Access to this API is not available for your account"}, False),
    ],
)
def test_errors_sort_into_retry_or_give_up(client, fake_line, status, body, retryable):
    fake_line.fail_next("/push", status, body)
    result = client.push_message("U1", [lm.text("hello")], key())
    assert not result.ok and result.status == status
    assert result.retryable is retryable and not result.quota_exhausted
    assert result.error_message == body["message"]


def test_error_details_are_kept_in_the_message(client, fake_line):
    body = {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "May not be empty", "property": "messages[0].text"}],
    }
    fake_line.fail_next("/push", 400, body)
    result = client.push_message("U1", [lm.text("hello")], key())
    assert result.error_message == (
        "The request body has 1 error(s) (messages[0].text: May not be empty)"
    )


def test_monthly_limit_is_not_a_rate_limit(client, fake_line):
    fake_line.set_quota(10, used=10)
    result = client.push_message("U1", [lm.text("hello")], key())
    assert result.quota_exhausted and not result.retryable
    assert result.status == 429 and result.error_message == MONTHLY_LIMIT
    assert fake_line.pushes() == []


def test_a_lost_answer_is_retryable_and_the_retry_counts_as_sent(client, fake_line):
    retry_key = key()
    fake_line.drop_next("/push")  # LINE delivered, the answer never came
    lost = client.push_message("U1", [lm.text("hello")], retry_key)
    assert not lost.ok and lost.retryable and lost.status is None
    again = client.push_message("U1", [lm.text("hello")], retry_key)
    assert again.ok and again.duplicate
    assert fake_line.texts_to("U1") == ["hello"]


def test_a_timeout_is_retryable(fake_line):
    quick = LineClient("test-token", fake_line.url, fake_line.url, timeout=0.2)
    fake_line.delay_next("/push", 0.6)
    result = quick.push_message("U1", [lm.text("hello")], key())
    quick.close()
    assert not result.ok and result.retryable
    assert "Timeout" in result.error_message


def test_a_refused_connection_is_retryable(fake_line):
    url = fake_line.url
    fake_line.stop()
    result = LineClient("test-token", url, url, timeout=1).push_message("U1", [lm.text("x")], key())
    assert not result.ok and result.retryable and result.status is None


def test_a_wrong_token_is_refused_for_good(fake_line):
    wrong = LineClient("not-the-token", fake_line.url, fake_line.url)
    result = wrong.push_message("U1", [lm.text("hello")], key())
    assert result.status == 401 and not result.retryable


def test_a_message_the_sdk_refuses_is_not_sent(client, fake_line):
    result = client.push_message("U1", [{"type": "no-such-type"}], key())
    assert not result.ok and not result.retryable and "invalid message" in result.error_message
    assert fake_line.requests == []


def test_multicast_of_1200_ids_goes_in_three_requests(client, fake_line):
    retry_key = key()
    users = [f"U{n:032x}" for n in range(1200)]
    result = client.multicast(users, [lm.text("ประชุมกลุ่มวันเสาร์")], retry_key)
    assert result.ok
    requests = fake_line.accepted("/multicast")
    assert [len(r.body["to"]) for r in requests] == [500, 500, 200]
    assert [u for r in requests for u in r.body["to"]] == users
    keys = [r.headers["x-line-retry-key"] for r in requests]
    assert keys[0] == retry_key and len(set(keys)) == 3
    assert keys[1] == derived_retry_key(retry_key, 1, 0)


def test_a_multicast_retried_after_a_failed_chunk_sends_each_chunk_once(client, fake_line):
    retry_key = key()
    users = [f"U{n:032x}" for n in range(1200)]
    fake_line.fail_next("/multicast", 500)  # the first chunk fails
    assert not client.multicast(users, [lm.text("x")], retry_key).ok
    fake_line.drop_next("/multicast")  # the second attempt: chunk one delivered, answer lost
    assert not client.multicast(users, [lm.text("x")], retry_key).ok
    assert client.multicast(users, [lm.text("x")], retry_key).ok
    delivered = [u for body in fake_line.multicasts() for u in body["to"]]
    assert sorted(delivered) == sorted(users)


def test_seven_messages_go_as_two_pushes_with_their_own_keys(client, fake_line):
    retry_key = key()
    messages = [lm.text(f"งวดที่ {n}") for n in range(1, 8)]
    assert client.push_message("U1", messages, retry_key).ok
    requests = fake_line.accepted("/push")
    assert [len(r.body["messages"]) for r in requests] == [5, 2]
    assert requests[0].headers["x-line-retry-key"] == retry_key
    assert requests[1].headers["x-line-retry-key"] == derived_retry_key(retry_key, 1)
    assert fake_line.texts_to("U1") == [m["text"] for m in messages]


def test_reply_uses_the_token_once(client, fake_line):
    token = fake_line.issue_reply_token("U1")
    assert client.reply_message(token, [lm.text("สวัสดี")]).ok
    again = client.reply_message(token, [lm.text("สวัสดี")])
    assert again.invalid_reply_token and not again.retryable
    [reply] = fake_line.replies()
    assert reply["replyToken"] == token
    assert "x-line-retry-key" not in fake_line.requests[0].headers


def test_profile_member_count_content_and_quota(client, fake_line):
    fake_line.add_profile("U1", "สมศรี ใจดี", language="th")
    fake_line.set_group_members("C1", 12)
    fake_line.add_content("4711", b"\xff\xd8slip", "image/jpeg")
    fake_line.set_quota(500, used=120)
    assert client.get_profile("U1") == {"userId": "U1", "displayName": "สมศรี ใจดี", "language": "th"}
    assert client.get_profile("U404") is None
    assert client.get_group_member_count("C1") == 12
    assert client.get_group_member_count("C404") is None
    assert client.get_message_content("4711") == b"\xff\xd8slip"
    with pytest.raises(LineError) as missing:
        client.get_message_content("4712")
    assert missing.value.result.status == 404
    quota = client.get_message_quota()
    assert (quota.limit, quota.used, quota.remaining) == (500, 120, 380)
    fake_line.set_quota(None, used=7)
    assert client.get_message_quota().limit is None
    paths = [r.path for r in fake_line.requests]
    assert "/v2/bot/message/4711/content" in paths
    assert "/v2/bot/message/quota/consumption" in paths
