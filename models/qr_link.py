"""Links to a contract's payment QR image that cannot be guessed and stop working.

The path carries the contract, the amount in satang and an expiry, signed with an HMAC of
the instance secret: nobody can ask for another contract's QR or change the amount, and a
link copied out of a chat is dead after a day.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

LIFETIME = timedelta(hours=24)


def signature(secret: str, contract_id: int, satang: int, expires: int) -> str:
    """The signature of one QR link (hex, 32 characters)."""
    message = f"qr:{contract_id}:{satang}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def qr_path(secret: str, contract_id: int, satang: int, now: datetime) -> str:
    """/qr/<contract>/<satang>/<expires>/<sig>.png, valid for LIFETIME from `now`."""
    expires = int((now + LIFETIME).timestamp())
    sig = signature(secret, contract_id, satang, expires)
    return f"/qr/{contract_id}/{satang}/{expires}/{sig}.png"


def link_valid(
    secret: str, contract_id: int, satang: int, expires: int, sig: str, now: datetime
) -> bool:
    """True when the signature matches and the link has not expired."""
    expected = signature(secret, contract_id, satang, expires)
    return hmac.compare_digest(expected, sig) and now.timestamp() < expires
