"""Every root field costs the same number of SQL statements whatever the size of its result.

One table, one case per root field (and one per Node type for `node(id:)`): a case builds its data
twice, small and large, runs the same operation on both and demands the same statement count,
selecting the nested fields a longer list could multiply (services, resources, holders, classes,
elders, communities …). A root field without a case fails `test_every_root_field_has_a_case`.

Mutations and `node(id:)` return one object: their two runs act on two targets whose nested lists
differ in length (a space with 2 or 12 resources, an elder with 2 or 12 alerts …).
"""

import asyncio
import itertools
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import graphql
import pyotp
import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from websockets.asyncio.client import connect

from models.childcare import (
    Child,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    PickupPerson,
)
from models.eldercare import LOINC, CareAlert, CareAlertEvent, CareVisit, Device, Elder, Reading
from models.facilities import (
    Facility,
    FacilityCategory,
    FacilityService,
    HoursException,
    LifeCircleRequirement,
    OpeningPeriod,
    Service,
)
from models.makerspace import MakerSpace, Reservation, Resource, ResourceFeature
from models.people import Community, Person, Role
from resolvers import makerspace as makerspace_service
from resolvers import people as people_service
from resolvers.childcare import pin_hasher
from schema import build_schema
from schema.common import encode_global_id
from seeds.facilities import point
from server.auth import TokenService
from tests.conftest import make_settings, running_server

SHANGHAI = ZoneInfo("Asia/Shanghai")
NANMU = "南睦未来社区"
NANMU_WGS84 = {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"}
PASSWORD = "perf-test-password"
# How long a WebSocket case waits after its last message, so statements a subscription makes
# between two deliveries (the feed's next read) land inside the count at both sizes alike.
SETTLE_SECONDS = 0.5


# ── The data each case builds ────────────────────────────────────────────────


class World:
    """Builds rows inside the test's transaction (rolled back after the test)."""

    def __init__(self, session, settings, clock, tokens) -> None:
        self.session = session
        self.token_service = TokenService(settings)
        self.clock = clock
        self.tokens = tokens
        self._unique = itertools.count(1)
        self._staff: Person | None = None
        self._pin_hashes: dict[str, str] = {}

    # time

    @property
    def now(self) -> datetime:
        return self.clock.now

    @property
    def today(self) -> date:
        return self.now.astimezone(SHANGHAI).date()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), SHANGHAI)

    def unique(self) -> int:
        return next(self._unique)

    async def commit(self) -> None:
        await self.session.commit()

    # people

    async def community_id(self, name: str = NANMU) -> int:
        return await self.session.scalar(select(Community.id).where(Community.name == name))

    async def new_community(self) -> int:
        community = Community(name=f"性能测试社区{self.unique():03d}", subdistrict="五常街道")
        self.session.add(community)
        await self.session.flush()
        return community.id

    async def person(
        self, *roles: Role, community: str | None = NANMU, password: str | None = None
    ) -> tuple[Person, str]:
        phone = f"1990{self.unique():07d}"
        person = None
        for index, role in enumerate(roles or (Role.RESIDENT,)):
            person = await people_service.add_user(
                session=self.session,
                phone=phone,
                name=f"性能{phone[-4:]}",
                role=role,
                community_name=community,
                password=password if index == 0 else None,
            )
        await self.commit()
        return person, self.token_service.issue(person)[0]

    async def staff_id(self) -> int:
        if self._staff is None:
            self._staff, _ = await self.person(Role.CARE_STAFF)
        return self._staff.id

    # facilities

    async def service_ids(self, count: int) -> list[int]:
        return list(await self.session.scalars(select(Service.id).order_by(Service.id).limit(count)))

    async def facility(self, lat: float, lng: float, services: int = 2, periods: int = 7) -> Facility:
        facility = Facility(
            name=f"性能测试设施{self.unique():03d}",
            category="SELF_SERVICE_KIOSK",
            address="性能测试路1号",
            location=point(lat, lng),
        )
        self.session.add(facility)
        await self.session.flush()
        self.session.add_all(
            FacilityService(facility_id=facility.id, service_id=service_id)
            for service_id in await self.service_ids(services)
        )
        self.session.add_all(
            OpeningPeriod(
                facility_id=facility.id,
                weekday=1 + index % 7,
                open_minute=60 * (index // 7),
                close_minute=60 * (index // 7) + 30,
            )
            for index in range(periods)
        )
        self.session.add(HoursException(facility_id=facility.id, day=self.today, open_minute=None))
        await self.session.flush()
        return facility

    # maker spaces

    async def space(self, resources: int, community: str = NANMU) -> tuple[MakerSpace, list[Resource]]:
        space = MakerSpace(
            name=f"性能测试创客厅{self.unique():03d}",
            community_id=await self.community_id(community),
            check_in_secret=pyotp.random_base32(),
        )
        self.session.add(space)
        await self.session.flush()
        made = [
            Resource(
                space_id=space.id,
                name=f"工位 P{index:02d}",
                kind="DESK",
                capacity=1,
                features=["POWER", "WINDOW"],
                position=index,
            )
            for index in range(resources)
        ]
        self.session.add_all(made)
        await self.session.flush()
        return space, made

    async def reservation(
        self, resource: Resource, person: Person, start: datetime, minutes: int = 60
    ) -> Reservation:
        reservation = Reservation(
            resource_id=resource.id,
            space_id=resource.space_id,
            person_id=person.id,
            period=Range(start, start + timedelta(minutes=minutes), bounds="[)"),
            status="CONFIRMED",
            party_size=1,
        )
        self.session.add(reservation)
        await self.session.flush()
        return reservation

    # childcare

    async def center(self, classes: int = 1, community: str = NANMU) -> tuple[ChildcareCenter, list]:
        center = ChildcareCenter(
            name=f"性能测试托育中心{self.unique():03d}", community_id=await self.community_id(community)
        )
        self.session.add(center)
        await self.session.flush()
        made = [
            ChildcareClass(
                center_id=center.id,
                name=f"混龄{index:02d}班",
                kind="MIXED",
                min_age_months=18,
                max_age_months=36,
                capacity=18,
                carer_ratio=6,
            )
            for index in range(classes)
        ]
        self.session.add_all(made)
        await self.session.flush()
        return center, made

    async def slot(
        self, klass: ChildcareClass, day: date, capacity: int = 10, confirmed: int = 0
    ) -> ChildcareSession:
        slot = ChildcareSession(
            class_id=klass.id,
            class_capacity=klass.capacity,
            care_type="FULL_DAY",
            period=Range(self.at(day, 8), self.at(day, 17), bounds="[)"),
            day=day,
            capacity=capacity,
            confirmed_count=confirmed,
        )
        self.session.add(slot)
        await self.session.flush()
        return slot

    async def slots(self, klass: ChildcareClass, count: int, first_day: int = 2) -> list[ChildcareSession]:
        return [await self.slot(klass, self.today + timedelta(days=first_day + i)) for i in range(count)]

    async def child(self, guardian: Person, pickups: int = 0, pin: str = "000000") -> Child:
        child = Child(
            name=f"宝宝{self.unique():03d}",
            birth_date=self.today - timedelta(days=730),  # two years old: a mixed class takes them
            consent_given_at=self.now,
            consent_given_by=guardian.id,
        )
        self.session.add(child)
        await self.session.flush()
        self.session.add(ChildGuardian(child_id=child.id, person_id=guardian.id))
        for _ in range(pickups):
            await self.pickup(child, guardian, pin)
        await self.session.flush()
        return child

    async def pickup(self, child: Child, guardian: Person, pin: str) -> PickupPerson:
        if pin not in self._pin_hashes:
            self._pin_hashes[pin] = pin_hasher.hash(pin)
        person = PickupPerson(
            child_id=child.id,
            name=f"接送人{self.unique():03d}",
            phone=f"1350{self.unique():07d}",
            pin_hash=self._pin_hashes[pin],
            added_by=guardian.id,
        )
        self.session.add(person)
        await self.session.flush()
        return person

    async def booking(
        self, child: Child, slot: ChildcareSession, guardian: Person, status: str = "CONFIRMED", **extra
    ) -> ChildcareBooking:
        waitlist = None
        if status == "WAITLISTED":
            slot.waitlist_sequence += 1
            waitlist = slot.waitlist_sequence
        booking = ChildcareBooking(
            session_id=slot.id,
            child_id=child.id,
            booked_by=guardian.id,
            period=slot.period,
            status=status,
            waitlist_sequence=waitlist,
            **extra,
        )
        self.session.add(booking)
        await self.session.flush()
        return booking

    # elder care

    async def elder(
        self,
        community_id: int,
        devices: int = 1,
        alerts: int = 0,
        visits: int = 0,
        vitals: int = 0,
        device_seen: datetime | None = None,
    ) -> tuple[Elder, list[Device], list[CareAlert]]:
        elder = Elder(name=f"老人{self.unique():03d}", birth_date=date(1940, 3, 1), community_id=community_id)
        self.session.add(elder)
        await self.session.flush()
        made = [
            Device(
                serial=f"PERF-{self.unique():05d}",
                kind="WRISTBAND",
                elder_id=elder.id,
                last_seen_at=device_seen,
            )
            for _ in range(devices)
        ]
        self.session.add_all(made)
        await self.session.flush()
        raised = [
            CareAlert(
                elder_id=elder.id,
                community_id=community_id,
                kind="SOS",
                dedup_key=f"perf:{elder.id}:{index}",
                severity="CRITICAL",
                status="OPEN",
                summary="紧急呼叫（SOS）",
                opened_at=self.now - timedelta(minutes=index + 1),
                last_seen_at=self.now - timedelta(minutes=index + 1),
            )
            for index in range(alerts)
        ]
        self.session.add_all(raised)
        staff_id = await self.staff_id() if visits else None
        self.session.add_all(
            CareVisit(
                elder_id=elder.id,
                staff_id=staff_id,
                kind="VISIT",
                note=f"上门探访 {index}",
                visited_at=self.now - timedelta(hours=index + 1),
            )
            for index in range(visits)
        )
        kinds = list(LOINC)
        self.session.add_all(
            Reading(
                device_id=made[0].id,
                elder_id=elder.id,
                kind=kinds[index % len(kinds)].value,
                value=36.6 if kinds[index % len(kinds)].value == "BODY_TEMPERATURE" else 80,
                loinc=LOINC[kinds[index % len(kinds)]],
                measured_at=self.now - timedelta(minutes=index + 1),
            )
            for index in range(vitals)
        )
        await self.session.flush()
        return elder, made, raised


# ── Cases ────────────────────────────────────────────────────────────────────


@dataclass
class Run:
    variables: dict = field(default_factory=dict)
    token: str | None = None
    messages: int = 0  # WebSocket cases: how many `next` messages to wait for


@dataclass(frozen=True)
class Case:
    id: str  # "Query.elders", or "Query.node[Elder]" for one of several cases of a field
    query: str
    setup: Callable[[World, int], Awaitable[Run]]
    # How many items the answer holds (to prove the two sizes were reached); None for one object.
    size: Callable[[dict], int] | None
    sizes: tuple[int, int] = (2, 12)
    transport: str = "http"

    @property
    def field(self) -> str:
        return self.id.split("[")[0]


def gid(type_name: str, pk: int) -> str:
    return encode_global_id(type_name, pk)


# Query ----------------------------------------------------------------------

ME = "{ me { id name phone roles community { id name subdistrict } } }"


async def me(w: World, n: int) -> Run:
    _, token = await w.person(*list(Role)[:n])
    return Run(token=token)


COMMUNITIES = """
query($first: Int!) { communities(first: $first) {
  edges { cursor node { id name subdistrict } } pageInfo { hasNextPage endCursor } } }
"""


async def communities(w: World, n: int) -> Run:
    for _ in range(n):
        await w.new_community()
    await w.commit()
    return Run({"first": n})


NEARBY = """
query($near: GeoPointInput!, $at: DateTime!) {
  nearbyFacilities(near: $near, withinMinutes: 5, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor distanceMeters walkingMinutes
      node {
        id name category address phone accessibility
        location(system: WGS84) { lat lng }
        gcj: location { lat lng }
        isOpen
        openAtNoon: isOpen(at: $at)
        services { code name }
        openingHours { weekday opens closes overnight }
      }
    }
  }
}
"""


async def nearby_facilities(w: World, n: int) -> Run:
    # A spot far from the seeded map, one per size, with n facilities a few metres apart.
    lat, lng = 30.05 + 0.01 * w.unique(), 120.60
    for index in range(n):
        await w.facility(lat + 0.0001 * index, lng)
    await w.commit()
    return Run({"near": {"lat": lat, "lng": lng, "system": "WGS84"}, "at": w.at(w.today, 12).isoformat()})


LIFE_CIRCLE = """
query($near: GeoPointInput!) {
  lifeCircle(near: $near, pace: ELDERLY) {
    coverage
    tiers { minutes requirements { category label satisfied
      nearest { cursor distanceMeters walkingMinutes
        node { id name isOpen services { code name } openingHours { weekday opens closes } } } } }
  }
}
"""


async def life_circle(w: World, n: int) -> Run:
    tier = 100 + w.unique()
    w.session.add_all(
        LifeCircleRequirement(
            tier_minutes=tier, category=category.value, label=f"性能要求{index}", position=index
        )
        for index, category in enumerate(list(FacilityCategory)[:n])
    )
    await w.commit()
    return Run({"near": NANMU_WGS84})


AVAILABILITY = """
query($space: ID!, $date: Date!) {
  resourceAvailability(spaceId: $space, date: $date) {
    resource { id name kind capacity features } freeSlots { start end }
  }
}
"""


async def resource_availability(w: World, n: int) -> Run:
    space, resources = await w.space(n)
    holder, _ = await w.person()
    tomorrow = w.today + timedelta(days=1)
    for index, resource in enumerate(resources):
        await w.reservation(resource, holder, w.at(tomorrow, 9) + timedelta(minutes=30 * index), minutes=30)
    await w.commit()
    return Run({"space": gid("MakerSpace", space.id), "date": tomorrow.isoformat()})


MY_RESERVATIONS = """
{ myReservations(first: 50) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id start end status partySize createdAt checkedInAt
    resource { id name kind capacity features }
    space { id name opensAt rules { slotMinutes } resources { id name } }
    holder { name } } } } }
"""


async def my_reservations(w: World, n: int) -> Run:
    person, token = await w.person()
    tomorrow = w.today + timedelta(days=1)
    for index in range(n):  # each in a space of its own, so resources and spaces differ too
        _, resources = await w.space(2)
        start = w.at(tomorrow + timedelta(days=index // 8), 9 + index % 8)
        await w.reservation(resources[0], person, start)
    await w.commit()
    return Run(token=token)


MAKER_SPACES = """
{ makerSpaces {
  id name opensAt closesAt
  rules { slotMinutes bookingHorizonDays deskMaxMinutes roomMaxMinutes noShowLimit }
  resources { id name kind capacity features }
  desks: resources(kind: DESK) { id name } } }
"""


async def maker_spaces(w: World, n: int) -> Run:
    for _ in range(n):
        await w.space(2)
    await w.commit()
    return Run()


CHECK_IN_CODE = "query($space: ID!) { makerSpaceCheckInCode(spaceId: $space) { code validUntil } }"


async def maker_space_check_in_code(w: World, n: int) -> Run:
    space, _ = await w.space(n)
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    return Run({"space": gid("MakerSpace", space.id)}, token)


SPACE_DAY = """
query($space: ID!, $date: Date!) {
  makerSpaceReservations(spaceId: $space, date: $date) {
    id start end status partySize createdAt
    resource { id name kind features }
    space { id name resources { id name } }
    holder { name } } }
"""


async def maker_space_reservations(w: World, n: int) -> Run:
    space, resources = await w.space(n)
    tomorrow = w.today + timedelta(days=1)
    for resource in resources:  # a different holder for each
        holder, _ = await w.person()
        await w.reservation(resource, holder, w.at(tomorrow, 10))
    _, token = await w.person(Role.MAKERSPACE_STAFF)
    return Run({"space": gid("MakerSpace", space.id), "date": tomorrow.isoformat()}, token)


SESSIONS = """
query($center: ID!, $from: Date!, $to: Date!, $child: ID) {
  childcareSessions(centerId: $center, from: $from, to: $to, childId: $child) {
    id careType start end capacity booked remaining waitlisted eligible
    class { id name kind minAgeMonths maxAgeMonths capacity carerRatio } } }
"""


async def childcare_sessions(w: World, n: int) -> Run:
    guardian, token = await w.person()
    center, classes = await w.center(classes=n)
    child = await w.child(guardian)
    tomorrow = w.today + timedelta(days=1)
    for klass in classes:
        slot = await w.slot(klass, tomorrow)
        await w.booking(await w.child(guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    variables = {
        "center": gid("ChildcareCenter", center.id),
        "from": tomorrow.isoformat(),
        "to": tomorrow.isoformat(),
        "child": gid("Child", child.id),
    }
    return Run(variables, token)


CENTERS = """
{ childcareCenters { id name classes { id name kind minAgeMonths maxAgeMonths capacity carerRatio } } }
"""


async def childcare_centers(w: World, n: int) -> Run:
    for _ in range(n):
        await w.center(classes=2)
    await w.commit()
    return Run()


MY_CHILDREN = """
{ myChildren {
  id name birthDate
  pickupPersons { name phone }
  bookings { id status createdAt waitlistPosition
    child { id name }
    session { id start booked waitlisted class { id name } } } } }
"""


async def my_children(w: World, n: int) -> Run:
    guardian, token = await w.person()
    _, classes = await w.center(classes=n)
    for klass in classes:  # each child in sessions of a class of its own
        confirmed, waitlisted = await w.slots(klass, 2)
        child = await w.child(guardian, pickups=2)
        await w.booking(child, confirmed, guardian)
        await w.booking(child, waitlisted, guardian, "WAITLISTED")
    await w.commit()
    return Run(token=token)


ROSTER = """
query($session: ID!) { childcareSessionRoster(sessionId: $session) {
  id status createdAt waitlistPosition checkedInAt checkedOutAt
  child { id name pickupPersons { name } bookings { id status } }
  session { id booked waitlisted class { id name } } } }
"""


async def childcare_session_roster(w: World, n: int) -> Run:
    guardian, _ = await w.person()
    _, (klass,) = await w.center()
    slot = await w.slot(klass, w.today + timedelta(days=1))
    for index in range(n):
        child = await w.child(guardian, pickups=1)
        await w.booking(child, slot, guardian, "CONFIRMED" if index % 2 == 0 else "WAITLISTED")
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"session": gid("ChildcareSession", slot.id)}, token)


ELDERS = """
query($community: ID!) { elders(communityId: $community, first: 50) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id name age livesAlone
    community { id name }
    devices { id serial kind lastSeenAt }
    alerts { id kind severity status }
    openAlerts: alerts(status: [OPEN]) { id }
    latestVitals { kind value unit loinc measuredAt }
    visits { id kind note visitedAt } } } } }
"""


async def elders(w: World, n: int) -> Run:
    community = await w.new_community()
    for _ in range(n):
        await w.elder(community, devices=2, alerts=2, visits=2, vitals=2)
    await w.commit()
    return Run({"community": gid("Community", community)}, w.tokens["ADMIN"])


CARE_ALERTS = """
query($community: ID!) { careAlerts(communityId: $community, first: 50) {
  totalCount
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id kind severity status summary count openedAt lastSeenAt escalationLevel
    elder { id name community { id name } devices { serial } } } } } }
"""


async def care_alerts(w: World, n: int) -> Run:
    community = await w.new_community()
    for _ in range(n):
        await w.elder(community, alerts=1)
    await w.commit()
    return Run({"community": gid("Community", community)}, w.tokens["ADMIN"])


DASHBOARD = """
query($community: ID!) { careDashboard(communityId: $community) {
  openCritical openWarning overdueUnacknowledged eldersMonitored devicesOffline } }
"""


async def care_dashboard(w: World, n: int) -> Run:
    community = await w.new_community()
    for _ in range(n):
        await w.elder(community, alerts=1, device_seen=w.now - timedelta(days=1))
    await w.commit()
    return Run({"community": gid("Community", community)}, w.tokens["ADMIN"])


# Query.node, one case per Node type --------------------------------------------

NODE = "query($id: ID!) {{ node(id: $id) {{ __typename id ... on {type} {{ {fields} }} }} }}"


def node_query(type_name: str, fields: str) -> str:
    return NODE.format(type=type_name, fields=fields)


async def node_community(w: World, n: int) -> Run:
    return Run({"id": gid("Community", await w.new_community())}, w.tokens["RESIDENT"])


async def node_facility(w: World, n: int) -> Run:
    facility = await w.facility(30.40, 120.70, services=n, periods=n)
    await w.commit()
    return Run({"id": gid("Facility", facility.id)})


async def node_resource(w: World, n: int) -> Run:
    _, (resource,) = await w.space(1)
    resource.features = [feature.value for feature in list(ResourceFeature)[:n]]
    await w.commit()
    return Run({"id": gid("Resource", resource.id)})


async def node_maker_space(w: World, n: int) -> Run:
    space, _ = await w.space(n)
    await w.commit()
    return Run({"id": gid("MakerSpace", space.id)})


async def node_reservation(w: World, n: int) -> Run:
    holder, token = await w.person()
    _, resources = await w.space(n)
    reservation = await w.reservation(resources[0], holder, w.at(w.today + timedelta(days=1), 10))
    await w.commit()
    return Run({"id": gid("Reservation", reservation.id)}, token)


async def node_childcare_class(w: World, n: int) -> Run:
    _, classes = await w.center(classes=n)
    await w.commit()
    return Run({"id": gid("ChildcareClass", classes[0].id)})


async def node_childcare_center(w: World, n: int) -> Run:
    center, _ = await w.center(classes=n)
    await w.commit()
    return Run({"id": gid("ChildcareCenter", center.id)})


async def node_childcare_session(w: World, n: int) -> Run:
    guardian, _ = await w.person()
    _, (klass,) = await w.center()
    slot = await w.slot(klass, w.today + timedelta(days=1), capacity=1, confirmed=1)
    for _ in range(n):
        await w.booking(await w.child(guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    return Run({"id": gid("ChildcareSession", slot.id)})


async def child_with_bookings(w: World, n: int) -> tuple[Person, str, Child, list[ChildcareBooking]]:
    guardian, token = await w.person()
    _, classes = await w.center(classes=n)
    child = await w.child(guardian, pickups=n)
    bookings = [
        await w.booking(child, await w.slot(klass, w.today + timedelta(days=2 + index)), guardian)
        for index, klass in enumerate(classes)
    ]
    await w.commit()
    return guardian, token, child, bookings


async def node_child(w: World, n: int) -> Run:
    _, token, child, _ = await child_with_bookings(w, n)
    return Run({"id": gid("Child", child.id)}, token)


async def node_childcare_booking(w: World, n: int) -> Run:
    _, token, _, bookings = await child_with_bookings(w, n)
    return Run({"id": gid("ChildcareBooking", bookings[0].id)}, token)


async def node_elder(w: World, n: int) -> Run:
    elder, _, _ = await w.elder(await w.new_community(), devices=n, alerts=n, visits=n, vitals=n)
    await w.commit()
    return Run({"id": gid("Elder", elder.id)}, w.tokens["ADMIN"])


async def node_care_alert(w: World, n: int) -> Run:
    _, _, alerts = await w.elder(await w.new_community(), devices=n, alerts=n, visits=n, vitals=n)
    await w.commit()
    return Run({"id": gid("CareAlert", alerts[0].id)}, w.tokens["ADMIN"])


async def node_care_visit(w: World, n: int) -> Run:
    elder, _, _ = await w.elder(await w.new_community(), devices=n, alerts=n, visits=n, vitals=n)
    await w.commit()
    visit = await w.session.scalar(select(CareVisit.id).where(CareVisit.elder_id == elder.id).limit(1))
    return Run({"id": gid("CareVisit", visit)}, w.tokens["ADMIN"])


# Mutation ---------------------------------------------------------------------

LOGIN = """
mutation($phone: String!, $password: String!) { login(phone: $phone, password: $password) {
  __typename
  ... on LoginSuccess { token expiresAt viewer { id name phone roles community { id name } } }
  ... on DomainError { code message } } }
"""


async def login(w: World, n: int) -> Run:
    person, _ = await w.person(*list(Role)[:n], password=PASSWORD)
    return Run({"phone": person.phone, "password": PASSWORD})


RESERVATION_RESULT = """
  __typename
  ... on Reservation { id status start end partySize checkedInAt
    resource { id name features }
    space { id name rules { slotMinutes } resources { id name features } }
    holder { name } }
  ... on DomainError { code message }
"""
RESERVATION_CREATE = f"""
mutation($input: ReservationCreateInput!) {{ reservationCreate(input: $input) {{ {RESERVATION_RESULT} }} }}
"""
RESERVATION_CANCEL = f"mutation($id: ID!) {{ reservationCancel(id: $id) {{ {RESERVATION_RESULT} }} }}"
RESERVATION_CHECK_IN = f"""
mutation($id: ID!, $code: String!) {{ reservationCheckIn(id: $id, code: $code) {{ {RESERVATION_RESULT} }} }}
"""


async def reservation_create(w: World, n: int) -> Run:
    _, token = await w.person()
    _, resources = await w.space(n)
    start = w.at(w.today + timedelta(days=1), 10)
    variables = {
        "input": {
            "resourceId": gid("Resource", resources[0].id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        }
    }
    return Run(variables, token)


async def reservation_cancel(w: World, n: int) -> Run:
    holder, token = await w.person()
    _, resources = await w.space(n)
    reservation = await w.reservation(resources[0], holder, w.at(w.today + timedelta(days=1), 10))
    await w.commit()
    return Run({"id": gid("Reservation", reservation.id)}, token)


async def reservation_check_in(w: World, n: int) -> Run:
    holder, token = await w.person()
    space, resources = await w.space(n)
    start = w.now.replace(second=0, microsecond=0)
    reservation = await w.reservation(resources[0], holder, start)
    await w.commit()
    code, _ = makerspace_service.check_in_code(space, w.now)
    return Run({"id": gid("Reservation", reservation.id), "code": code}, token)


CHILD_REGISTER = """
mutation($input: ChildRegisterInput!) { childRegister(input: $input) {
  __typename
  ... on Child { id name birthDate bookings { id session { id class { name } } } pickupPersons { name } }
  ... on DomainError { code message } } }
"""


async def child_register(w: World, n: int) -> Run:
    guardian, token = await w.person()
    for _ in range(n):  # the guardian's other children
        await w.child(guardian, pickups=1)
    await w.commit()
    birth = (w.today - timedelta(days=400)).isoformat()
    return Run({"input": {"name": "新宝宝", "birthDate": birth, "guardianConsent": True}}, token)


PICKUP_ADD = """
mutation($child: ID!, $name: String!, $phone: String!) {
  childPickupPersonAdd(childId: $child, name: $name, phone: $phone) {
    __typename
    ... on PickupPersonAdded { pin person { name phone } }
    ... on DomainError { code message } } }
"""


async def child_pickup_person_add(w: World, n: int) -> Run:
    guardian, token = await w.person()
    child = await w.child(guardian, pickups=n)
    await w.commit()
    return Run({"child": gid("Child", child.id), "name": "外婆", "phone": f"1370{w.unique():07d}"}, token)


BOOKING_RESULT = """
  __typename
  ... on ChildcareBooking { id status createdAt checkedInAt checkedOutAt waitlistPosition
    session { id booked waitlisted class { id name } }
    child { id name
      bookings { id status waitlistPosition session { id start class { name } } }
      pickupPersons { name phone } } }
  ... on DomainError { code message }
"""
BOOKING_CREATE = f"""
mutation($input: ChildcareBookingCreateInput!) {{
  childcareBookingCreate(input: $input) {{ {BOOKING_RESULT} }} }}
"""
BOOKING_CANCEL = f"mutation($id: ID!) {{ childcareBookingCancel(id: $id) {{ {BOOKING_RESULT} }} }}"
CHILD_CHECK_IN = f"mutation($id: ID!) {{ childCheckIn(bookingId: $id) {{ {BOOKING_RESULT} }} }}"
CHILD_CHECK_OUT = f"""
mutation($id: ID!, $pin: String!) {{ childCheckOut(bookingId: $id, pickupPin: $pin) {{ {BOOKING_RESULT} }} }}
"""
CHILD_CHECK_OUT_UNLOCK = (
    f"mutation($id: ID!) {{ childCheckOutUnlock(bookingId: $id) {{ {BOOKING_RESULT} }} }}"
)


async def childcare_booking_create(w: World, n: int) -> Run:
    _, token, child, _ = await child_with_bookings(w, n)
    _, (klass,) = await w.center()
    slot = await w.slot(klass, w.today + timedelta(days=1))
    await w.commit()
    variables = {"input": {"sessionId": gid("ChildcareSession", slot.id), "childId": gid("Child", child.id)}}
    return Run(variables, token)


async def childcare_booking_cancel(w: World, n: int) -> Run:
    guardian, token, child, _ = await child_with_bookings(w, n)
    _, (klass,) = await w.center()
    # A full session with n children waiting: cancelling gives the place to the first of them.
    slot = await w.slot(klass, w.today + timedelta(days=1), capacity=1, confirmed=1)
    booking = await w.booking(child, slot, guardian)
    for _ in range(n):
        await w.booking(await w.child(guardian), slot, guardian, "WAITLISTED")
    await w.commit()
    return Run({"id": gid("ChildcareBooking", booking.id)}, token)


async def booking_today(w: World, n: int, pickups: int, **extra) -> ChildcareBooking:
    """A booking of a child with n other bookings and `pickups` pick-up people (PIN 000000), today."""
    guardian, _, child, _ = await child_with_bookings(w, n)
    for _ in range(pickups):
        await w.pickup(child, guardian, "000000")
    _, (klass,) = await w.center()
    slot = await w.slot(klass, w.today, confirmed=1)
    booking = await w.booking(child, slot, guardian, **extra)
    await w.commit()
    return booking


async def child_check_in(w: World, n: int) -> Run:
    booking = await booking_today(w, n, pickups=0)
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"id": gid("ChildcareBooking", booking.id)}, token)


async def child_check_out(w: World, n: int) -> Run:
    # The child's n pick-up people (PIN 000000) are tried before the one whose PIN is given.
    booking = await booking_today(w, n, pickups=0, status="CHECKED_IN", checked_in_at=w.now)
    child = await w.session.get(Child, booking.child_id)
    await w.pickup(child, await w.session.get(Person, child.consent_given_by), "424242")
    await w.commit()
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"id": gid("ChildcareBooking", booking.id), "pin": "424242"}, token)


async def child_check_out_unlock(w: World, n: int) -> Run:
    booking = await booking_today(
        w, n, pickups=1, status="CHECKED_IN", checked_in_at=w.now, checkout_locked=True, failed_pin_attempts=5
    )
    _, token = await w.person(Role.CHILDCARE_STAFF)
    return Run({"id": gid("ChildcareBooking", booking.id)}, token)


READINGS_RECORD = """
mutation($r: [ReadingInput!]!) { readingsRecord(readings: $r) {
  __typename
  ... on ReadingsRecorded { accepted duplicates rejected { index deviceId code message }
    alertsRaised { id kind severity status count summary
      elder { id name community { id name } devices { serial } alerts { id } visits { id }
              latestVitals { kind } } } }
  ... on InvalidReadings { code message rejected { index code } } } }
"""


async def readings_record(w: World, n: int) -> Run:
    readings = []
    for index in range(n):  # one elder (in a community of its own) each: every reading raises an alert
        _, (device,), _ = await w.elder(await w.new_community(), visits=1)
        measured = w.now - timedelta(minutes=2, seconds=index)
        readings.append(
            {
                "deviceId": device.serial,
                "kind": "HEART_RATE",
                "value": 150,
                "measuredAt": measured.isoformat(),
            }
        )
        readings.append(
            {"deviceId": device.serial, "kind": "SPO2", "value": 97, "measuredAt": measured.isoformat()}
        )
    await w.commit()
    # An administrator may follow the raised alerts to the elders (a gateway may not).
    return Run({"r": readings}, w.tokens["ADMIN"])


ALERT_RESULT = """
  __typename
  ... on CareAlert { id status acknowledgedAt resolvedAt resolutionNote
    elder { id name community { id name } alerts { id status } devices { serial }
            visits { id note } latestVitals { kind value } } }
  ... on DomainError { code message }
"""
ACKNOWLEDGE = f"mutation($id: ID!) {{ careAlertAcknowledge(id: $id) {{ {ALERT_RESULT} }} }}"
RESOLVE = f'mutation($id: ID!) {{ careAlertResolve(id: $id, note: "已电话确认平安") {{ {ALERT_RESULT} }} }}'


async def alert_of_nanmu_elder(w: World, n: int) -> Run:
    _, _, alerts = await w.elder(await w.community_id(), devices=2, alerts=n, visits=n, vitals=n)
    _, token = await w.person(Role.CARE_STAFF)
    return Run({"id": gid("CareAlert", alerts[0].id)}, token)


VISIT_LOG = """
mutation($input: CareVisitLogInput!) { careVisitLog(input: $input) {
  __typename
  ... on CareVisit { id kind note visitedAt
    elder { id name community { name } visits { id note } alerts { id } devices { serial } } }
  ... on DomainError { code message } } }
"""


async def care_visit_log(w: World, n: int) -> Run:
    elder, _, _ = await w.elder(await w.community_id(), alerts=n, visits=n)
    _, token = await w.person(Role.CARE_STAFF)
    variables = {
        "input": {
            "elderId": gid("Elder", elder.id),
            "kind": "CALL",
            "note": "电话问候，一切正常",
            "visitedAt": (w.now - timedelta(minutes=5)).isoformat(),
        }
    }
    return Run(variables, token)


# Subscription ---------------------------------------------------------------------

ALERT_EVENTS = """
subscription($after: Int) { careAlertEvents(afterSequence: $after) {
  sequence type at
  alert { id kind severity status count elder { id name community { id name } } } } }
"""


async def care_alert_events(w: World, n: int) -> Run:
    """n alerts of n elders in n communities, each with an OPENED event, replayed after the sequence
    before them (the administrator sees every community; only these events come after it)."""
    after = await w.session.scalar(select(func.coalesce(func.max(CareAlertEvent.sequence), 0)))
    for _ in range(n):
        community = await w.new_community()
        elder, _, (alert,) = await w.elder(community, alerts=1)
        w.session.add(
            CareAlertEvent(
                alert_id=alert.id, elder_id=elder.id, community_id=community, type="OPENED", at=w.now
            )
        )
    await w.commit()
    return Run({"after": after}, w.tokens["ADMIN"], messages=n)


SERVER_TIME = "subscription { serverTime(intervalSeconds: 1) }"


async def server_time(w: World, n: int) -> Run:
    return Run(token=w.tokens["RESIDENT"], messages=n)


# The table ----------------------------------------------------------------------


def edges(*path: str) -> Callable[[dict], int]:
    def size(data: dict) -> int:
        value = data
        for key in path:
            value = value[key]
        return len(value)

    return size


def total_requirements(data: dict) -> int:
    return sum(len(tier["requirements"]) for tier in data["lifeCircle"]["tiers"])


CASES = [
    # Query
    Case("Query.me", ME, me, edges("me", "roles"), sizes=(1, 6)),
    Case("Query.communities", COMMUNITIES, communities, edges("communities", "edges")),
    Case("Query.nearbyFacilities", NEARBY, nearby_facilities, edges("nearbyFacilities", "edges")),
    Case("Query.lifeCircle", LIFE_CIRCLE, life_circle, total_requirements),
    Case("Query.resourceAvailability", AVAILABILITY, resource_availability, edges("resourceAvailability")),
    Case("Query.myReservations", MY_RESERVATIONS, my_reservations, edges("myReservations", "edges")),
    Case("Query.makerSpaces", MAKER_SPACES, maker_spaces, edges("makerSpaces")),
    Case("Query.makerSpaceCheckInCode", CHECK_IN_CODE, maker_space_check_in_code, None),
    Case(
        "Query.makerSpaceReservations", SPACE_DAY, maker_space_reservations, edges("makerSpaceReservations")
    ),
    Case("Query.childcareSessions", SESSIONS, childcare_sessions, edges("childcareSessions")),
    Case("Query.childcareCenters", CENTERS, childcare_centers, edges("childcareCenters")),
    Case("Query.myChildren", MY_CHILDREN, my_children, edges("myChildren")),
    Case("Query.childcareSessionRoster", ROSTER, childcare_session_roster, edges("childcareSessionRoster")),
    Case("Query.elders", ELDERS, elders, edges("elders", "edges")),
    Case("Query.careAlerts", CARE_ALERTS, care_alerts, edges("careAlerts", "edges")),
    Case(
        "Query.careDashboard", DASHBOARD, care_dashboard, lambda data: data["careDashboard"]["openCritical"]
    ),
    Case("Query.node[Community]", node_query("Community", "name subdistrict"), node_community, None),
    Case(
        "Query.node[Facility]",
        node_query(
            "Facility",
            "name location { lat lng } isOpen services { code name } openingHours { weekday opens closes }",
        ),
        node_facility,
        edges("node", "openingHours"),
    ),
    Case(
        "Query.node[Resource]",
        node_query("Resource", "name kind capacity features"),
        node_resource,
        edges("node", "features"),
        sizes=(1, 6),
    ),
    Case(
        "Query.node[MakerSpace]",
        node_query("MakerSpace", "name rules { slotMinutes } resources { id name features }"),
        node_maker_space,
        edges("node", "resources"),
    ),
    Case(
        "Query.node[Reservation]",
        node_query(
            "Reservation",
            "start status resource { name } space { name resources { id name } } holder { name }",
        ),
        node_reservation,
        edges("node", "space", "resources"),
    ),
    Case(
        "Query.node[ChildcareCenter]",
        node_query("ChildcareCenter", "name classes { id name kind capacity }"),
        node_childcare_center,
        edges("node", "classes"),
    ),
    Case(
        "Query.node[CareVisit]",
        node_query("CareVisit", "kind note elder { name alerts { id } devices { serial } visits { note } }"),
        node_care_visit,
        edges("node", "elder", "visits"),
    ),
    Case(
        "Query.node[ChildcareClass]",
        node_query("ChildcareClass", "name kind minAgeMonths maxAgeMonths capacity carerRatio"),
        node_childcare_class,
        None,
    ),
    Case(
        "Query.node[ChildcareSession]",
        node_query("ChildcareSession", "start capacity booked remaining waitlisted class { id name }"),
        node_childcare_session,
        lambda data: data["node"]["waitlisted"],
    ),
    Case(
        "Query.node[Child]",
        node_query(
            "Child", "name bookings { id status session { id class { name } } } pickupPersons { name phone }"
        ),
        node_child,
        edges("node", "bookings"),
    ),
    Case(
        "Query.node[ChildcareBooking]",
        node_query(
            "ChildcareBooking",
            "status waitlistPosition session { id class { name } } "
            "child { name bookings { id status } pickupPersons { name } }",
        ),
        node_childcare_booking,
        edges("node", "child", "bookings"),
    ),
    Case(
        "Query.node[Elder]",
        node_query(
            "Elder",
            "name community { name } devices { serial } alerts { id } latestVitals { kind } visits { note }",
        ),
        node_elder,
        edges("node", "alerts"),
    ),
    Case(
        "Query.node[CareAlert]",
        node_query(
            "CareAlert", "kind status elder { name alerts { id } devices { serial } visits { note } }"
        ),
        node_care_alert,
        edges("node", "elder", "alerts"),
    ),
    # Mutation
    Case("Mutation.login", LOGIN, login, edges("login", "viewer", "roles"), sizes=(1, 6)),
    Case(
        "Mutation.reservationCreate",
        RESERVATION_CREATE,
        reservation_create,
        edges("reservationCreate", "space", "resources"),
    ),
    Case(
        "Mutation.reservationCancel",
        RESERVATION_CANCEL,
        reservation_cancel,
        edges("reservationCancel", "space", "resources"),
    ),
    Case(
        "Mutation.reservationCheckIn",
        RESERVATION_CHECK_IN,
        reservation_check_in,
        edges("reservationCheckIn", "space", "resources"),
    ),
    Case("Mutation.childRegister", CHILD_REGISTER, child_register, None),
    Case("Mutation.childPickupPersonAdd", PICKUP_ADD, child_pickup_person_add, None),
    Case(
        "Mutation.childcareBookingCreate",
        BOOKING_CREATE,
        childcare_booking_create,
        edges("childcareBookingCreate", "child", "bookings"),
    ),
    Case(
        "Mutation.childcareBookingCancel",
        BOOKING_CANCEL,
        childcare_booking_cancel,
        edges("childcareBookingCancel", "child", "bookings"),
    ),
    Case("Mutation.childCheckIn", CHILD_CHECK_IN, child_check_in, edges("childCheckIn", "child", "bookings")),
    Case(
        "Mutation.childCheckOut",
        CHILD_CHECK_OUT,
        child_check_out,
        edges("childCheckOut", "child", "pickupPersons"),
        sizes=(1, 5),  # every PIN tried is an argon2 verification: slow on purpose
    ),
    Case(
        "Mutation.childCheckOutUnlock",
        CHILD_CHECK_OUT_UNLOCK,
        child_check_out_unlock,
        edges("childCheckOutUnlock", "child", "bookings"),
    ),
    Case(
        "Mutation.readingsRecord", READINGS_RECORD, readings_record, edges("readingsRecord", "alertsRaised")
    ),
    Case(
        "Mutation.careAlertAcknowledge",
        ACKNOWLEDGE,
        alert_of_nanmu_elder,
        edges("careAlertAcknowledge", "elder", "alerts"),
    ),
    Case(
        "Mutation.careAlertResolve",
        RESOLVE,
        alert_of_nanmu_elder,
        edges("careAlertResolve", "elder", "alerts"),
    ),
    Case("Mutation.careVisitLog", VISIT_LOG, care_visit_log, edges("careVisitLog", "elder", "visits")),
    # Subscription (over a real WebSocket)
    Case("Subscription.careAlertEvents", ALERT_EVENTS, care_alert_events, len, sizes=(1, 10), transport="ws"),
    Case("Subscription.serverTime", SERVER_TIME, server_time, len, sizes=(1, 2), transport="ws"),
]

# Root fields deliberately without a case, and why (none today: every root field has one).
EXCLUDED: dict[str, str] = {}
# Types implementing Node that `node(id:)` cannot fetch (no fetcher registered: it answers null).
NODE_TYPES_WITHOUT_FETCHER: dict[str, str] = {}  # every Node type can be fetched by node(id:)


# ── Measuring ──────────────────────────────────────────────────────────────────


@dataclass
class Measured:
    n: int
    size: int | None
    statements: list[str]


async def over_http(gql, case: Case, run: Run, count_statements) -> tuple[dict, list[str]]:
    with count_statements() as counter:
        body = await gql(case.query, run.variables, token=run.token)
    assert "errors" not in body, body["errors"]
    data = body["data"]
    result = data[case.field.split(".")[1]]
    if isinstance(result, dict) and "code" in result and "message" in result:
        raise AssertionError(f"{case.id} answered a domain error, not a result: {result}")
    return data, counter.statements


async def over_websocket(address: str, case: Case, run: Run, count_statements) -> tuple[list, list[str]]:
    received = []
    with count_statements() as counter:
        async with connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {run.token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            subscribe = {"query": case.query, "variables": run.variables}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            while len(received) < run.messages:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                assert message["type"] == "next", message
                assert "errors" not in message["payload"], message["payload"]
                received.append(message["payload"]["data"])
            await asyncio.sleep(SETTLE_SECONDS)
        await asyncio.sleep(SETTLE_SECONDS)
    return received, counter.statements


CAST_TYPE = r"(?:::(?:TIMESTAMP WITH(?:OUT)? TIME ZONE|[A-Z_]+)(?:\[\])?)?"
PLACEHOLDERS = re.compile(rf"\$\d+{CAST_TYPE}(?:\s*,\s*\$\d+{CAST_TYPE})*")


def shape(statement: str) -> str:
    """A statement with its parameters folded, so an IN list of 2 or 12 ids reads the same."""
    return " ".join(PLACEHOLDERS.sub("?", statement).split())


def explain(label: str, small: Measured, large: Measured) -> str:
    before, after = Counter(map(shape, small.statements)), Counter(map(shape, large.statements))
    changed = [
        f"  {before[sql]:>3} → {after[sql]:<3} {sql[:400]}"
        for sql in sorted(before.keys() | after.keys())
        if before[sql] != after[sql]
    ]
    return (
        f"{label}: {len(small.statements)} statements for {small.n} items but "
        f"{len(large.statements)} for {large.n}; the statements whose count changed:\n" + "\n".join(changed)
    )


@asynccontextmanager
async def server_for(case: Case, app) -> AsyncIterator[str | None]:
    """A real server for the WebSocket cases (its LISTEN connection closed after); none otherwise."""
    if case.transport != "ws":
        yield None
        return
    try:
        async with running_server(app) as address:
            yield address
    finally:
        await app.state.services.alert_feed.close()


async def measure(case: Case, world: World, gql, app, count_statements) -> tuple[Measured, Measured]:
    """The statements of the case's operation at its small and at its large size."""
    measured = []
    async with server_for(case, app) as address:
        for n in case.sizes:
            run = await case.setup(world, n)
            if case.transport == "ws":
                data, statements = await over_websocket(address, case, run, count_statements)
            else:
                data, statements = await over_http(gql, case, run, count_statements)
            measured.append(Measured(n, case.size(data) if case.size else None, statements))
    small, large = measured
    if case.size is not None:
        assert small.size < large.size, f"{case.id}: the sizes were not reached ({small.size}, {large.size})"
    return small, large


@pytest.fixture
async def world(session, settings, clock, tokens) -> World:
    return World(session, settings, clock, tokens)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_statement_count_does_not_grow_with_the_result(case: Case, world, gql, app, count_statements):
    small, large = await measure(case, world, gql, app, count_statements)

    if len(small.statements) != len(large.statements):
        pytest.fail(explain(case.id, small, large), pytrace=False)


# ── node(id:) asked many times in one request (aliases) ───────────────────────────
# A client holding a list of IDs fetches them as `a: node(id: …) b: node(id: …) …`: the lookups of
# one request should be batched like any other reference, whatever the number of aliases.


async def alias_communities(w: World, k: int) -> tuple[list[int], str]:
    return [await w.new_community() for _ in range(k)], w.tokens["RESIDENT"]


async def alias_facilities(w: World, k: int) -> tuple[list[int], str]:
    lat = 30.40 + 0.01 * w.unique()
    return [(await w.facility(lat, 120.70 + 0.001 * i)).id for i in range(k)], w.tokens["RESIDENT"]


async def alias_resources(w: World, k: int) -> tuple[list[int], str]:
    _, resources = await w.space(k)
    return [resource.id for resource in resources], w.tokens["RESIDENT"]


async def alias_maker_spaces(w: World, k: int) -> tuple[list[int], str]:
    return [(await w.space(1))[0].id for _ in range(k)], w.tokens["RESIDENT"]


async def alias_childcare_classes(w: World, k: int) -> tuple[list[int], str]:
    _, classes = await w.center(classes=k)
    return [klass.id for klass in classes], w.tokens["RESIDENT"]


async def alias_childcare_sessions(w: World, k: int) -> tuple[list[int], str]:
    _, (klass,) = await w.center()
    return [slot.id for slot in await w.slots(klass, k)], w.tokens["RESIDENT"]


async def alias_reservations(w: World, k: int) -> tuple[list[int], str]:
    holder, token = await w.person(Role.RESIDENT)
    _, resources = await w.space(k)
    day = w.today + timedelta(days=1)
    # One person holds no two reservations at once: an hour each, one after another.
    return [
        (await w.reservation(resource, holder, w.at(day, 8 + hour))).id
        for hour, resource in enumerate(resources)
    ], token


async def alias_children(w: World, k: int) -> tuple[list[int], str]:
    guardian, token = await w.person(Role.RESIDENT)
    return [(await w.child(guardian)).id for _ in range(k)], token


async def alias_childcare_bookings(w: World, k: int) -> tuple[list[int], str]:
    guardian, token = await w.person(Role.RESIDENT)
    child = await w.child(guardian)
    _, (klass,) = await w.center()
    return [(await w.booking(child, slot, guardian)).id for slot in await w.slots(klass, k)], token


async def alias_elders(w: World, k: int) -> tuple[list[int], str]:
    community = await w.community_id()
    return [(await w.elder(community))[0].id for _ in range(k)], w.tokens["CARE_STAFF"]


async def alias_care_alerts(w: World, k: int) -> tuple[list[int], str]:
    _, _, alerts = await w.elder(await w.community_id(), alerts=k)
    return [alert.id for alert in alerts], w.tokens["CARE_STAFF"]


async def alias_childcare_centers(w: World, k: int) -> tuple[list[int], str]:
    return [(await w.center())[0].id for _ in range(k)], w.tokens["RESIDENT"]


async def alias_care_visits(w: World, k: int) -> tuple[list[int], str]:
    elder, _, _ = await w.elder(await w.community_id(), visits=k)
    visits = await w.session.scalars(select(CareVisit.id).where(CareVisit.elder_id == elder.id))
    return list(visits), w.tokens["CARE_STAFF"]


NODE_ALIASES: dict[str, Callable[[World, int], Awaitable[tuple[list[int], str]]]] = {
    "Community": alias_communities,
    "Facility": alias_facilities,
    "Resource": alias_resources,
    "MakerSpace": alias_maker_spaces,
    "ChildcareClass": alias_childcare_classes,
    "ChildcareSession": alias_childcare_sessions,
    "Reservation": alias_reservations,
    "Child": alias_children,
    "ChildcareBooking": alias_childcare_bookings,
    "Elder": alias_elders,
    "CareAlert": alias_care_alerts,
    "ChildcareCenter": alias_childcare_centers,
    "CareVisit": alias_care_visits,
}


@pytest.mark.parametrize("type_name", sorted(NODE_ALIASES))
async def test_node_lookups_by_alias_cost_what_one_lookup_costs(type_name, world, gql, count_statements):
    measured = []
    for k in (1, 10):
        ids, token = await NODE_ALIASES[type_name](world, k)
        await world.commit()
        lookups = " ".join(
            f'n{i}: node(id: "{gid(type_name, pk)}") {{ __typename id }}' for i, pk in enumerate(ids)
        )
        with count_statements() as counter:
            body = await gql(f"{{ {lookups} }}", token=token)
        assert "errors" not in body, body["errors"]
        assert [node and node["__typename"] for node in body["data"].values()] == [type_name] * k, body
        measured.append(Measured(k, k, counter.statements))

    small, large = measured
    if len(small.statements) != len(large.statements):
        pytest.fail(explain(f"node(id:) of {type_name} by alias", small, large), pytrace=False)


# ── Coverage: a new root field, or a new Node type, needs a case ──────────────────


def root_fields_and_node_types() -> tuple[set[str], set[str]]:
    built = graphql.build_schema(build_schema(make_settings()).as_str())
    fields = {
        f"{root.name}.{name}"
        for root in (built.query_type, built.mutation_type, built.subscription_type)
        if root is not None
        for name in root.fields
    }
    nodes = {node.name for node in built.get_implementations(built.get_type("Node")).objects}
    return fields, nodes


def test_every_root_field_has_a_case():
    fields, _ = root_fields_and_node_types()
    covered = {case.field for case in CASES}

    assert sorted(fields - covered - EXCLUDED.keys()) == [], "root fields without a statement-count case"
    assert sorted((covered | EXCLUDED.keys()) - fields) == [], "cases of root fields that no longer exist"


def test_node_has_a_case_for_every_node_type():
    _, node_types = root_fields_and_node_types()
    covered = {case.id[len("Query.node[") : -1] for case in CASES if case.field == "Query.node"}
    excluded = NODE_TYPES_WITHOUT_FETCHER.keys()

    assert sorted(node_types - covered - excluded) == [], "Node types without a node(id:) case"
    assert sorted((covered | excluded) - node_types) == [], "node(id:) cases of types that are not Nodes"
    assert sorted(covered ^ NODE_ALIASES.keys()) == [], "Node types without an aliased node(id:) case"
