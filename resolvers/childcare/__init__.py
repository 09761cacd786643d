"""托育 bookings: eligibility by age, capacity exact under concurrency, the waitlist, PIN pick-up.

A booking takes its session's row lock, so the confirmed count and the waitlist order change one
booking at a time; CHECK constraints (confirmed ≤ capacity ≤ class size) and an exclusion
constraint (one child, no overlapping bookings) make the bad states impossible anyway."""

from resolvers.childcare.access import visible_child_or_error
from resolvers.childcare.base import (
    age_in_months,
    eligible,
    is_childcare_staff,
    pin_hasher,
)
from resolvers.childcare.bookings import (
    BookingRequest,
    cancel_booking,
    check_in_child,
    check_out_child,
    create_booking,
    roster,
    session_with_center,
    unlock_check_out,
)
from resolvers.childcare.children import (
    add_pickup_person,
    children_of,
    register_child,
)
from resolvers.childcare.operations import (
    ClassInput,
    EntryInput,
    SessionCarers,
    assign_carer,
    cancel_session,
    create_class,
    remove_carer,
    set_timetable,
    update_class,
)
from resolvers.childcare.sessions import (
    generate_sessions,
    get_center_or_error,
    list_centers,
    sessions_between,
)

__all__ = [
    "BookingRequest",
    "ClassInput",
    "EntryInput",
    "SessionCarers",
    "add_pickup_person",
    "age_in_months",
    "assign_carer",
    "cancel_booking",
    "cancel_session",
    "check_in_child",
    "check_out_child",
    "children_of",
    "create_booking",
    "create_class",
    "eligible",
    "generate_sessions",
    "get_center_or_error",
    "is_childcare_staff",
    "list_centers",
    "pin_hasher",
    "register_child",
    "remove_carer",
    "roster",
    "session_with_center",
    "sessions_between",
    "set_timetable",
    "unlock_check_out",
    "update_class",
    "visible_child_or_error",
]
