from heng.core.errors import ValidationFailed


class EmployeeInvalid(ValidationFailed):
    default_code = "employee_invalid"


class AssignmentInvalid(ValidationFailed):
    default_code = "assignment_invalid"


class ContractInvalid(ValidationFailed):
    default_code = "contract_invalid"


class ImportFileInvalid(ValidationFailed):
    default_code = "import_file_invalid"
