from heng.core.errors import Conflict, ValidationFailed


class RequestInvalid(ValidationFailed):
    default_code = "request_invalid"


class AlreadyDecided(Conflict):
    default_code = "already_decided"


class NoApprover(ValidationFailed):
    default_code = "no_approver"
