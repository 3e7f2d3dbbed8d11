"""The data-protection notice the kiosk shows, and a signed proof that it was accepted."""

from __future__ import annotations

import re
from datetime import datetime

from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from shared.checkin import ConsentRecord
from shared.i18n import N_

# Bump whenever the notice text in kiosk/templates/kiosk/_notice_*.html changes: visits keep the version they accepted.
NOTICE_VERSION = "2026-11-29"
RETENTION_YEARS = 5
CONSENT_MAX_AGE_SECONDS = 30 * 60
CONSENT_MAX_CHARS = 255  # the length of consents.proof; issued tokens are about 110
# payload.timestamp.signature in URL-safe base64, as itsdangerous writes it (a compressed payload starts with ".").
_TOKEN = re.compile(r"\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CONSENT_NEEDED = N_("Persetujuan Anda diperlukan sebelum mengisi data.")


class ConsentError(ValueError):
    """The consent proof is missing, forged or too old."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="kiosk-consent")


def consent_token(secret: str, accepted_at: datetime) -> str:
    """A signed record of the notice version and the moment the visitor accepted it."""
    return _serializer(secret).dumps({"v": NOTICE_VERSION, "at": accepted_at.isoformat()})


def read_consent(secret: str, token: str) -> ConsentRecord:
    """Verify a consent token from the form; raise ConsentError with a message for the visitor.

    Only the token exactly as issued is accepted. The base64 decoder would skip characters outside its alphabet
    and ignore the spare bits of the signature's last character, so variants of one token would verify too and,
    being different text, each check in again (a token checks in once: its text is the stored proof).
    """
    if not token:
        raise ConsentError(_CONSENT_NEEDED)
    if len(token) > CONSENT_MAX_CHARS or not _TOKEN.fullmatch(token) or not _canonical_signature(token):
        raise ConsentError(_CONSENT_NEEDED)
    try:
        data = _serializer(secret).loads(token, max_age=CONSENT_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise ConsentError(N_("Waktu persetujuan habis. Silakan mulai lagi.")) from None
    except BadSignature:
        raise ConsentError(_CONSENT_NEEDED) from None
    return ConsentRecord(notice_version=str(data["v"]), accepted_at=datetime.fromisoformat(data["at"]), proof=token)


def _canonical_signature(token: str) -> bool:
    """True when the signature part is written the one way base64 writes its bytes."""
    signature = token.rpartition(".")[2]
    try:
        return base64_encode(base64_decode(signature)).decode() == signature
    except BadData:  # not base64 at all
        return False
