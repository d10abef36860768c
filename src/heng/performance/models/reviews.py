"""360 reviews (F2): a questionnaire per cycle and one invitation per reviewer × participant."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from heng.performance.models.cycles import Cycle, Participant


class RaterGroup(models.TextChoices):
    SELF = "self", _("Self")
    PEER = "peer", _("Peer")
    SUBORDINATE = "subordinate", _("Subordinate")
    MANAGER = "manager", _("Manager")


# Peer and subordinate answers are shown only as a group average of at least this many.
ANONYMITY_MIN = 3


class Questionnaire(models.Model):
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="questionnaire")
    # [{"code": "teamwork", "name": "团队协作", "weight": 40}, …] — weights sum to 100.
    criteria = models.JSONField(default=list)
    scale_max = models.DecimalField(max_digits=5, decimal_places=2, default=5)
    # Rater-group weights, e.g. {"manager": 50, "peer": 30, "self": 20}; empty = plain mean.
    group_weights = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"questionnaire {self.cycle_id}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUBMITTED = "submitted", _("Submitted")


class ReviewInvitation(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="invitations"
    )
    reviewer = models.ForeignKey("people.Employee", on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=12, choices=RaterGroup.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    answers = models.JSONField(default=dict, blank=True)  # criterion code → value
    score = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["participant", "group", "id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "reviewer"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.group}:{self.reviewer_id}"
