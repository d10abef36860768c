"""Publishing: validate the whole working copy and freeze it as an immutable version."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.accounts.models import User
from heng.performance.documents.check import check_document
from heng.performance.documents.model import Doc, Problems, digest
from heng.performance.errors import SchemeConflict, SchemeInvalid, problems_error
from heng.performance.models import Scheme, SchemeVersion
from heng.performance.selectors.documents import DbDirectory, scheme_document
from heng.performance.services.audit import record


def scheme_problems(scheme: Scheme) -> Problems:
    """Everything that would stop ``scheme`` from being published (empty: publishable)."""
    problems = Problems()
    check_document(scheme_document(scheme), DbDirectory(), problems)
    return problems


def _assignment_clash(scheme: Scheme, document: Doc) -> None:
    """Two schemes assigned to exactly the same unit and position would tie: refuse."""
    mine = {(a["unit"], a["position"]) for a in document["scheme"]["applies_to"]}
    latest: dict[int, SchemeVersion] = {}
    for version in SchemeVersion.objects.exclude(scheme=scheme).order_by("scheme_id", "-number"):
        latest.setdefault(version.scheme_id, version)
    for version in latest.values():
        theirs = {(a["unit"], a["position"]) for a in version.document["scheme"]["applies_to"]}
        both = sorted(mine & theirs, key=lambda p: (p[0] or "", p[1] or ""))
        if both:
            unit, position = both[0]
            raise SchemeConflict(
                _(
                    "Scheme %(other)s is already assigned to %(who)s; a person can follow only "
                    "one scheme."
                )
                % {
                    "other": version.document["scheme"]["code"],
                    "who": " / ".join(x for x in (unit, position) if x),
                },
                code="assignment_taken",
            )


@transaction.atomic
def scheme_publish(
    *, actor: User | None, scheme: Scheme, effective_from: dt.date | None = None, note: str = ""
) -> SchemeVersion:
    """Freeze the working copy as version N+1, in effect from ``effective_from`` (today).

    Refused, with every problem named, when the scheme is not valid (weights ≠ 100 for the
    base lines or for any combination of overrides that can apply together, unknown rules,
    missing parameters, targets of 0 …), when nothing changed since the last version, or when
    it would take effect before the last version does.
    """
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    document = scheme_document(scheme)
    problems = Problems()
    check_document(document, DbDirectory(), problems)
    if problems:
        raise problems_error(problems)
    _assignment_clash(scheme, document)
    effective_from = effective_from or timezone.localdate()
    latest = scheme.versions.order_by("-number").first()
    pinned = digest(document)
    if latest is not None and latest.digest == pinned:
        raise SchemeConflict(
            _("Nothing changed since version %(number)s.") % {"number": latest.number},
            code="unchanged",
        )
    if latest is not None and effective_from < latest.effective_from:
        raise SchemeInvalid(
            _(
                "Version %(number)s takes effect on %(date)s; a new version cannot take effect "
                "earlier."
            )
            % {"number": latest.number, "date": latest.effective_from.isoformat()},
            code="effective_from_too_early",
            fields={"effective_from": _("Too early.")},
        )
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=(latest.number + 1) if latest else 1,
        effective_from=effective_from,
        published_by=actor,
        document=document,
        digest=pinned,
        note=note,
    )
    Scheme.objects.filter(pk=scheme.pk).update(has_draft_changes=False)
    record(
        actor=actor,
        action="scheme.publish",
        target=version,
        after={"number": version.number, "effective_from": effective_from, "digest": pinned},
        note=note,
    )
    return version
