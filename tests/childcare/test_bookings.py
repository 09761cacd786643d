"""托育 rules through /graphql: consent, eligibility, windows, waitlist, cancelling, pick-up by PIN."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from models.childcare import Child
from tests.childcare.conftest import CENTERS, MONDAY, session_of

pytestmark = pytest.mark.usefixtures("monday")

TUESDAY = "2026-12-01"
TODDLER_BIRTH = "2025-06-01"  # 18 months on 2026-12-01: 托小班 and 混龄班
INFANT_BIRTH = "2026-04-01"  # 8 months: 乳儿班

PICKUP_ADD = """
mutation($child: ID!, $name: String!, $phone: String!) {
  childPickupPersonAdd(childId: $child, name: $name, phone: $phone) {
    __typename ... on PickupPersonAdded { pin person { name phone } } ... on DomainError { code message } } }
"""
CHECK_IN = """
mutation($id: ID!) { childCheckIn(bookingId: $id) {
  __typename ... on ChildcareBooking { status } ... on DomainError { code } } }
"""
CHECK_OUT = """
mutation($id: ID!, $pin: String!) { childCheckOut(bookingId: $id, pickupPin: $pin) {
  __typename ... on ChildcareBooking { status } ... on DomainError { code message } } }
"""
UNLOCK = "mutation($id: ID!) { childCheckOutUnlock(bookingId: $id) { __typename } }"
ROSTER = (
    "query($id: ID!) { childcareSessionRoster(sessionId: $id) { status child { name } waitlistPosition } }"
)
ROSTER_IDS = "query($id: ID!) { childcareSessionRoster(sessionId: $id) { id status waitlistPosition } }"
MY_CHILDREN = "{ myChildren { name birthDate pickupPersons { name } bookings { status } } }"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Child { name } } }"


async def test_the_centre_has_one_class_of_each_kind_within_national_rules(gql):
    centers = (await gql(CENTERS))["data"]["childcareCenters"]
    classes = {c["kind"]: c for c in next(c for c in centers if c["name"] == "南睦托育服务中心")["classes"]}

    assert set(classes) == {"INFANT", "TODDLER", "PRESCHOOL", "MIXED"}
    assert classes["INFANT"]["capacity"] <= 10 and classes["INFANT"]["carerRatio"] <= 3
    assert classes["TODDLER"]["capacity"] <= 15 and classes["PRESCHOOL"]["capacity"] <= 20


async def test_register_needs_consent_and_stores_nothing_without_it(family, guardians, session):
    before = await session.scalar(select(func.count()).select_from(Child))

    refused = await family.register(guardians[0], "小明", TODDLER_BIRTH, consent=False)

    assert refused == {
        "__typename": "RuleViolation",
        "code": "CONSENT_REQUIRED",
        "message": refused["message"],
    }
    assert await session.scalar(select(func.count()).select_from(Child)) == before
    assert (await family.register(guardians[0], "小明", TODDLER_BIRTH))["__typename"] == "Child"


@pytest.mark.parametrize(
    ("birth", "code"), [("2027-01-01", "INVALID_BIRTH_DATE"), ("2023-10-01", "NOT_UNDER_THREE")]
)
async def test_register_refuses_impossible_birth_dates(family, guardians, birth, code):
    assert (await family.register(guardians[0], "小明", birth))["code"] == code


async def test_sessions_say_which_the_child_may_attend(family, guardians, center):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)

    sessions = await family.sessions(center["id"], TUESDAY, child["id"], token=guardians[0])
    anonymous = await family.sessions(center["id"], TUESDAY)

    by_kind = {(s["class"]["kind"], s["careType"]): s["eligible"] for s in sessions}
    assert by_kind[("TODDLER", "FULL_DAY")] is True
    assert by_kind[("MIXED", "HALF_DAY")] is True
    assert by_kind[("INFANT", "FULL_DAY")] is False and by_kind[("PRESCHOOL", "FULL_DAY")] is False
    assert {s["eligible"] for s in anonymous} == {None}
    infant = session_of(sessions, "INFANT")
    assert (infant["capacity"], infant["booked"], infant["remaining"], infant["waitlisted"]) == (10, 0, 10, 0)


async def test_another_familys_child_is_not_found(gql, family, guardians, center):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    sessions = await family.sessions(center["id"], TUESDAY)

    booking = await family.book(guardians[1], session_of(sessions, "TODDLER")["id"], child["id"])
    listing = await gql(
        'query($c: ID!, $child: ID!) { childcareSessions(centerId: $c, from: "2026-12-01", to: "2026-12-01", '
        "childId: $child) { id } }",
        {"c": center["id"], "child": child["id"]},
        token=guardians[1],
    )
    node = await gql(NODE, {"id": child["id"]}, token=guardians[1])
    theirs = await gql(MY_CHILDREN, token=guardians[1])

    assert booking["__typename"] == "NotFound"
    assert listing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert node["data"]["node"] is None
    assert theirs["data"]["myChildren"] == []


async def test_an_ineligible_child_gets_child_not_eligible(family, guardians, center):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    infant_session = session_of(await family.sessions(center["id"], TUESDAY), "INFANT")

    result = await family.book(guardians[0], infant_session["id"], child["id"])

    assert result["__typename"] == "ChildNotEligible"
    assert result["code"] == "CHILD_NOT_ELIGIBLE"


async def test_booking_windows(family, guardians, center, monday):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    far = session_of(await family.sessions(center["id"], "2026-12-15"), "TODDLER")
    near = session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")

    assert (await family.book(guardians[0], far["id"], child["id"]))["code"] == "TOO_FAR_AHEAD"
    monday.now = MONDAY + timedelta(days=1, hours=2)  # Tuesday 09:00, the session began at 08:00
    assert (await family.book(guardians[0], near["id"], child["id"]))["code"] == "SESSION_STARTED"


async def test_a_child_holds_no_two_overlapping_bookings(family, guardians, center):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    sessions = await family.sessions(center["id"], TUESDAY)

    first = await family.book(guardians[0], session_of(sessions, "TODDLER")["id"], child["id"])
    second = await family.book(guardians[0], session_of(sessions, "MIXED", "HALF_DAY")["id"], child["id"])

    assert first["status"] == "CONFIRMED"
    assert second["code"] == "OVERLAPPING_BOOKING"


async def test_idempotency_keys(family, guardians, center):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    sessions = await family.sessions(center["id"], TUESDAY)
    toddler, mixed = session_of(sessions, "TODDLER"), session_of(sessions, "MIXED", "OCCASIONAL")

    first = await family.book(guardians[0], toddler["id"], child["id"], key="k1")
    again = await family.book(guardians[0], toddler["id"], child["id"], key="k1")
    other = await family.book(guardians[0], mixed["id"], child["id"], key="k1")

    assert again == first
    assert other["code"] == "IDEMPOTENCY_KEY_REUSED"


async def fill(family, guardians, session_id: str, count: int, birth: str) -> list[tuple[str, dict]]:
    """`count` children of the first guardian booked into a session, in order."""
    booked = []
    for index in range(count):
        child = await family.register(guardians[index % len(guardians)], f"孩子{index}", birth)
        booked.append(
            (
                guardians[index % len(guardians)],
                await family.book(guardians[index % len(guardians)], session_id, child["id"]),
            )
        )
    return booked


async def test_a_full_session_waitlists_and_a_cancellation_promotes_the_first(
    family, guardians, center, tokens
):
    infant = session_of(await family.sessions(center["id"], TUESDAY), "INFANT")
    booked = await fill(family, guardians, infant["id"], 13, INFANT_BIRTH)

    statuses = [result["status"] for _, result in booked]
    assert statuses == ["CONFIRMED"] * 10 + ["WAITLISTED"] * 3
    assert [result["waitlistPosition"] for _, result in booked[10:]] == [1, 2, 3]
    token, confirmed = booked[0]

    cancelled = await family.cancel(token, confirmed["id"])

    assert cancelled["status"] == "CANCELLED"
    after = session_of(await family.sessions(center["id"], TUESDAY), "INFANT")
    assert (after["booked"], after["waitlisted"]) == (10, 2)
    roster = (await family.gql(ROSTER_IDS, {"id": infant["id"]}, token=tokens["CHILDCARE_STAFF"]))["data"]
    status = {row["id"]: (row["status"], row["waitlistPosition"]) for row in roster["childcareSessionRoster"]}
    assert status[booked[10][1]["id"]] == ("CONFIRMED", None)
    assert [status[result["id"]] for _, result in booked[11:]] == [("WAITLISTED", 1), ("WAITLISTED", 2)]


async def test_waitlist_positions_close_up_without_gaps(family, guardians, center, tokens):
    infant = session_of(await family.sessions(center["id"], TUESDAY), "INFANT")
    booked = await fill(family, guardians, infant["id"], 13, INFANT_BIRTH)
    token, second_in_line = booked[11]

    assert (await family.cancel(token, second_in_line["id"]))["status"] == "CANCELLED"
    roster = (await family.gql(ROSTER, {"id": infant["id"]}, token=tokens["CHILDCARE_STAFF"]))["data"]
    positions = [
        b["waitlistPosition"] for b in roster["childcareSessionRoster"] if b["status"] == "WAITLISTED"
    ]
    assert positions == [1, 2]


async def test_late_cancellation_is_recorded_absent_but_still_frees_the_place(
    family, guardians, center, monday
):
    infant = session_of(await family.sessions(center["id"], TUESDAY), "INFANT")
    booked = await fill(family, guardians, infant["id"], 11, INFANT_BIRTH)
    monday.now = MONDAY + timedelta(hours=12)  # Monday 19:00: 13 hours before Tuesday 08:00

    token, confirmed = booked[0]
    late = await family.cancel(token, confirmed["id"])

    assert late["status"] == "ABSENT"
    after = session_of(await family.sessions(center["id"], TUESDAY), "INFANT")
    assert (after["booked"], after["waitlisted"]) == (10, 0)


async def test_a_pickup_pin_is_shown_once_and_checks_the_child_out(
    gql, family, guardians, center, tokens, monday
):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    added = await gql(
        PICKUP_ADD, {"child": child["id"], "name": "外婆", "phone": "139 1234 5678"}, token=guardians[0]
    )
    added = added["data"]["childPickupPersonAdd"]
    toddler = session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")
    booking = await family.book(guardians[0], toddler["id"], child["id"])
    staff = tokens["CHILDCARE_STAFF"]

    early = await gql(CHECK_IN, {"id": booking["id"]}, token=staff)
    monday.now = MONDAY + timedelta(days=1, hours=1)  # Tuesday 08:00
    checked_in = await gql(CHECK_IN, {"id": booking["id"]}, token=staff)
    wrong = await gql(
        CHECK_OUT, {"id": booking["id"], "pin": "000000" if added["pin"] != "000000" else "1"}, token=staff
    )
    right = await gql(CHECK_OUT, {"id": booking["id"], "pin": added["pin"]}, token=staff)

    assert added["__typename"] == "PickupPersonAdded" and len(added["pin"]) == 6
    assert added["person"] == {"name": "外婆", "phone": "13912345678"}
    assert early["data"]["childCheckIn"]["code"] == "NOT_SESSION_DAY"
    assert checked_in["data"]["childCheckIn"]["status"] == "CHECKED_IN"
    assert wrong["data"]["childCheckOut"]["__typename"] == "InvalidPickupPin"
    assert right["data"]["childCheckOut"]["status"] == "CHECKED_OUT"
    children = (await gql(MY_CHILDREN, token=guardians[0]))["data"]["myChildren"]
    assert children[0]["pickupPersons"] == [{"name": "外婆"}]
    assert "pin" not in str(children)


CHILD_PICKUP = "query($id: ID!) { node(id: $id) { ... on Child { pickupPersons { name phone } } } }"


async def test_pickup_phones_are_whole_for_the_guardian_and_staff_and_masked_for_admin(
    gql, family, guardians, tokens, center, monday
):
    child = await family.register(guardians[0], "王小满", TODDLER_BIRTH)
    person = {"child": child["id"], "name": "外婆", "phone": "139 1234 5678"}
    await gql(PICKUP_ADD, person, token=guardians[0])
    # The centre's staff serve the children booked there (tests/childcare/test_staff_scope.py).
    toddler = session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")
    await family.book(guardians[0], toddler["id"], child["id"])

    def phones(answer: dict) -> list[str]:
        return [person["phone"] for person in answer["data"]["node"]["pickupPersons"]]

    guardian = await gql(CHILD_PICKUP, {"id": child["id"]}, token=guardians[0])
    staff = await gql(CHILD_PICKUP, {"id": child["id"]}, token=tokens["CHILDCARE_STAFF"])
    admin = await gql(CHILD_PICKUP, {"id": child["id"]}, token=tokens["ADMIN"])
    other_guardian = await gql(CHILD_PICKUP, {"id": child["id"]}, token=guardians[1])

    assert phones(guardian) == phones(staff) == ["13912345678"]
    assert phones(admin) == ["139****5678"]
    assert other_guardian["data"]["node"] is None


async def test_five_wrong_pins_lock_check_out_until_staff_unlock(
    gql, family, guardians, center, tokens, monday
):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    pin = (
        await gql(
            PICKUP_ADD, {"child": child["id"], "name": "爸爸", "phone": "13900001111"}, token=guardians[0]
        )
    )["data"]["childPickupPersonAdd"]["pin"]
    booking = await family.book(
        guardians[0], session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")["id"], child["id"]
    )
    staff = tokens["CHILDCARE_STAFF"]
    monday.now = MONDAY + timedelta(days=1, hours=1)
    await gql(CHECK_IN, {"id": booking["id"]}, token=staff)
    wrong = next(code for code in ("000000", "111111") if code != pin)

    answers = [
        (await gql(CHECK_OUT, {"id": booking["id"], "pin": wrong}, token=staff))["data"]["childCheckOut"]
        for _ in range(5)
    ]
    locked = (await gql(CHECK_OUT, {"id": booking["id"], "pin": pin}, token=staff))["data"]["childCheckOut"]
    await gql(UNLOCK, {"id": booking["id"]}, token=staff)
    released = (await gql(CHECK_OUT, {"id": booking["id"], "pin": pin}, token=staff))["data"]["childCheckOut"]

    assert [answer["code"] for answer in answers] == ["INVALID_PICKUP_PIN"] * 5
    assert locked["code"] == "CHECKOUT_LOCKED"
    assert released["status"] == "CHECKED_OUT"


async def test_only_childcare_staff_check_children_in_and_see_rosters(gql, family, guardians, center, tokens):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)
    toddler = session_of(await family.sessions(center["id"], TUESDAY), "TODDLER")
    booking = await family.book(guardians[0], toddler["id"], child["id"])

    by_guardian = await gql(CHECK_IN, {"id": booking["id"]}, token=guardians[0])
    by_maker_staff = await gql(ROSTER, {"id": toddler["id"]}, token=tokens["MAKERSPACE_STAFF"])
    roster = await gql(ROSTER, {"id": toddler["id"]}, token=tokens["CHILDCARE_STAFF"])

    assert by_guardian["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_maker_staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert roster["data"]["childcareSessionRoster"] == [
        {"status": "CONFIRMED", "child": {"name": "小明"}, "waitlistPosition": None}
    ]


async def test_a_pickup_person_needs_a_real_phone_and_a_child_of_ones_own(gql, family, guardians):
    child = await family.register(guardians[0], "小明", TODDLER_BIRTH)

    bad_phone = await gql(
        PICKUP_ADD, {"child": child["id"], "name": "外婆", "phone": "12345"}, token=guardians[0]
    )
    not_mine = await gql(
        PICKUP_ADD, {"child": child["id"], "name": "外婆", "phone": "13912345678"}, token=guardians[1]
    )

    assert bad_phone["data"]["childPickupPersonAdd"]["code"] == "INVALID_PHONE"
    assert not_mine["data"]["childPickupPersonAdd"]["__typename"] == "NotFound"


async def test_the_database_refuses_a_session_larger_than_its_class_or_overbooked(session):
    infant = await session.scalar(text("SELECT id FROM childcare_sessions ORDER BY id LIMIT 1"))
    for statement in (
        "UPDATE childcare_sessions SET capacity = class_capacity + 1 WHERE id = :id",
        "UPDATE childcare_sessions SET confirmed_count = capacity + 1 WHERE id = :id",
        "UPDATE childcare_sessions SET class_capacity = class_capacity + 5 WHERE id = :id",
    ):
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(text(statement), {"id": infant})
