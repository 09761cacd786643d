"""The maker space's failures that have result types of their own."""

from datetime import datetime

from resolvers.errors import DomainFailure, ErrorCode


class SlotTaken(DomainFailure):
    """The resource is held for part of that time (the exclusion constraint said so)."""

    codes = (ErrorCode.SLOT_TAKEN,)

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.SLOT_TAKEN, message)


class BookingSuspended(DomainFailure):
    """Repeated no-shows: no booking until `until`."""

    codes = (ErrorCode.BOOKING_SUSPENDED,)

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(ErrorCode.BOOKING_SUSPENDED, message, until=until)


class InvalidCheckInCode(DomainFailure):
    """Not the kiosk's current (or previous) code."""

    codes = (ErrorCode.INVALID_CHECK_IN_CODE,)

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID_CHECK_IN_CODE, message)
