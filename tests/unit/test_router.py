"""The router: order, command words (Thai and English), where a command may be used."""

from __future__ import annotations

from bot.line.events import follow_event, image_event, text_event
from handlers.context import ChatContext, event_kind, normalize_text
from handlers.router import GROUP, PRIVATE, Command, Router, When, always, build_router
from models.base import utcnow


def context(event: dict) -> ChatContext:
    """A context with no database: enough for matching."""
    return ChatContext(session=None, runtime=None, messenger=None, event=event, now=utcnow())


def recorder(calls: list, name: str):
    def action(ctx: ChatContext) -> None:
        calls.append((name, ctx.args))

    return action


def test_normalising_text():
    assert normalize_text("  ยอด  ") == "ยอด"
    assert normalize_text("แจ้งโอน ๑,๕๐๐") == "แจ้งโอน 1,500"
    assert normalize_text("Language   ENGLISH") == "language english"


def test_event_kinds():
    assert event_kind(text_event("U1", "x")) == "message.text"
    assert event_kind(image_event("U1")) == "message.image"
    assert event_kind(follow_event("U1")) == "follow"
    assert event_kind({"type": "somethingNew"}) == "somethingNew"


def test_first_matching_handler_wins_in_registration_order():
    calls: list = []
    router = Router()
    router.add("message.text", Command(["ยอด", "balance"], recorder(calls, "balance")))
    router.add("message.text", When(always, recorder(calls, "fallback")))
    assert router.dispatch(context(text_event("U1", "BALANCE")))
    assert router.dispatch(context(text_event("U1", "hello")))
    assert calls == [("balance", ""), ("fallback", "")]


def test_unknown_event_kinds_are_not_handled():
    router = Router()
    router.add("message.text", When(always, lambda ctx: None))
    assert router.dispatch(context({"type": "undefined", "source": {"type": "user"}})) is False


def test_arguments_keep_their_case_and_get_arabic_digits():
    calls: list = []
    command = Command(["ลงทะเบียน", "register"], recorder(calls, "link"), takes_args=True)
    router = Router()
    router.add("message.text", command)
    router.dispatch(context(text_event("U1", "ลงทะเบียน  abC๒๓๔")))
    router.dispatch(context(text_event("U1", "ลงทะเบียนXYZ789")))  # Thai: no space needed
    router.dispatch(context(text_event("U1", "Register Q7")))
    assert calls == [("link", "abC234"), ("link", "XYZ789"), ("link", "Q7")]


def test_english_words_need_a_space_before_arguments():
    command = Command(["paid"], lambda ctx: None, takes_args=True)
    assert command.matches(context(text_event("U1", "paid 500")))
    assert not command.matches(context(text_event("U1", "paidup")))


def test_a_command_without_arguments_matches_only_alone():
    command = Command(["ยอด"], lambda ctx: None)
    assert command.matches(context(text_event("U1", "ยอด")))
    assert not command.matches(context(text_event("U1", "ยอดเยี่ยม")))


def test_where_a_command_may_be_used():
    private = Command(["x"], lambda ctx: None, where=PRIVATE)
    group = Command(["x"], lambda ctx: None, where=GROUP)
    one_to_one = context(text_event("U1", "x"))
    in_group = context(text_event("U1", "x", group_id="Cg"))
    in_room = context(text_event("U1", "x", group_id="Rr"))
    assert private.matches(one_to_one) and not private.matches(in_group)
    assert group.matches(in_group) and group.matches(in_room) and not group.matches(one_to_one)


def test_observers_see_every_event():
    seen: list = []
    router = Router()
    router.observe(lambda ctx: seen.append(ctx.kind))
    router.dispatch(context(follow_event("U1")))
    assert seen == ["follow"]


def test_the_team_registration_is_tried_before_the_reminder_one():
    router = build_router()
    [team, reminder] = [
        h for h in router.handlers("message.text") if isinstance(h, Command) and h.where == GROUP
    ][:2]
    event = context(text_event("U1", "ผูกกลุ่มทีม แก่งคอย", group_id="Cg"))
    assert team.matches(event)
    assert "ผูกกลุ่มทีม" in team.words
    assert reminder.matches(event)  # it would, which is why the order matters
