"""Elder care's failures that have result types of their own."""

from resolvers.errors import DomainFailure, ErrorCode


class InvalidReadings(DomainFailure):
    """A batch with nothing to store: empty, too large, or no valid reading (each one's reason in
    `rejected`)."""

    codes = (ErrorCode.EMPTY_BATCH, ErrorCode.BATCH_TOO_LARGE, ErrorCode.NO_VALID_READINGS)

    def __init__(self, code: ErrorCode, message: str, *, rejected: list | None = None) -> None:
        super().__init__(code, message, rejected=rejected or [])


# A reading of a batch refused alone (RejectedReading.code); the rest of the batch is stored.
REJECTION_CODES = (
    ErrorCode.UNKNOWN_DEVICE,
    ErrorCode.DEVICE_NOT_ASSIGNED,
    ErrorCode.KIND_NOT_MEASURED_BY_DEVICE,
    ErrorCode.CONSENT_WITHDRAWN,
    ErrorCode.DEVICE_SERIAL_MISSING,
    ErrorCode.DEVICE_SERIAL_GIVEN_TWICE,
    ErrorCode.UNKNOWN_KIND,
    ErrorCode.INVALID_TIME,
    ErrorCode.IN_THE_FUTURE,
    ErrorCode.IMPOSSIBLE_VALUE,
)
