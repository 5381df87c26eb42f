"""Simulated LINE identities: the user ids debtors and officers chat from, new group ids.

The events they send are built by bot/line/events.py, in the shape LINE sends them.
"""

from __future__ import annotations

import hashlib
import secrets

BORROWER = "borrower"
STAFF = "staff"
_KIND_CODES = {BORROWER: "b", STAFF: "e"}


def fake_user_id(kind: str, record_id: int) -> str:
    """A stable LINE-like user id ("U" + 32 hex) for a borrower or a member of staff.

    The last eight digits carry the record, so the simulator can name who spoke.
    """
    digest = hashlib.sha256(f"fundbot-simulator:{kind}:{record_id}".encode()).hexdigest()
    return f"U{digest[:24]}{_KIND_CODES[kind]}{record_id:07x}"


def parse_fake_user_id(user_id: str) -> tuple[str, int] | None:
    """(kind, record id) of a simulated user id; None for any other id."""
    if len(user_id) != 33 or not user_id.startswith("U"):
        return None
    code, digits = user_id[25], user_id[26:]
    kind = next((k for k, c in _KIND_CODES.items() if c == code), None)
    try:
        record_id = int(digits, 16)
    except ValueError:
        return None
    if kind is None or fake_user_id(kind, record_id) != user_id:
        return None
    return kind, record_id


def new_group_id() -> str:
    """A fresh LINE-like group id ("C" + 32 hex)."""
    return "C" + secrets.token_hex(16)
