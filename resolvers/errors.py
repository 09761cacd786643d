"""Domain failures: an expected "no" from a rule, turned into a DomainError member by the schema."""


class DomainFailure(Exception):
    """A rule refused. `code` is stable English, `message` is for people, in Chinese."""

    def __init__(self, code: str, message: str, kind: str = "RuleViolation", **details) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind  # the DomainError type the schema answers with
        self.details = details


class NotFoundFailure(DomainFailure):
    def __init__(self, what: str) -> None:
        super().__init__("NOT_FOUND", f"未找到{what}", kind="NotFound")
