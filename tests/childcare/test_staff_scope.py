"""Childcare staff are staff of their community's centres: they see a child only once it has a
booking (of any status) at one of them, and then only its bookings there (#13, finding 1: staff of
a community without a centre read every child in the city, pick-up phones whole)."""

from datetime import date, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range

from models.childcare import ChildcareCenter, ChildcareClass, ChildcareSession
from models.people import Community, Role
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService
from tests.childcare.conftest import SHANGHAI, session_of

TUESDAY = "2026-12-01"
WEDNESDAY = date(2026, 12, 2)
TODDLER_BIRTH = "2025-06-01"
OTHER_COMMUNITY = "海创社区"

PICKUP_ADD = """mutation($child: ID!) {
  childPickupPersonAdd(childId: $child, name: "外婆", phone: "13912345678") {
    __typename ... on DomainError { code } } }"""
CHILD = """query($id: ID!) { node(id: $id) { ... on Child { id name
  bookings { id } pickupPersons { phone } } } }"""
BOOKING = "query($id: ID!) { node(id: $id) { ... on ChildcareBooking { id child { id } } } }"
ELIGIBILITY = """query($center: ID!, $child: ID!) {
  childcareSessions(centerId: $center, from: "2026-12-01", to: "2026-12-01", childId: $child) {
    eligible } }"""


@pytest.fixture
async def other_centre_session(session) -> str:
    """A centre in 海创社区 with a toddler class and one full-day session on Wednesday."""
    community = await session.scalar(select(Community.id).where(Community.name == OTHER_COMMUNITY))
    centre = ChildcareCenter(name="海创托育测试中心", community_id=community)
    session.add(centre)
    await session.flush()
    klass = ChildcareClass(
        center_id=centre.id,
        name="海创托小班",
        kind="TODDLER",
        min_age_months=12,
        max_age_months=24,
        capacity=15,
        carer_ratio=5,
    )
    session.add(klass)
    await session.flush()
    opens, closes = (datetime.combine(WEDNESDAY, time(hour), SHANGHAI) for hour in (9, 17))
    slot = ChildcareSession(
        class_id=klass.id,
        class_capacity=klass.capacity,
        care_type="FULL_DAY",
        period=Range(opens, closes, bounds="[)"),
        day=WEDNESDAY,
        capacity=10,
    )
    session.add(slot)
    await session.commit()
    return encode_global_id("ChildcareSession", slot.id)


@pytest.fixture
async def staff_elsewhere(session, settings) -> str:
    person = await people_service.add_user(
        session=session,
        phone="17799990001",
        name="海创托育老师",
        role=Role.CHILDCARE_STAFF,
        community_name=OTHER_COMMUNITY,
    )
    await session.commit()
    return TokenService(settings).issue(person)[0]


async def test_staff_see_a_child_only_once_booked_at_a_centre_of_their_community(
    gql, family, guardians, tokens, center, monday, other_centre_session, staff_elsewhere
):
    # Given a registered child with a pick-up adult and no booking anywhere
    guardian, nanmu_staff, admin = guardians[0], tokens["CHILDCARE_STAFF"], tokens["ADMIN"]
    child = (await family.register(guardian, "王小满", TODDLER_BIRTH))["id"]
    await gql(PICKUP_ADD, {"child": child}, token=guardian)

    async def seen_by(token: str) -> dict | None:
        body = await gql(CHILD, {"id": child}, token=token)
        assert "errors" not in body, body
        return body["data"]["node"]

    # Then no childcare staff sees it yet, by node or by asking its eligibility
    assert await seen_by(nanmu_staff) is None
    assert await seen_by(staff_elsewhere) is None
    eligibility = await gql(ELIGIBILITY, {"center": center["id"], "child": child}, token=nanmu_staff)
    assert eligibility["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    # When it is booked at 南睦 (Tuesday)
    toddler = session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")
    nanmu_booking = (await family.book(guardian, toddler["id"], child))["id"]

    # Then 南睦's staff see it, its 南睦 booking and its pick-up phone whole; 海创's staff nothing
    assert await seen_by(nanmu_staff) == {
        "id": child,
        "name": "王小满",
        "bookings": [{"id": nanmu_booking}],
        "pickupPersons": [{"phone": "13912345678"}],
    }
    assert await seen_by(staff_elsewhere) is None
    assert (await gql(BOOKING, {"id": nanmu_booking}, token=staff_elsewhere))["data"]["node"] is None

    # When it is also booked at 海创 (Wednesday)
    haichuang_booking = (await family.book(guardian, other_centre_session, child))["id"]

    # Then each centre's staff see only the bookings at their own centres; guardian and admin all
    nanmu_view, haichuang_view = await seen_by(nanmu_staff), await seen_by(staff_elsewhere)
    assert nanmu_view["bookings"] == [{"id": nanmu_booking}]
    assert haichuang_view["bookings"] == [{"id": haichuang_booking}]
    assert haichuang_view["pickupPersons"] == [{"phone": "13912345678"}]
    assert (await gql(BOOKING, {"id": nanmu_booking}, token=staff_elsewhere))["data"]["node"] is None
    everything = [{"id": haichuang_booking}, {"id": nanmu_booking}]  # newest session first
    assert (await seen_by(guardian))["bookings"] == everything
    admin_view = await seen_by(admin)
    assert admin_view["bookings"] == everything
    assert admin_view["pickupPersons"] == [{"phone": "139****5678"}]

    # When the 南睦 booking is cancelled, a booking of any status still makes it 南睦's child
    await family.cancel(guardian, nanmu_booking)
    assert (await seen_by(nanmu_staff))["bookings"] == [{"id": nanmu_booking}]
