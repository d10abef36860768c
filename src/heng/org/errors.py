from django.utils.translation import gettext_lazy as _

from heng.core.errors import Conflict, ValidationFailed


class UnitInvalid(ValidationFailed):
    default_code = "unit_invalid"


class UnitMoveIntoOwnSubtree(ValidationFailed):
    default_code = "unit_cycle"

    def __init__(self) -> None:
        super().__init__(
            str(_("A unit cannot be moved under itself or one of its own sub-units.")),
            fields={"parent": str(_("Choose a unit outside this unit's subtree."))},
        )


class UnitHasPeople(Conflict):
    default_code = "unit_has_people"
