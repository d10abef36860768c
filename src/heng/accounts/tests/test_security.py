"""Login security: lockout, password policy, session expiry, CSRF, headers, API tokens."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from heng.accounts.models import ApiToken
from heng.accounts.services import token_create, user_create
from heng.core.errors import ValidationFailed
from heng.core.models import AuditEvent

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account(world: Any, settings: Any) -> None:
    settings.AXES_ENABLED = True
    client = Client()
    for _ in range(4):
        assert _login(client, "gz1", "wrong-password").status_code == 200  # form again
    assert _login(client, "gz1", "wrong-password").status_code == 429  # the fifth locks
    locked = _login(client, "gz1", "pw-gz1")  # even the right password now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_before_the_limit_resets_the_count(world: Any, settings: Any) -> None:
    settings.AXES_ENABLED = True
    client = Client()
    for _ in range(4):
        _login(client, "gz1", "wrong-password")
    assert _login(client, "gz1", "pw-gz1").status_code == 302
    assert client.session["_auth_user_id"] == str(world.users["gz1"].pk)


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "hr_south_2026"])
def test_weak_passwords_are_refused(db: Any, password: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        user_create(username="hr_south", password=password)
    assert "password" in err.value.fields


def test_a_strong_password_is_accepted_and_hashed_with_argon2() -> None:
    from heng.config import settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert any(
        v["NAME"].endswith("MinimumLengthValidator") and v["OPTIONS"]["min_length"] >= 10
        for v in configured.AUTH_PASSWORD_VALIDATORS
    )


def test_sessions_expire(world: Any, settings: Any) -> None:
    client = Client()
    assert _login(client, "gz1", "pw-gz1").status_code == 302
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 8 * 3600
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_pages_refuse_posts_without_the_csrf_token(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["gz1"], backend=MODEL_BACKEND)
    response = client.post("/account/tokens/", {"action": "create", "name": "x"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_the_api_refuses_cookie_writes_without_csrf_but_not_bearer_tokens(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["gz1"], backend=MODEL_BACKEND)
    refused = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code in (401, 403)
    assert not ApiToken.objects.exists()
    _token, secret = token_create(user=world.users["gz1"], name="ci")
    bearer = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")
    made = bearer.post("/api/v1/tokens", {"name": "y"}, content_type="application/json")
    assert made.status_code == 201


def test_security_headers_on_every_page(world: Any) -> None:
    response = Client().get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert len(response["X-Request-ID"]) == 32


def test_an_expired_token_no_longer_authenticates(world: Any) -> None:
    token, secret = token_create(user=world.users["hr"], name="old", days=1)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api.get("/api/v1/me").status_code == 401


def test_my_tokens_page_shows_the_secret_once_and_revokes(world: Any) -> None:
    client = Client()
    client.force_login(world.users["gz1"], backend=MODEL_BACKEND)
    created = client.post("/account/tokens/", {"action": "create", "name": "脚本", "days": "30"})
    secret = created.context["secret"]
    assert secret.startswith("heng_")
    assert secret in created.content.decode()
    listing = client.get("/account/tokens/").content.decode()
    assert secret not in listing  # never again
    assert "脚本" in listing
    token = ApiToken.objects.get(user=world.users["gz1"])
    assert token.expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()
    client.post("/account/tokens/", {"action": "revoke", "token_id": token.pk})
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").status_code == 401
    assert list(
        AuditEvent.objects.filter(target_type="accounts.apitoken")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["token.create", "token.revoke"]


def test_someone_elses_token_cannot_be_revoked(world: Any) -> None:
    token, _secret = token_create(user=world.users["hr"], name="hr")
    client = Client()
    client.force_login(world.users["gz1"], backend=MODEL_BACKEND)
    response = client.post("/account/tokens/", {"action": "revoke", "token_id": token.pk})
    assert "error" in response.context
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_command_line(world: Any) -> None:
    out = StringIO()
    call_command("token", "create", "auditor", "--name", "export", "--days", "7", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").status_code == 200
    token = ApiToken.objects.get(user=world.users["auditor"])
    listed = StringIO()
    call_command("token", "list", "auditor", stdout=listed)
    assert "export" in listed.getvalue()
    assert "usable" in listed.getvalue()
    call_command("token", "revoke", "auditor", str(token.pk), stdout=StringIO())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").status_code == 401
