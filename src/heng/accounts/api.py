"""Who am I, and my API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest
from ninja import Router, Schema, Status

from heng.accounts.models import ApiToken, User
from heng.accounts.scope import scope_for
from heng.accounts.services import token_create, token_revoke
from heng.core.api import ERRORS

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    employee_id: int | None
    roles: list[str]
    company_wide: bool
    scope_unit_paths: list[str]


class TokenIn(Schema):
    name: str
    days: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    secret: str


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    scope = scope_for(request.user)
    user: Any = request.user
    return {
        "username": user.username,
        "employee_id": user.employee_id,
        "roles": sorted(scope.roles),
        "company_wide": scope.company_wide,
        "scope_unit_paths": list(scope.unit_paths),
    }


def _user(request: HttpRequest) -> User:
    # API auth guarantees a signed-in user for every endpoint of this router.
    return cast(User, request.user)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=_user(request)).order_by("-created_at")


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS})
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    token, secret = token_create(
        user=_user(request), name=payload.name, days=payload.days, actor=_user(request)
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "secret": secret})


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    token_revoke(user=_user(request), token_id=token_id, actor=_user(request))
    return Status(204, None)
