"""Reading the mini QR off a slip photo with zxing-cpp (a wheel: no system library needed)."""

from __future__ import annotations

import io
import logging
import warnings

import zxingcpp
from PIL import Image

from models.thai_qr import SlipQR, parse_slip_qr

log = logging.getLogger(__name__)

# A phone photo of a slip is a few megapixels; far beyond that is not a slip (or is a bomb).
MAX_PIXELS = 40_000_000


def read_slip_qr(content: bytes) -> SlipQR | None:
    """The slip QR in the photo, or None when there is none readable (never raises)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > MAX_PIXELS:
                return None
            image.load()
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        results = zxingcpp.read_barcodes(image)
    except Exception:  # noqa: BLE001 - an unreadable photo is still a slip, marked unread
        log.info("no readable image in a slip", exc_info=True)
        return None
    for result in results:
        slip = parse_slip_qr(result.text or "")
        if slip is not None:
            return slip
    return None
