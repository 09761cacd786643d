"""Per-request DataLoaders, named by the key they load by (`<Model>By<Key>Loader`).

Each wraps a batch function of the domain, `fn(session=…, ids=[…]) -> [one result per id]`, so a
list of N objects asks for its references in one statement, not N.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from resolvers import childcare, eldercare, facilities, makerspace, people

LoaderFactory = Callable[..., DataLoader]


def batch(
    fn: Callable[..., Awaitable[Sequence[Any]]], name: str, *, per_viewer: bool = False
) -> LoaderFactory:
    """`per_viewer`: what `fn` answers depends on who asks, `fn(session=…, viewer=…, ids=[…])`."""

    def factory(*, session: AsyncSession, viewer=None) -> DataLoader:
        who = {"viewer": viewer} if per_viewer else {}

        async def load(ids: list[int]):
            return await fn(session=session, ids=ids, **who)

        return DataLoader(load_fn=load)

    factory.__name__ = name
    return factory


community_by_id_loader = batch(people.get_communities_by_ids, "CommunityByIdLoader")
person_by_id_loader = batch(people.get_persons_by_ids, "PersonByIdLoader")

facility_by_id_loader = batch(facilities.get_facilities_by_ids, "FacilityByIdLoader")
services_by_facility_id_loader = batch(facilities.services_by_facility_ids, "ServicesByFacilityIdLoader")
opening_hours_by_facility_id_loader = batch(
    facilities.opening_hours_by_facility_ids, "OpeningHoursByFacilityIdLoader"
)

maker_space_by_id_loader = batch(makerspace.get_spaces_by_ids, "MakerSpaceByIdLoader")
resource_by_id_loader = batch(makerspace.get_resources_by_ids, "ResourceByIdLoader")
resources_by_space_id_loader = batch(makerspace.resources_by_space_ids, "ResourcesBySpaceIdLoader")

childcare_classes_by_center_id_loader = batch(
    childcare.classes_by_center_ids, "ChildcareClassesByCenterIdLoader"
)
childcare_center_by_id_loader = batch(childcare.get_centers_by_ids, "ChildcareCenterByIdLoader")
childcare_class_by_id_loader = batch(childcare.get_classes_by_ids, "ChildcareClassByIdLoader")
childcare_session_by_id_loader = batch(childcare.get_sessions_by_ids, "ChildcareSessionByIdLoader")
waitlisted_count_by_session_id_loader = batch(childcare.waitlisted_counts, "WaitlistedCountBySessionIdLoader")
child_by_id_loader = batch(childcare.get_children_by_ids, "ChildByIdLoader")
pickup_persons_by_child_id_loader = batch(
    childcare.pickup_persons_by_child_ids, "PickupPersonsByChildIdLoader"
)
bookings_by_child_id_loader = batch(childcare.bookings_by_child_ids, "BookingsByChildIdLoader")
waitlist_position_by_booking_id_loader = batch(
    childcare.waitlist_positions, "WaitlistPositionByBookingIdLoader"
)

elder_by_id_loader = batch(eldercare.get_elders_by_ids, "ElderByIdLoader")
devices_by_elder_id_loader = batch(eldercare.devices_by_elder_ids, "DevicesByElderIdLoader")
alerts_by_elder_id_loader = batch(eldercare.alerts_by_elder_ids, "AlertsByElderIdLoader")
latest_vitals_by_elder_id_loader = batch(eldercare.latest_vitals_by_elder_ids, "LatestVitalsByElderIdLoader")
visits_by_elder_id_loader = batch(eldercare.visits_by_elder_ids, "VisitsByElderIdLoader")

# node(id:) asked many times in one request: one statement per type, with the viewer's permission.
visible_elder_by_id_loader = batch(eldercare.visible_elders_by_ids, "VisibleElderByIdLoader", per_viewer=True)
visible_alert_by_id_loader = batch(eldercare.visible_alerts_by_ids, "VisibleAlertByIdLoader", per_viewer=True)
visible_visit_by_id_loader = batch(eldercare.visible_visits_by_ids, "VisibleVisitByIdLoader", per_viewer=True)
visible_reservation_by_id_loader = batch(
    makerspace.reservations_for_by_ids, "VisibleReservationByIdLoader", per_viewer=True
)
guardian_child_by_id_loader = batch(
    childcare.guardian_children_by_ids, "GuardianChildByIdLoader", per_viewer=True
)
visible_booking_by_id_loader = batch(
    childcare.bookings_for_by_ids, "VisibleBookingByIdLoader", per_viewer=True
)


def open_status_by_facility_id_and_time_loader(*, session: AsyncSession, viewer=None) -> DataLoader:
    """Keys are (facility id, instant); one query per distinct instant in the batch."""

    async def load(keys: list[tuple[int, datetime]]):
        by_time: dict[datetime, list[int]] = defaultdict(list)
        for facility_id, at in keys:
            by_time[at].append(facility_id)
        status: dict[tuple[int, datetime], bool] = {}
        for at, ids in by_time.items():
            for facility_id, is_open in zip(
                ids, await facilities.open_status(session=session, ids=ids, at=at), strict=True
            ):
                status[(facility_id, at)] = is_open
        return [status[key] for key in keys]

    return DataLoader(load_fn=load)
