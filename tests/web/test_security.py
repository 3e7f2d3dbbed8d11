"""Serving behind HTTPS: the Secure session cookie and a trusted reverse proxy, each only when configured."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import make_user


@pytest.fixture
def app_with(app_config: dict[str, Any], tmp_path: Path, session: Session) -> Iterator[Callable[..., Any]]:
    """Builds the app with extra HELPDESK_* settings (as strings, as the environment gives them); one officer."""
    from helpdesk import create_app

    make_user(session, "petugas1")
    apps = []

    def build(**settings: str) -> Any:
        app = create_app({**app_config, **settings}, instance_path=str(tmp_path / f"instance-{len(apps)}"))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["helpdesk"].close()


def sign_in(client: Any, username: str = "petugas1", device: str | None = None) -> Any:
    """Sign in as the officer (a wrong username fails); device is the address a proxy says it forwards for."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    form = {"username": username, "password": "rahasia-123", "csrf_token": token}
    return client.post("/login", data=form, headers={"X-Forwarded-For": device} if device else {})


def test_the_session_cookie_is_sent_over_https_only_when_configured(app_with: Callable[..., Any]) -> None:
    over_http = sign_in(app_with().test_client())
    assert over_http.status_code == 302 and "Secure" not in over_http.headers["Set-Cookie"]

    over_https = sign_in(app_with(SECURE_COOKIES="true").test_client())
    assert over_https.status_code == 302
    assert "; Secure" in over_https.headers["Set-Cookie"] and "HttpOnly" in over_https.headers["Set-Cookie"]


def test_only_a_trusted_proxy_tells_devices_apart_for_the_sign_in_limit(app_with: Callable[..., Any]) -> None:
    # Directly reachable, anyone could claim another address to dodge the limit: the header is ignored.
    direct = app_with().test_client()
    for attempt in range(10):
        assert sign_in(direct, "tidak-ada", device=f"10.0.0.{attempt}").status_code == 401
    assert sign_in(direct, device="10.0.0.99").status_code == 429

    # Behind the office's proxy every request comes from it; the officer at the next desk may still sign in.
    proxied = app_with(TRUSTED_PROXIES="1").test_client()
    for _ in range(10):
        assert sign_in(proxied, "tidak-ada", device="192.168.1.21").status_code == 401
    assert sign_in(proxied, device="192.168.1.21").status_code == 429
    assert sign_in(proxied, device="192.168.1.22").status_code == 302
