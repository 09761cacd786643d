"""天空创客厅 reservations: availability, the booking rules, check-in, cancelling, no-shows.

The database decides what must never happen twice: exclusion constraints stop two active
reservations of one resource (or one person) from overlapping; a row lock on the person
serialises one person's bookings, so daily caps, suspensions and idempotency keys hold even
when the same person's requests arrive at once."""

from resolvers.makerspace.booking import (
    ReservationRequest,
    check_booking_rules,
    create_reservation,
)
from resolvers.makerspace.calendar import (
    AvailabilityFilter,
    availability,
    slot_starts,
)
from resolvers.makerspace.queries import (
    my_reservations,
    space_day,
)
from resolvers.makerspace.reservation import (
    cancel,
    check_in,
    check_in_code,
)
from resolvers.makerspace.spaces import (
    days_window,
    get_space_or_error,
    is_space_staff,
    list_spaces,
)

__all__ = [
    "AvailabilityFilter",
    "ReservationRequest",
    "availability",
    "cancel",
    "check_booking_rules",
    "check_in",
    "check_in_code",
    "create_reservation",
    "days_window",
    "get_space_or_error",
    "is_space_staff",
    "list_spaces",
    "my_reservations",
    "slot_starts",
    "space_day",
]
