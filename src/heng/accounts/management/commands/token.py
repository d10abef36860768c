"""``heng token create|list|revoke USER``: API tokens for admins and scripts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heng.accounts.models import ApiToken, User
from heng.accounts.services import token_create, token_revoke
from heng.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create, list or revoke a user's API tokens (the secret is printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("username")
        parser.add_argument("token_id", nargs="?", type=int, help="for revoke")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=None)

    def handle(
        self,
        *args: Any,
        action: str,
        username: str,
        token_id: int | None,
        name: str,
        days: int | None,
        **options: Any,
    ) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no such user: {username}")
        try:
            if action == "create":
                token, secret = token_create(user=user, name=name, days=days, actor="cli")
                self.stdout.write(
                    f"token {token.pk} for {username}, expires {token.expires_at:%Y-%m-%d}"
                )
                self.stdout.write(secret)
            elif action == "list":
                for t in ApiToken.objects.filter(user=user).order_by("pk"):
                    state = (
                        "revoked" if t.revoked_at else ("usable" if t.is_usable() else "expired")
                    )
                    self.stdout.write(
                        f"{t.pk:>5}  {t.prefix}…  {t.name:<20} "
                        f"expires {t.expires_at:%Y-%m-%d}  {state}"
                    )
            else:
                if token_id is None:
                    raise CommandError("revoke needs TOKEN_ID (see: heng token list USER)")
                token_revoke(user=user, token_id=token_id, actor="cli")
                self.stdout.write(f"token {token_id} revoked")
        except ApplicationError as exc:
            raise CommandError(" ".join([exc.message, *exc.fields.values()])) from exc
