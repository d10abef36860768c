"""360 pages (F2): "My reviews" and the answer form, the cycle's 360 progress (reminders,
default invitations), the questionnaire form for HR and the peer choice.

Access is the API's (``heng.performance.api.reviews``): answers only by their reviewer (any
other invitation id is 404), peers by the person or his manager, progress for HR and managers
in scope. Service refusals are shown on the page with the service's (translated) message.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, NotFound, ValidationFailed
from heng.people.models import Employee
from heng.performance.api.cycles import _hr, access_cycle, can_run_cycles
from heng.performance.api.reviews import (
    CriterionIn,
    QuestionnaireIn,
    access_participant,
    can_follow_progress,
    chooser,
    invitations_of,
    my_review_out,
    own_invitation,
    questionnaire_save,
    reminders_send,
)
from heng.performance.models import (
    Participant,
    ParticipantStatus,
    RaterGroup,
)
from heng.performance.selectors.cycles import participants_visible_to, review_progress
from heng.performance.selectors.reviews import (
    OPEN_FOR_ANSWERS,
    peer_candidates,
    progress_rows,
    questionnaire_of,
    reviews_of,
)
from heng.performance.services.reviews import (
    invitations_default,
    peer_remove,
    peers_choose,
    review_submit,
)

PAGE = 100


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    """The reviews the signed-in person gives, and whose peers he may choose."""
    own = scope_for(request.user).own_employee_id
    rows = [my_review_out(inv) | {"invitation": inv} for inv in reviews_of(own)]
    # Whose peers he may choose: his own, and those of the people he manages (open cycles).
    choosing = (
        Participant.objects.filter(Q(employee_id=own) | Q(manager_id=own))
        .filter(cycle__state__in=OPEN_FOR_ANSWERS, status=ParticipantStatus.ACTIVE)
        .select_related("cycle")
        .annotate(chosen=Count("invitations", filter=Q(invitations__group=RaterGroup.PEER)))
        .order_by("cycle_id", "employee_no")
        if own is not None
        else Participant.objects.none()
    )
    peers = [{"participant": p, "himself": p.employee_id == own} for p in choosing]
    return render(
        request,
        "performance/cycles/reviews_mine.html",
        {
            "todo": [r for r in rows if r["can_answer"] and r["status"] == "pending"],
            "others": [r for r in rows if not (r["can_answer"] and r["status"] == "pending")],
            "peers": peers,
            "has_efile": own is not None,
        },
    )


def _scale(scale_max: Decimal) -> list[int]:
    """Whole-number scales up to 10 are answered with buttons 1 … max; others by number."""
    if scale_max == scale_max.to_integral_value() and 1 <= scale_max <= 10:
        return list(range(1, int(scale_max) + 1))
    return []


@login_required
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer form of one of the user's own invitations (404 for anyone else's)."""
    inv = own_invitation(request.user, pk)
    q = questionnaire_of(inv.participant.cycle)
    info = my_review_out(inv)
    values: dict[str, str] = {k: str(v) for k, v in (inv.answers or {}).items()}
    comment = inv.comment
    error: ApplicationError | None = None
    status = 200
    if request.method == "POST":
        values = {
            c["code"]: request.POST.get(f"c_{c['code']}", "").strip()
            for c in (q.criteria if q else [])
        }
        comment = request.POST.get("comment", "")[:4000]
        try:
            # Refusals (closed, past the deadline, out of the scale) come from the service.
            review_submit(
                reviewer=inv.reviewer,
                participant=inv.participant,
                answers={k: v for k, v in values.items() if v != ""},
                comment=comment,
            )
        except ApplicationError as exc:
            error, status = exc, exc.status
            if not info["can_answer"]:  # closed: show what is stored, not what was typed
                values = {k: str(v) for k, v in (inv.answers or {}).items()}
                comment = inv.comment
        else:
            messages.success(
                request,
                _("Thank you — your answers for %(name)s are saved.")
                % {"name": inv.participant.name},
            )
            return redirect("performance:reviews-mine")
    criteria = [
        {
            **c,
            "value": values.get(c["code"], ""),
            "error": error.fields.get(c["code"], "") if error else "",
        }
        for c in (q.criteria if q else [])
    ]
    return render(
        request,
        "performance/cycles/review_form.html",
        {
            "inv": inv,
            "info": info,
            "q": q,
            "criteria": criteria,
            "scale": _scale(q.scale_max) if q else [],
            "comment": comment,
            "error": error,
        },
        status=status,
    )


@login_required
def cycle_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """The cycle's 360 progress: answered / invited per participant in scope."""
    cycle = access_cycle(request.user, pk)
    if not can_follow_progress(request.user):
        raise NotFound()
    visible = participants_visible_to(request.user, cycle).order_by("unit_path", "employee_no")
    page = Paginator(visible, PAGE).get_page(request.GET.get("page"))
    own = scope_for(request.user).own_employee_id
    rows = progress_rows(list(page.object_list))
    for r in rows:
        p = r["participant"]
        r["can_choose"] = cycle.state in OPEN_FOR_ANSWERS and own in (p.employee_id, p.manager_id)
        r["cells"] = [r["groups"].get(g) for g in RaterGroup.values]
    return render(
        request,
        "performance/cycles/reviews_progress.html",
        {
            "cycle": cycle,
            "q": questionnaire_of(cycle),
            "rows": rows,
            "page": page,
            "overall": review_progress(cycle) if scope_for(request.user).company_wide else None,
            "groups": RaterGroup.choices,
            "can_run": can_run_cycles(request.user),
            "is_open": cycle.state in OPEN_FOR_ANSWERS,
        },
    )


@login_required
@require_POST
def cycle_reviews_remind(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    _hr(request.user)
    try:
        sent = reminders_send(cycle)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if sent:
            messages.success(request, _("%(n)s reminders sent.") % {"n": sent})
        else:
            messages.info(request, _("Nobody new to remind today."))
    return redirect("performance:cycle-reviews", pk=cycle.pk)


@login_required
@require_POST
def cycle_reviews_invite(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    _hr(request.user)
    try:
        made = invitations_default(cycle=cycle, subordinates=bool(request.POST.get("subordinates")))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)s invitations made.") % {"n": made})
    return redirect("performance:cycle-reviews", pk=cycle.pk)


def _criteria_from(text: str) -> list[CriterionIn]:
    """One criterion a line: ``code | name | weight`` (name_en optional as a 4th part)."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [x.strip() for x in line.replace("｜", "|").split("|")]
        try:
            weight = Decimal(parts[2])
            out.append(
                CriterionIn(
                    code=parts[0],
                    name=parts[1],
                    weight=weight,
                    name_en=parts[3] if len(parts) > 3 else "",
                )
            )
        except (IndexError, InvalidOperation, ValueError):
            message = _("Line %(n)s: write code | name | weight.") % {"n": n}
            raise ValidationFailed(
                message, code="criteria_invalid", fields={"criteria": message}
            ) from None
    return out


def _decimal(raw: str, field: str) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation:
        message = _("Write a number.")
        raise ValidationFailed(message, code="number_invalid", fields={field: message}) from None


@login_required
def cycle_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """HR sets the questionnaire: criteria (weights sum to 100), scale, rater-group weights."""
    cycle = access_cycle(request.user, pk)
    _hr(request.user)
    q = questionnaire_of(cycle)
    error: ApplicationError | None = None
    data: dict[str, Any] = {
        "criteria": "\n".join(
            " | ".join(
                [str(c["code"]), str(c.get("name", "")), str(c["weight"])]
                + ([str(c["name_en"])] if c.get("name_en") else [])
            )
            for c in (q.criteria if q else [])
        ),
        "scale_max": str(q.scale_max.normalize()) if q else "5",
        **{f"w_{g}": str((q.group_weights if q else {}).get(g, "")) for g in RaterGroup.values},
    }
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in data}
        try:
            body = QuestionnaireIn(
                criteria=_criteria_from(data["criteria"]),
                scale_max=_decimal(data["scale_max"] or "5", "scale_max"),
                group_weights={
                    g: _decimal(data[f"w_{g}"], "group_weights")
                    for g in RaterGroup.values
                    if data[f"w_{g}"].strip()
                },
            )
            _q, invited = questionnaire_save(cycle, body)
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(
                request, _("Questionnaire saved; %(n)s invitations made.") % {"n": invited}
            )
            return redirect("performance:cycle-reviews", pk=cycle.pk)
    return render(
        request,
        "performance/cycles/questionnaire_form.html",
        {
            "cycle": cycle,
            "data": data,
            "error": error,
            "weights": [(g, label, data[f"w_{g}"]) for g, label in RaterGroup.choices],
        },
        status=error.status if error else 200,
    )


@login_required
def participant_peers(request: HttpRequest, pk: int, employee_id: int) -> HttpResponse:
    """The person or his manager chooses peers (within the cycle's limit) or withdraws one."""
    cycle = access_cycle(request.user, pk)
    p = access_participant(request.user, cycle, employee_id)
    actor = chooser(request.user, p)
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                peer = Employee.objects.filter(pk=request.POST["remove"]).first()
                if peer is None:
                    raise NotFound()
                peer_remove(actor_employee=actor, participant=p, peer=peer)
            else:
                ids = [i for i in request.POST.getlist("peer") if i.isdigit()]
                chosen = list(Employee.objects.filter(pk__in=ids))
                if not chosen:
                    raise ValidationFailed(_("Choose at least one person."), code="peer_invalid")
                peers_choose(actor_employee=actor, participant=p, peers=chosen)
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, _("Peers saved."))
            return redirect("performance:review-peers", pk=cycle.pk, employee_id=employee_id)
    q = request.GET.get("q", "").strip()[:60]
    invitations = invitations_of(request.user, p)
    peers = [i for i in invitations if i["group"] == RaterGroup.PEER]
    return render(
        request,
        "performance/cycles/review_peers.html",
        {
            "cycle": cycle,
            "p": p,
            "peers": peers,
            "himself": actor.pk == p.employee_id,
            "limit": cycle.peer_limit,
            "room": max(cycle.peer_limit - len(peers), 0),
            "candidates": peer_candidates(p, participants_visible_to(request.user, cycle), q),
            "q": q,
            "is_open": cycle.state in OPEN_FOR_ANSWERS,
            "error": error,
        },
        status=error.status if error else 200,
    )
