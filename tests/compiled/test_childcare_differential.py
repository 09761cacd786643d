"""childcareCenters and childcareSessions on the compiled read path answer as the resolvers do (#19),
for no one, a guardian, childcare staff of the centre's community and of another, a community
administrator and an administrator; the child access log rows of each request are compared too.
childcareSessions(childId:) (a read of the child, its age by the Civil Code) stays with the
resolvers: drawn sometimes, it must answer and log the same, by the resolvers.

Seeded and bounded like tests/compiled/test_differential.py (LINLI_DIFFERENTIAL_EXAMPLES, _SEED)."""

import os
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
from hypothesis import strategies as st
from sqlalchemy import select, update

from models.childcare import (
    Child,
    ChildAccessLog,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    SessionCarer,
    TimetableEntry,
)
from models.people import Role
from resolvers import people as people_service
from resolvers.childcare import generate_sessions
from schema.common import encode_global_id
from server.auth import TokenService
from tests.compiled.test_differential import Document, ask_both, draw_cases, selection

EXAMPLES = int(os.environ.get("LINLI_DIFFERENTIAL_EXAMPLES", "300")) // 2
SEED = int(os.environ.get("LINLI_DIFFERENTIAL_SEED", "19"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=SHANGHAI)
CALLERS = ("guardian", "childcare staff", "childcare staff elsewhere", "community admin", "admin", None)

SCALARS = {
    "ChildcareCenter": ["id", "name"],
    "ChildcareClass": ["id", "name", "kind", "minAgeMonths", "maxAgeMonths", "capacity", "carerRatio"],
    "ChildcareTimetableEntry": ["weekday", "careType", "startsAt", "endsAt", "capacity"],
    "ChildcareSession": [
        "id",
        "careType",
        "start",
        "end",
        "capacity",
        "booked",
        "carersOnDuty",
        "cancelledAt",
        "cancelReason",
        "eligible",
        "waitlisted",
    ],
    "ChildcareCarer": ["id", "name"],
}
OBJECTS = {
    "ChildcareCenter": {"classes": "ChildcareClass"},
    "ChildcareClass": {"timetable": "ChildcareTimetableEntry"},
    "ChildcareSession": {"class": "ChildcareClass", "carers": "ChildcareCarer"},
}
# Centre IDs: the demo centre (南睦未来社区), the one set up here (海创社区); none; not a centre's.
NO_CENTER = encode_global_id("ChildcareCenter", 10**9)
BAD_IDS = ["bad-id!", encode_global_id("ChildcareClass", 1), ""]


@st.composite
def childcare_request(draw, centers: list[str], children: list[str]) -> tuple[str, dict]:
    doc = Document()
    roots = []
    fields = draw(
        st.lists(st.sampled_from(["childcareCenters", "childcareSessions"]), min_size=1, max_size=2)
    )
    # Two root fields only with good arguments: on the resolver path a root field's error may
    # cancel the other's statement mid-flight (its error then reads INTERNAL_SERVER_ERROR).
    alone = len(fields) == 1
    for field in fields:
        if field == "childcareCenters":
            body = draw(selection("ChildcareCenter", doc, scalars=SCALARS, objects=OBJECTS))
            root = f"childcareCenters {{ {body} }}"
        else:
            first = MONDAY.date() + timedelta(days=draw(st.integers(-2, 14)))
            span = draw(st.sampled_from([0, 1, 2, 6, 6, 13, 31, *([32, -1] if alone else [])]))
            center = draw(st.sampled_from([*centers, *centers, *([NO_CENTER, *BAD_IDS] if alone else [])]))
            values = {"centerId": ("ID!", center), "from": ("Date!", first.isoformat())}
            values["to"] = ("Date!", (first + timedelta(days=span)).isoformat())
            if alone and draw(st.integers(0, 5)) == 0:  # with a child: the resolvers answer
                values["childId"] = ("ID", draw(st.sampled_from([*children, "", "bad-id!"])))
            arguments = []
            for name, (type_, value) in values.items():
                given = (
                    doc.variable(name, type_, value) if draw(st.booleans()) else orjson.dumps(value).decode()
                )
                arguments.append(f"{name}: {given}")
            body = draw(selection("ChildcareSession", doc, scalars=SCALARS, objects=OBJECTS))
            root = f"childcareSessions({', '.join(arguments)}) {{ {body} }}"
        if len(roots) or draw(st.integers(0, 3)) == 0:
            root = f"r{len(roots)}: {root}"
        roots.append(root)
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Childcare({definitions})" if definitions else "query Childcare"
    return " ".join([f"{header} {{ {' '.join(roots)} }}", *doc.fragments]), doc.values


def draw_requests(count: int, seed: int, centers: list[str], children: list[str]) -> list:
    # Those who see carers twice as often: their answers differ most from the others'.
    callers = st.sampled_from([*CALLERS, "childcare staff", "admin"])
    return draw_cases(childcare_request(centers, children), callers, count=count, seed=seed)


async def callers(session, settings) -> tuple[dict, dict]:
    """A token per caller (staff of 南睦未来社区, where the demo centre is, and of 海创社区), and
    the people by caller."""
    tokens, people = {}, {}
    for index, (caller, role, community) in enumerate(
        [
            ("guardian", Role.RESIDENT, "南睦未来社区"),
            ("childcare staff", Role.CHILDCARE_STAFF, "南睦未来社区"),
            ("childcare staff elsewhere", Role.CHILDCARE_STAFF, "海创社区"),
            ("community admin", Role.COMMUNITY_ADMIN, "南睦未来社区"),
            ("admin", Role.ADMIN, "南睦未来社区"),
        ]
    ):
        person = await people_service.add_user(
            session=session,
            phone=f"1760001{index:04d}",
            name=f"托育差分{index}",
            role=role,
            community_name=community,
        )
        tokens[caller], people[caller] = TokenService(settings).issue(person)[0], person
    await session.commit()
    return tokens, people


async def some_childcare(session, people: dict) -> tuple[list[str], list[str]]:
    """A second centre (海创社区) with two classes of the same youngest age (the id orders them), a
    timetable with its carer, sessions for three weeks from Monday; the guardian's child and another
    family's, booked (confirmed, waitlisted) at both centres; a cancelled session. Returns the
    centres' and the children's IDs."""
    community = people["childcare staff elsewhere"].community_id
    center = ChildcareCenter(name="海创差分托育中心", community_id=community)
    session.add(center)
    await session.flush()
    classes = [
        ChildcareClass(
            center_id=center.id,
            name=f"混龄{index}班",
            kind="MIXED",
            min_age_months=18,
            max_age_months=36,
            capacity=18,
            carer_ratio=6,
        )
        for index in range(2)
    ]
    session.add_all(classes)
    await session.flush()
    for klass in classes:
        for weekday in (1, 3, 6):
            session.add(
                TimetableEntry(
                    class_id=klass.id,
                    weekday=weekday,
                    care_type="HALF_DAY",
                    starts_at=time(8, 30),
                    ends_at=time(12, 0),
                    capacity=8,
                )
            )
    await session.flush()
    await generate_sessions(session=session, now=MONDAY)
    ours = list(
        await session.scalars(
            select(ChildcareSession)
            .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
            .where(ChildcareClass.center_id == center.id)
            .order_by(ChildcareSession.id)
        )
    )
    for slot in ours[::2]:  # a carer on duty for half of them, named like no one else
        session.add(SessionCarer(session_id=slot.id, person_id=people["childcare staff elsewhere"].id))
    await session.flush()

    children = []
    for name, guardian in (("差分宝宝", people["guardian"]), ("别家宝宝", people["admin"])):
        child = Child(
            name=name,
            birth_date=date(2025, 1, 31),
            consent_given_at=MONDAY,
            consent_given_by=guardian.id,
        )
        session.add(child)
        await session.flush()
        session.add(ChildGuardian(child_id=child.id, person_id=guardian.id))
        children.append(child)
    demo = await session.scalar(select(ChildcareCenter.id).where(ChildcareCenter.name == "南睦托育服务中心"))
    demo_sessions = await session.scalars(
        select(ChildcareSession)
        .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
        .where(
            ChildcareClass.center_id == demo,
            ChildcareSession.day >= MONDAY.date(),
            ChildcareSession.carer_count > 0,
        )
        .order_by(ChildcareSession.day, ChildcareSession.id)
    )
    by_day = {}  # one a day: a child's bookings may not overlap
    for slot in demo_sessions:
        by_day.setdefault(slot.day, slot)
    first_days = list(by_day.values())[:6]
    for index, slot in enumerate(first_days[:4]):
        child = children[index % 2]
        waitlisted = index >= 2
        if waitlisted:
            slot.waitlist_sequence += 1
        session.add(
            ChildcareBooking(
                session_id=slot.id,
                child_id=child.id,
                booked_by=children[index % 2].consent_given_by,
                period=slot.period,
                status="WAITLISTED" if waitlisted else "CONFIRMED",
                waitlist_sequence=slot.waitlist_sequence if waitlisted else None,
            )
        )
        if not waitlisted:
            slot.confirmed_count += 1
    await session.flush()
    # The last one, closed by staff (it holds no places).
    await session.execute(
        update(ChildcareSession)
        .where(ChildcareSession.id == first_days[5].id)
        .values(cancelled_at=MONDAY, cancel_reason="天气原因暂停")
    )
    await session.commit()
    centers = [encode_global_id("ChildcareCenter", pk) for pk in (demo, center.id)]
    return centers, [encode_global_id("Child", child.id) for child in children]


def shown(value, field: str) -> int:
    """How many non-empty lists the answer holds under `field` (or an alias ending with it)."""
    if isinstance(value, list):
        return sum(shown(item, field) for item in value)
    if isinstance(value, dict):
        return sum(
            (bool(item) and key.endswith(field) and isinstance(item, list)) + shown(item, field)
            for key, item in value.items()
        )
    return 0


async def logged(session, request_id: str) -> set:
    rows = await session.execute(
        select(ChildAccessLog.child_id, ChildAccessLog.what).where(ChildAccessLog.request_id == request_id)
    )
    return {(child, tuple(sorted(what))) for child, what in rows}


async def test_childcare_compiled_answer_and_log_as_the_resolvers_do(client_with, session, settings, clock):
    clock.now = MONDAY
    tokens, people = await callers(session, settings)
    centers, children = await some_childcare(session, people)
    compiled_answers = with_carers = with_sessions = child_reads = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, caller in draw_requests(EXAMPLES, SEED, centers, children):
            asked = await ask_both(
                fast,
                slow,
                query,
                variables,
                token=tokens[caller] if caller else None,
                logged=lambda response: logged(session, response.headers["x-request-id"]),
                # Naming a child, it is left to the resolvers (an empty childId names none).
                plannable=None if "childId" in query else True,
            )
            child_reads += bool(asked.log)
            if "childId" not in query and not asked.expected[1].get("errors"):
                compiled_answers += 1
                with_carers += bool(shown(asked.expected[1], "carers"))
                with_sessions += '"careType"' in orjson.dumps(asked.expected[1]).decode()
    print("compiled answers", compiled_answers, "with carers", with_carers, "child reads", child_reads)
    assert compiled_answers >= EXAMPLES // 4 and with_carers >= 1 and with_sessions >= EXAMPLES // 10, (
        compiled_answers,
        with_carers,
        with_sessions,
    )
    assert child_reads >= 1, child_reads  # childId was drawn, and read a child the caller sees
