"""The data-protection notice the kiosk shows, and a signed proof that it was accepted."""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.checkin import ConsentRecord

# Bump whenever the notice text in kiosk/templates/kiosk/_notice_*.html changes: visits keep the version they accepted.
NOTICE_VERSION = "2026-11-29"
RETENTION_YEARS = 5
CONSENT_MAX_AGE_SECONDS = 30 * 60


class ConsentError(ValueError):
    """The consent proof is missing, forged or too old."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="kiosk-consent")


def consent_token(secret: str, accepted_at: datetime) -> str:
    """A signed record of the notice version and the moment the visitor accepted it."""
    return _serializer(secret).dumps({"v": NOTICE_VERSION, "at": accepted_at.isoformat()})


def read_consent(secret: str, token: str) -> ConsentRecord:
    """Verify a consent token from the form; raise ConsentError with a message for the visitor."""
    if not token:
        raise ConsentError("Persetujuan Anda diperlukan sebelum mengisi data.")
    try:
        data = _serializer(secret).loads(token, max_age=CONSENT_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise ConsentError("Waktu persetujuan habis. Silakan mulai lagi.") from None
    except BadSignature:
        raise ConsentError("Persetujuan Anda diperlukan sebelum mengisi data.") from None
    return ConsentRecord(notice_version=str(data["v"]), accepted_at=datetime.fromisoformat(data["at"]), proof=token)
