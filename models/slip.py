"""Transfer slips as debtors send them: the file, its hash, and what its mini QR says.

A slip is stored the moment the photo arrives, before the bot knows which contract or how
much; the pending payment is recorded once it does. A slip whose bank reference (or whose
very file) was submitted before, by anyone, is a duplicate: kept, flagged, never counted.
Reading the mini QR identifies a transfer; it is not a verification by the bank.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.borrower import Borrower
from models.payment import Payment
from models.thai_qr import SlipQR

# LINE's own ceiling for an image message is 10 MB; a photo beyond that is not a slip.
MAX_SLIP_BYTES = 10 * 1024 * 1024
_IMAGE_TYPES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)

QR_READ = "read"
QR_UNREAD = "unread"
QR_DUPLICATE = "duplicate"


class Slip(Base):
    """One slip photo a debtor sent."""

    __tablename__ = "slip"

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrower.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    # read, unread (no slip QR found) or duplicate
    qr_status: Mapped[str] = mapped_column(String(12))
    bank_code: Mapped[str | None] = mapped_column(String(3))
    bank_reference: Mapped[str | None] = mapped_column(String(40))
    # "<bank>:<reference>" on the first slip with that reference only: the unique key that
    # lets two slips sent at the same moment not both count.
    reference_key: Mapped[str | None] = mapped_column(String(50), unique=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("slip.id"))
    line_message_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    borrower: Mapped[Borrower] = relationship()
    payment: Mapped[Payment | None] = relationship()

    @property
    def duplicate(self) -> bool:
        return self.qr_status == QR_DUPLICATE


def image_extension(content: bytes) -> str | None:
    """ "jpg" or "png" when the bytes start like one (LINE sends photos as JPEG), else None."""
    for magic, extension in _IMAGE_TYPES:
        if content.startswith(magic):
            return extension
    return None


def store_slip(
    session: Session,
    instance: Path,
    borrower: Borrower,
    content: bytes,
    qr: SlipQR | None,
    *,
    message_id: str,
    now: datetime,
) -> Slip:
    """Write the photo into the instance folder and record it; duplicates are flagged.

    The caller has checked the size and the image type.
    """
    digest = hashlib.sha256(content).hexdigest()
    extension = image_extension(content) or "bin"
    relative = Path("slips") / f"{now:%Y}" / f"{now:%m}" / f"{digest[:32]}.{extension}"
    target = Path(instance) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(content)
    slip = Slip(
        borrower_id=borrower.id,
        path=relative.as_posix(),
        sha256=digest,
        size=len(content),
        qr_status=QR_READ if qr else QR_UNREAD,
        bank_code=qr.bank if qr else None,
        bank_reference=qr.reference if qr else None,
        line_message_id=message_id[:40] or None,
        created_at=now,
    )
    earlier = _earlier_slip(session, digest, qr)
    if earlier is not None:
        slip.qr_status, slip.duplicate_of_id = QR_DUPLICATE, earlier.id
        session.add(slip)
        session.flush()
        return slip
    if qr is not None:
        slip.reference_key = f"{qr.bank}:{qr.reference}"
    try:
        with session.begin_nested():
            session.add(slip)
            session.flush()
    except IntegrityError:
        # The same reference committed by another event a moment ago.
        slip.reference_key, slip.qr_status = None, QR_DUPLICATE
        slip.duplicate_of_id = _earlier_slip(session, digest, qr).id
        session.add(slip)
        session.flush()
    return slip


def _earlier_slip(session: Session, digest: str, qr: SlipQR | None) -> Slip | None:
    """A slip submitted before with the same bank reference or the very same file."""
    if qr is not None:
        found = session.scalar(
            select(Slip).where(Slip.reference_key == f"{qr.bank}:{qr.reference}").limit(1)
        )
        if found is not None:
            return found
    return session.scalar(
        select(Slip)
        .where(Slip.sha256 == digest, Slip.qr_status != QR_DUPLICATE)
        .order_by(Slip.id)
        .limit(1)
    )
