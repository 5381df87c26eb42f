"""`เยี่ยม`: a visit report; a location and photos within 10 minutes attach to it."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from bot.line import events
from models.field_reports import FieldReport
from tests.integration.officer_fixtures import NOW, setup_officer

PHOTO = b"\xff\xd8\xff\xe0 a photo of the house"


@pytest.fixture
def rows(session):
    return setup_officer(session)


def reports(db):
    with db.session() as session:
        return list(session.scalars(select(FieldReport).order_by(FieldReport.id)))


def test_a_visit_with_its_location_and_photo(db, chat, rows, settings):
    with time_machine.travel(NOW, tick=False):
        answer = chat.say("Uofficer", "เยี่ยม สมศรี ใจดี ไม่อยู่บ้าน ฝากไว้กับลูก")
    assert "สมศรี ใจดี" in answer.text
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        location = events.event(
            "message",
            events.source("Uofficer"),
            message={
                "id": events.new_message_id(),
                "type": "location",
                "latitude": 14.59,
                "longitude": 101.0,
                "address": "หินซ้อน",
            },
        )
        chat.send(location)
        chat.send_image("Uofficer", PHOTO)
    [visit] = reports(db)
    assert visit.kind == "visit"
    assert visit.text == "ไม่อยู่บ้าน ฝากไว้กับลูก"
    assert visit.location["latitude"] == 14.59
    [photo] = visit.photos
    assert photo["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert (Path(settings.instance_path) / photo["path"]).read_bytes() == PHOTO


def test_a_photo_after_ten_minutes_is_not_attached(db, chat, rows):
    with time_machine.travel(NOW, tick=False):
        chat.say("Uofficer", "เยี่ยม สมศรี ไม่อยู่บ้าน")
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        chat.send_image("Uofficer", PHOTO)
    [visit] = reports(db)
    assert visit.photos is None


def test_without_words_the_usage_and_nothing_stored(db, chat, rows):
    with time_machine.travel(NOW, tick=False):
        answer = chat.say("Uofficer", "เยี่ยม")
    assert "เยี่ยม" in answer.text
    assert reports(db) == []
