"""A handling batch reads its senders' rows in one statement (handlers/context.py, SenderRows).

Each user's rows serve their first event of the batch, and only while nothing was written
since: a handler of an earlier event may have opened a conversation for a later sender.
"""

from __future__ import annotations

from sqlalchemy import event

from handlers.context import SenderRows, _sender_rows
from models.base import utcnow
from models.chat_state import ChatState, set_pending
from tests.factories import make_borrower

SOMSRI, MALI, NOBODY = (f"U{n:032x}" for n in (1, 2, 3))


def _message_from(user_id: str) -> dict:
    return {"type": "message", "source": {"type": "user", "userId": user_id}}


def _linked(session):
    somsri = make_borrower(session, "นางสมศรี ใจดี")
    somsri.line_user_id = SOMSRI
    mali = make_borrower(session, "นางมะลิ ดีใจ")
    mali.line_user_id = MALI
    session.add(ChatState(line_user_id=MALI, locale="en"))
    session.commit()
    return somsri, mali


def _statements(db) -> list[str]:
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_the_senders_of_a_batch_are_read_once_as_each_alone_would_be(db, session):
    somsri, mali = _linked(session)
    seen = _statements(db)
    senders = SenderRows(session, [_message_from(u) for u in (SOMSRI, MALI, NOBODY, SOMSRI)])
    assert len([s for s in seen if "chat_state" in s]) == 1

    for user_id in (SOMSRI, MALI, NOBODY):
        assert senders.take(user_id) == _sender_rows(session, user_id)
    borrower, staff, chat_state = _sender_rows(session, MALI)
    assert (borrower, staff, chat_state.locale) == (mali, None, "en")
    # A user's second event of the batch reads again: their first may have changed them.
    assert senders.take(SOMSRI) is None


def test_rows_read_for_the_batch_are_not_used_once_the_session_wrote(db, session):
    _linked(session)
    senders = SenderRows(session, [_message_from(SOMSRI), _message_from(MALI)])
    # The first event's handler opens a conversation for Somsri, a later sender.
    set_pending(session, SOMSRI, "transfer_amount", {}, now=utcnow())
    assert senders.take(SOMSRI) is None  # not flushed yet: still read again
    session.flush()
    assert senders.take(MALI) is None  # flushed since: read again


def test_a_lone_sender_is_read_by_the_event_itself(db, session):
    _linked(session)
    seen = _statements(db)
    senders = SenderRows(session, [_message_from(SOMSRI), {"type": "follow"}])
    assert seen == []
    assert senders.take(SOMSRI) is None
