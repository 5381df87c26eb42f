"""Who acts when a member of staff changes something on the dashboard (for the audit log)."""

from __future__ import annotations

from flask_login import current_user

from models.audit import Actor
from models.types import Source


def web_actor() -> Actor:
    """The logged-in person, as the audit log names them: "web:<username>", source web."""
    return Actor(f"web:{current_user.username}", Source.WEB)
