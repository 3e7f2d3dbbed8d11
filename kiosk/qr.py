"""QR codes for screens, as inline SVG (crisp at any size, no image request)."""

from __future__ import annotations

import qrcode
from qrcode.image.svg import SvgPathImage


def qr_svg(data: str) -> str:
    """An SVG element encoding data, scaled by CSS."""
    image = qrcode.make(data, image_factory=SvgPathImage, border=2, box_size=10)
    return image.to_string(encoding="unicode")
