"""Childcare's per-request DataLoaders (see resolvers.batching.batch)."""

from resolvers.batching import batch
from resolvers.childcare.access import (
    carers_by_session_ids,
    pickup_phones_whole_by_ids,
    visible_bookings_by_child_ids,
    visible_children_by_ids,
)
from resolvers.childcare.bookings import bookings_for_by_ids, waitlist_positions
from resolvers.childcare.children import get_children_by_ids, pickup_persons_by_child_ids
from resolvers.childcare.sessions import (
    classes_by_center_ids,
    get_centers_by_ids,
    get_classes_by_ids,
    get_sessions_by_ids,
    timetables_by_class_ids,
    waitlisted_counts,
)

childcare_classes_by_center_id_loader = batch(classes_by_center_ids, "ChildcareClassesByCenterIdLoader")
childcare_timetable_by_class_id_loader = batch(timetables_by_class_ids, "ChildcareTimetableByClassIdLoader")
childcare_center_by_id_loader = batch(get_centers_by_ids, "ChildcareCenterByIdLoader")
childcare_class_by_id_loader = batch(get_classes_by_ids, "ChildcareClassByIdLoader")
childcare_session_by_id_loader = batch(get_sessions_by_ids, "ChildcareSessionByIdLoader")
waitlisted_count_by_session_id_loader = batch(waitlisted_counts, "WaitlistedCountBySessionIdLoader")
child_by_id_loader = batch(get_children_by_ids, "ChildByIdLoader")
pickup_persons_by_child_id_loader = batch(pickup_persons_by_child_ids, "PickupPersonsByChildIdLoader")
waitlist_position_by_booking_id_loader = batch(waitlist_positions, "WaitlistPositionByBookingIdLoader")
# What depends on who asks: one statement for many, with the viewer's permission.
visible_child_by_id_loader = batch(visible_children_by_ids, "VisibleChildByIdLoader", per_viewer=True)
pickup_phones_whole_by_child_id_loader = batch(
    pickup_phones_whole_by_ids, "PickupPhonesWholeByChildIdLoader", per_viewer=True
)
visible_bookings_by_child_id_loader = batch(
    visible_bookings_by_child_ids, "VisibleBookingsByChildIdLoader", per_viewer=True
)
visible_booking_by_id_loader = batch(bookings_for_by_ids, "VisibleBookingByIdLoader", per_viewer=True)
carers_by_session_id_loader = batch(carers_by_session_ids, "CarersBySessionIdLoader", per_viewer=True)
