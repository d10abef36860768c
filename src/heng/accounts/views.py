"""“My API tokens”: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from heng.accounts.models import ApiToken
from heng.accounts.services import token_create, token_revoke
from heng.core.errors import ApplicationError


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                days = request.POST.get("days", "")
                token, secret = token_create(
                    user=user,
                    name=request.POST.get("name", ""),
                    days=int(days) if days.isdigit() else None,
                    actor=user,
                )
                context["secret"] = secret
                context["created"] = token
            elif action == "revoke":
                raw = request.POST.get("token_id", "")
                token_revoke(user=user, token_id=int(raw) if raw.isdigit() else 0, actor=user)
                messages.success(request, _("Token revoked."))
                return redirect("account-tokens")
        except ApplicationError as exc:
            context["error"] = " ".join([exc.message, *exc.fields.values()])
    context["tokens"] = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(request, "accounts/tokens.html", context)
