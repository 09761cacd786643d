"""Childcare's failures that have result types of their own."""

from resolvers.errors import DomainFailure, ErrorCode


class ChildNotEligible(DomainFailure):
    """The child's age in months on the session day is outside the class's range."""

    codes = (ErrorCode.CHILD_NOT_ELIGIBLE,)

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.CHILD_NOT_ELIGIBLE, message)


class InvalidPickupPin(DomainFailure):
    """A wrong PIN: answered as an error, but the attempt is kept (the schema commits it)."""

    codes = (ErrorCode.INVALID_PICKUP_PIN,)
    keep_changes = True

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID_PICKUP_PIN, message)
