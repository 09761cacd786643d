"""天空创客厅 reservations: availability, the booking rules, check-in, cancelling, no-shows.

The database decides what must never happen twice: exclusion constraints stop two active
reservations of one resource (or one person) from overlapping; a row lock on the person
serialises one person's bookings, so daily caps, suspensions and idempotency keys hold even
when the same person's requests arrive at once."""

from resolvers.makerspace.base import SHANGHAI
from resolvers.makerspace.booking import (
    CONSTRAINT_FAILURES,
    ReservationRequest,
    active_suspension,
    check_booking_rules,
    constraint_name,
    create_reservation,
    desk_minutes_on,
    duration_text,
    lock_person,
)
from resolvers.makerspace.calendar import (
    ResourceDay,
    availability,
    local_day_bounds,
    slot_starts,
    still_bookable,
)
from resolvers.makerspace.jobs import complete_finished, release_no_shows, suspend_if_due
from resolvers.makerspace.queries import my_reservations, space_day
from resolvers.makerspace.reservation import (
    cancel,
    check_in,
    check_in_code,
    code_is_valid,
    get_reservation_for,
    reservations_for_by_ids,
)
from resolvers.makerspace.spaces import (
    get_resources_by_ids,
    get_space_or_error,
    get_spaces_by_ids,
    is_space_staff,
    list_spaces,
    resources_by_space_ids,
)

__all__ = [
    "CONSTRAINT_FAILURES",
    "SHANGHAI",
    "ReservationRequest",
    "ResourceDay",
    "active_suspension",
    "availability",
    "cancel",
    "check_booking_rules",
    "check_in",
    "check_in_code",
    "code_is_valid",
    "complete_finished",
    "constraint_name",
    "create_reservation",
    "desk_minutes_on",
    "duration_text",
    "get_reservation_for",
    "get_resources_by_ids",
    "get_space_or_error",
    "get_spaces_by_ids",
    "is_space_staff",
    "list_spaces",
    "local_day_bounds",
    "lock_person",
    "my_reservations",
    "release_no_shows",
    "reservations_for_by_ids",
    "resources_by_space_ids",
    "slot_starts",
    "space_day",
    "still_bookable",
    "suspend_if_due",
]
