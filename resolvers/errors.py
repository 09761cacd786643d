"""Expected failures: each a class, each code a member of ErrorCode.

A rule that says no raises a DomainFailure (or a subclass that carries more, like SlotTaken); the
schema answers it with the result type that declares it answers that class. Every code any failure
can carry is a member of ErrorCode, which the graph shows as its `ErrorCode` enum, so a client can
switch on `DomainError.code` exhaustively.
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession


class ErrorCode(StrEnum):
    """Every code of an expected failure (and of a reading rejected from a batch)."""

    NOT_FOUND = "NOT_FOUND"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # people: accounts, sessions, passwords, the community office
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID"
    REFRESH_TOKEN_EXPIRED = "REFRESH_TOKEN_EXPIRED"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    SESSION_REVOKED = "SESSION_REVOKED"
    RESET_CODE_INVALID = "RESET_CODE_INVALID"
    RESET_CODE_USED = "RESET_CODE_USED"
    RESET_CODE_EXPIRED = "RESET_CODE_EXPIRED"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    PASSWORD_IS_PHONE = "PASSWORD_IS_PHONE"
    PASSWORD_TOO_COMMON = "PASSWORD_TOO_COMMON"
    PASSWORD_UNCHANGED = "PASSWORD_UNCHANGED"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_NAME = "INVALID_NAME"
    NAME_REQUIRED = "NAME_REQUIRED"
    COMMUNITY_NOT_FOUND = "COMMUNITY_NOT_FOUND"
    PHONE_TAKEN = "PHONE_TAKEN"
    OTHER_COMMUNITY = "OTHER_COMMUNITY"
    HOUSEHOLD_NOT_IN_COMMUNITY = "HOUSEHOLD_NOT_IN_COMMUNITY"
    ROLE_NEEDS_COMMUNITY = "ROLE_NEEDS_COMMUNITY"
    ADMIN_ONLY_ROLE = "ADMIN_ONLY_ROLE"
    ROLE_ALREADY_HELD = "ROLE_ALREADY_HELD"
    ROLE_NOT_HELD = "ROLE_NOT_HELD"
    LAST_ADMIN = "LAST_ADMIN"
    ALREADY_DISABLED = "ALREADY_DISABLED"
    NOT_DISABLED = "NOT_DISABLED"
    ADMIN_EXISTS = "ADMIN_EXISTS"
    NAME_TAKEN = "NAME_TAKEN"
    MARK_READ_TARGET = "MARK_READ_TARGET"
    # maker space
    SLOT_TAKEN = "SLOT_TAKEN"
    BOOKING_SUSPENDED = "BOOKING_SUSPENDED"
    INVALID_CHECK_IN_CODE = "INVALID_CHECK_IN_CODE"
    INVALID_PERIOD = "INVALID_PERIOD"
    NOT_SLOT_ALIGNED = "NOT_SLOT_ALIGNED"
    OUTSIDE_OPENING_HOURS = "OUTSIDE_OPENING_HOURS"
    IN_THE_PAST = "IN_THE_PAST"
    TOO_FAR_AHEAD = "TOO_FAR_AHEAD"
    TOO_LONG = "TOO_LONG"
    INVALID_PARTY_SIZE = "INVALID_PARTY_SIZE"
    PARTY_TOO_LARGE = "PARTY_TOO_LARGE"
    DAILY_CAP = "DAILY_CAP"
    OVERLAPPING_RESERVATION = "OVERLAPPING_RESERVATION"
    CHECK_IN_TOO_EARLY = "CHECK_IN_TOO_EARLY"
    CHECK_IN_TOO_LATE = "CHECK_IN_TOO_LATE"
    ALREADY_CHECKED_IN = "ALREADY_CHECKED_IN"
    NOT_ACTIVE = "NOT_ACTIVE"
    # maker space: the staff's operations
    INVALID_CAPACITY = "INVALID_CAPACITY"
    INVALID_POSITION = "INVALID_POSITION"
    RESOURCE_NAME_TAKEN = "RESOURCE_NAME_TAKEN"
    RESOURCE_RETIRED = "RESOURCE_RETIRED"
    REASON_REQUIRED = "REASON_REQUIRED"
    BLOCK_OUT_OVERLAPS = "BLOCK_OUT_OVERLAPS"
    RESOURCE_IN_USE = "RESOURCE_IN_USE"
    BLOCK_OUT_REMOVED = "BLOCK_OUT_REMOVED"
    INVALID_OPENING_HOURS = "INVALID_OPENING_HOURS"
    INVALID_SLOT_MINUTES = "INVALID_SLOT_MINUTES"
    HOURS_NOT_ON_SLOTS = "HOURS_NOT_ON_SLOTS"
    INVALID_BOOKING_HORIZON = "INVALID_BOOKING_HORIZON"
    INVALID_DESK_MAX_MINUTES = "INVALID_DESK_MAX_MINUTES"
    INVALID_ROOM_MAX_MINUTES = "INVALID_ROOM_MAX_MINUTES"
    INVALID_DESK_DAILY_CAP = "INVALID_DESK_DAILY_CAP"
    INVALID_CHECK_IN_BEFORE = "INVALID_CHECK_IN_BEFORE"
    INVALID_CHECK_IN_AFTER = "INVALID_CHECK_IN_AFTER"
    INVALID_NO_SHOW_LIMIT = "INVALID_NO_SHOW_LIMIT"
    INVALID_NO_SHOW_WINDOW = "INVALID_NO_SHOW_WINDOW"
    INVALID_SUSPENSION_DAYS = "INVALID_SUSPENSION_DAYS"
    INVALID_CHECK_IN_STEP = "INVALID_CHECK_IN_STEP"
    # childcare
    CHILD_NOT_ELIGIBLE = "CHILD_NOT_ELIGIBLE"
    INVALID_PICKUP_PIN = "INVALID_PICKUP_PIN"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    INVALID_BIRTH_DATE = "INVALID_BIRTH_DATE"
    NOT_UNDER_THREE = "NOT_UNDER_THREE"
    PICKUP_PERSON_EXISTS = "PICKUP_PERSON_EXISTS"
    SESSION_STARTED = "SESSION_STARTED"
    OVERLAPPING_BOOKING = "OVERLAPPING_BOOKING"
    NOT_CONFIRMED = "NOT_CONFIRMED"
    NOT_SESSION_DAY = "NOT_SESSION_DAY"
    NOT_CHECKED_IN = "NOT_CHECKED_IN"
    CHECKOUT_LOCKED = "CHECKOUT_LOCKED"
    STAFF_ONLY = "STAFF_ONLY"
    # childcare operations: classes, timetable, closures, carers on duty
    NATIONAL_CLASS_RULES = "NATIONAL_CLASS_RULES"
    INVALID_CLASS = "INVALID_CLASS"
    CLASS_NAME_TAKEN = "CLASS_NAME_TAKEN"
    CLASS_SIZE_EXCEEDED = "CLASS_SIZE_EXCEEDED"
    INVALID_TIMETABLE_ENTRY = "INVALID_TIMETABLE_ENTRY"
    DUPLICATE_TIMETABLE_ENTRY = "DUPLICATE_TIMETABLE_ENTRY"
    TIMETABLE_SESSIONS_BOOKED = "TIMETABLE_SESSIONS_BOOKED"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    SESSION_ENDED = "SESSION_ENDED"
    CARER_NOT_STAFF = "CARER_NOT_STAFF"
    CARER_ALREADY_ON_DUTY = "CARER_ALREADY_ON_DUTY"
    CARER_NOT_ON_DUTY = "CARER_NOT_ON_DUTY"
    CARER_RATIO_EXCEEDED = "CARER_RATIO_EXCEEDED"
    # elder care
    EMPTY_BATCH = "EMPTY_BATCH"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    NO_VALID_READINGS = "NO_VALID_READINGS"
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    KIND_NOT_MEASURED_BY_DEVICE = "KIND_NOT_MEASURED_BY_DEVICE"
    DEVICE_SERIAL_MISSING = "DEVICE_SERIAL_MISSING"
    DEVICE_SERIAL_GIVEN_TWICE = "DEVICE_SERIAL_GIVEN_TWICE"
    UNKNOWN_KIND = "UNKNOWN_KIND"
    INVALID_TIME = "INVALID_TIME"
    IN_THE_FUTURE = "IN_THE_FUTURE"
    IMPOSSIBLE_VALUE = "IMPOSSIBLE_VALUE"
    ALREADY_ACKNOWLEDGED = "ALREADY_ACKNOWLEDGED"
    ALREADY_RESOLVED = "ALREADY_RESOLVED"
    NOTE_REQUIRED = "NOTE_REQUIRED"
    UNKNOWN_VISIT_KIND = "UNKNOWN_VISIT_KIND"
    # elder care: elders, consent, family links
    COMMUNITY_REQUIRED = "COMMUNITY_REQUIRED"
    ELDER_UNDER_SIXTY = "ELDER_UNDER_SIXTY"
    INVALID_ADDRESS = "INVALID_ADDRESS"
    INVALID_CONTACT = "INVALID_CONTACT"
    CONSENT_REFERENCE_REQUIRED = "CONSENT_REFERENCE_REQUIRED"
    GUARDIAN_NAME_REQUIRED = "GUARDIAN_NAME_REQUIRED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    CONSENT_STANDS = "CONSENT_STANDS"
    INVALID_RELATIONSHIP = "INVALID_RELATIONSHIP"
    ALREADY_FOLLOWING = "ALREADY_FOLLOWING"
    # facilities
    INVALID_COORDINATES = "INVALID_COORDINATES"
    OUTSIDE_CHINA = "OUTSIDE_CHINA"
    INVALID_HOURS = "INVALID_HOURS"
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    FACILITY_CLOSED = "FACILITY_CLOSED"
    INVALID_DATES = "INVALID_DATES"
    # elder care: devices, thresholds, the care policy
    INVALID_DEVICE_SERIAL = "INVALID_DEVICE_SERIAL"
    DEVICE_SERIAL_TAKEN = "DEVICE_SERIAL_TAKEN"
    DEVICE_NOT_ASSIGNED = "DEVICE_NOT_ASSIGNED"
    DEVICE_ALREADY_ASSIGNED = "DEVICE_ALREADY_ASSIGNED"
    DEVICE_RETIRED = "DEVICE_RETIRED"
    ELDER_NOT_IN_DEVICE_COMMUNITY = "ELDER_NOT_IN_DEVICE_COMMUNITY"
    NOT_A_VITAL = "NOT_A_VITAL"
    THRESHOLD_EMPTY = "THRESHOLD_EMPTY"
    THRESHOLD_OUT_OF_RANGE = "THRESHOLD_OUT_OF_RANGE"
    THRESHOLDS_NOT_ORDERED = "THRESHOLDS_NOT_ORDERED"
    THRESHOLD_NOT_SET = "THRESHOLD_NOT_SET"
    POLICY_INACTIVITY_HOURS = "POLICY_INACTIVITY_HOURS"
    POLICY_DAY_ORDER = "POLICY_DAY_ORDER"
    INVALID_TIME_OF_DAY = "INVALID_TIME_OF_DAY"
    POLICY_OFFLINE_MINUTES = "POLICY_OFFLINE_MINUTES"
    POLICY_ESCALATION_ORDER = "POLICY_ESCALATION_ORDER"
    # community affairs: compounds, organisations, residences
    RESIDENTS_COMMITTEE_EXISTS = "RESIDENTS_COMMITTEE_EXISTS"
    ORGANISATION_KIND_TAKEN = "ORGANISATION_KIND_TAKEN"
    ORGANISATION_COMPOUNDS = "ORGANISATION_COMPOUNDS"
    COMPOUND_NOT_IN_COMMUNITY = "COMPOUND_NOT_IN_COMMUNITY"
    UNIT_NOT_IN_COMMUNITY = "UNIT_NOT_IN_COMMUNITY"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    NOT_MEMBER = "NOT_MEMBER"
    ALREADY_RESIDENT = "ALREADY_RESIDENT"
    TOO_MANY_UNITS = "TOO_MANY_UNITS"
    # community affairs: cases (有事一键找)
    NO_ORGANISATION = "NO_ORGANISATION"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    CATEGORY_RETIRED = "CATEGORY_RETIRED"
    INVALID_DESCRIPTION = "INVALID_DESCRIPTION"
    TOO_MANY_PHOTOS = "TOO_MANY_PHOTOS"
    PHOTO_TOO_LARGE = "PHOTO_TOO_LARGE"
    PHOTO_TYPE_NOT_ALLOWED = "PHOTO_TYPE_NOT_ALLOWED"
    COMPOUND_REQUIRED = "COMPOUND_REQUIRED"
    NOT_YOUR_COMPOUND = "NOT_YOUR_COMPOUND"
    CASE_NOT_OPEN = "CASE_NOT_OPEN"
    CASE_NOT_ACCEPTED = "CASE_NOT_ACCEPTED"
    CASE_NOT_RESOLVED = "CASE_NOT_RESOLVED"
    REOPEN_WINDOW_PASSED = "REOPEN_WINDOW_PASSED"
    INVALID_RATING = "INVALID_RATING"
    INVALID_COMMENT = "INVALID_COMMENT"
    INVALID_SLA = "INVALID_SLA"
    INVALID_CATEGORY = "INVALID_CATEGORY"
    # community affairs: notices (通知一键达)
    NOTICE_TARGET = "NOTICE_TARGET"
    INVALID_TITLE = "INVALID_TITLE"
    INVALID_BODY = "INVALID_BODY"
    NO_HOUSEHOLDS = "NO_HOUSEHOLDS"
    ACKNOWLEDGEMENT_NOT_REQUIRED = "ACKNOWLEDGEMENT_NOT_REQUIRED"


class DomainFailure(Exception):
    """A rule refused: `code` says which (for programs), `message` why (for people, in Chinese).
    Answered as RuleViolation unless a subclass has a result type of its own. A subclass with
    `codes` carries only those."""

    codes: tuple[ErrorCode, ...] = ()
    # True: what the work did before refusing is committed all the same (e.g. a wrong PIN counted).
    keep_changes = False

    def __init__(self, code: ErrorCode, message: str, **details) -> None:
        code = ErrorCode(code)
        if self.codes and code not in self.codes:
            raise ValueError(f"{type(self).__name__} does not carry {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class NotFound(DomainFailure):
    """The object named does not exist, or is not the viewer's to see (never told apart)."""

    codes = (ErrorCode.NOT_FOUND,)

    def __init__(self, what: str) -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"未找到{what}")


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint the database enforced (asyncpg reports it; SQLAlchemy wraps it)."""
    cause = getattr(error.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)


def failure_for(error: IntegrityError, meanings: Mapping[str, Callable[[], DomainFailure]]) -> DomainFailure:
    """The domain failure a violated constraint means: the database decided (no check-then-insert),
    this names its answer. A constraint `meanings` does not name is a fault, raised as it came."""
    meaning = meanings.get(constraint_name(error) or "")
    if meaning is None:
        raise error
    return meaning()


@asynccontextmanager
async def savepoint(
    *, session: AsyncSession, meanings: Mapping[str, Callable[[], DomainFailure]]
) -> AsyncIterator[None]:
    """Write in a savepoint: a constraint `meanings` names becomes its DomainFailure, any other is
    raised as it came. Entering flushes what is pending outside the savepoint (SQLAlchemy does), so
    only what the block writes is rolled back to it; a constraint refused by that flush is answered
    all the same, but leaves the session's transaction to be rolled back."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as error:
        raise failure_for(error, meanings) from None


async def flush_or_fail(
    *, session: AsyncSession, meanings: Mapping[str, Callable[[], DomainFailure]]
) -> None:
    """Flush what is pending, a refused constraint answered as `savepoint` answers it. Being pending, it
    is flushed on entering, before the savepoint: a refusal leaves the transaction to be rolled back
    (as the request's failure does), not the session usable."""
    async with savepoint(session=session, meanings=meanings):
        await session.flush()
