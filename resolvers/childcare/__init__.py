"""托育 bookings: eligibility by age, capacity exact under concurrency, the waitlist, PIN pick-up.

A booking takes its session's row lock, so the confirmed count and the waitlist order change one
booking at a time; CHECK constraints (confirmed ≤ capacity ≤ class size) and an exclusion
constraint (one child, no overlapping bookings) make the bad states impossible anyway."""

from resolvers.childcare.base import (
    PLACE_STATUSES,
    SHANGHAI,
    UNDER_MONTHS,
    PinRejected,
    age_in_months,
    eligible,
    is_childcare_staff,
    pin_hasher,
)
from resolvers.childcare.bookings import (
    BookingRequest,
    booking_for,
    cancel_booking,
    check_in_child,
    check_out_child,
    create_booking,
    promote_from_waitlist,
    roster,
    session_with_center,
    unlock_check_out,
    waitlist_positions,
)
from resolvers.childcare.children import (
    add_pickup_person,
    bookings_by_child_ids,
    children_of,
    get_children_by_ids,
    guardian_child_or_error,
    pickup_persons_by_child_ids,
    register_child,
)
from resolvers.childcare.sessions import (
    GENERATE_SQL,
    classes_by_center_ids,
    generate_sessions,
    get_center_or_error,
    get_classes_by_ids,
    get_sessions_by_ids,
    list_centers,
    sessions_between,
    waitlisted_counts,
)

__all__ = [
    "GENERATE_SQL",
    "PLACE_STATUSES",
    "SHANGHAI",
    "UNDER_MONTHS",
    "BookingRequest",
    "PinRejected",
    "add_pickup_person",
    "age_in_months",
    "booking_for",
    "bookings_by_child_ids",
    "cancel_booking",
    "check_in_child",
    "check_out_child",
    "children_of",
    "classes_by_center_ids",
    "create_booking",
    "eligible",
    "generate_sessions",
    "get_center_or_error",
    "get_children_by_ids",
    "get_classes_by_ids",
    "get_sessions_by_ids",
    "guardian_child_or_error",
    "is_childcare_staff",
    "list_centers",
    "pickup_persons_by_child_ids",
    "pin_hasher",
    "promote_from_waitlist",
    "register_child",
    "roster",
    "session_with_center",
    "sessions_between",
    "unlock_check_out",
    "waitlist_positions",
    "waitlisted_counts",
]
