"""careAlerts on the compiled read path answers as the resolvers do (#19), for care staff of the
alerts' community and of another, family, administrators, residents and no one; and it notes the
same health reads (the access log rows of each request are compared too)."""

import base64
import os
from datetime import UTC, datetime, timedelta

import orjson
from hypothesis import strategies as st
from sqlalchemy import select

from models.eldercare import CareAlert, Elder, FamilyLink, HealthAccessLog
from models.people import Role
from resolvers import people as people_service
from server.auth import TokenService
from tests.compiled.test_differential import Document, ask_both, cursor_of, draw_cases, selection

EXAMPLES = int(os.environ.get("LINLI_DIFFERENTIAL_EXAMPLES", "300")) // 2
SEED = int(os.environ.get("LINLI_DIFFERENTIAL_SEED", "19"))
CALLERS = ("care staff", "care staff elsewhere", "admin", "community admin", "resident", "family", None)

SCALARS = {
    "CareAlert": [
        "id",
        "kind",
        "severity",
        "status",
        "summary",
        "count",
        "openedAt",
        "lastSeenAt",
        "escalationLevel",
        "acknowledgedAt",
        "resolvedAt",
        "resolutionNote",
    ],
    "Elder": ["id", "name", "livesAlone"],
    "CareAlertEdge": ["cursor"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
}
OBJECTS = {
    "CareAlert": {"elder": "Elder"},
    "CareAlertEdge": {"node": "CareAlert"},
    "CareAlertConnection": {"edges": "CareAlertEdge", "pageInfo": "PageInfo"},
}


@st.composite
def alerts_request(draw) -> tuple[str, dict]:
    doc = Document()
    optional = {
        "status": (
            "[CareAlertStatus!]",
            st.lists(st.sampled_from(["OPEN", "ACKNOWLEDGED", "RESOLVED"]), max_size=2),
        ),
        "severity": (
            "[CareAlertSeverity!]",
            st.lists(st.sampled_from(["INFO", "WARNING", "CRITICAL"]), max_size=2),
        ),
        "first": ("Int!", st.sampled_from([1, 2, 3, 5, 0, 20, 101, -1])),
        "after": (
            "String",
            st.sampled_from(
                [
                    cursor_of(["2099-01-01T00:00:00+00:00", 1]),
                    cursor_of(["2026-11-30T08:00:00.5+00:00", 10**6]),
                    cursor_of(["yesterday", 1]),
                    "not-a-cursor!",
                    "",
                ]
            ),
        ),
        "communityId": ("ID", st.sampled_from(["Q29tbXVuaXR5OjE", "Q29tbXVuaXR5OjI", "bad-id"])),
    }
    arguments = []
    # Each argument one time in three (first: two in three), so that most pages have alerts on them.
    for name in [name for name in optional if draw(st.integers(0, 2)) < (2 if name == "first" else 1)]:
        type_, strategy = optional[name]
        value = draw(strategy)
        if draw(st.booleans()):
            arguments.append(f"{name}: {doc.variable(name, type_, value)}")
        elif name in ("status", "severity"):
            arguments.append(f"{name}: [{', '.join(value)}]")
        else:
            arguments.append(f"{name}: {orjson.dumps(value).decode()}")
    body = draw(selection("CareAlertConnection", doc, scalars=SCALARS, objects=OBJECTS))
    root = f"careAlerts{'(' + ', '.join(arguments) + ')' if arguments else ''} {{ {body} }}"
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Alerts({definitions})" if definitions else "query Alerts"
    return " ".join([f"{header} {{ {root} }}", *doc.fragments]), doc.values


def draw_requests(count: int, seed: int) -> list:
    return draw_cases(alerts_request(), st.sampled_from(CALLERS), count=count, seed=seed)


async def callers(session, settings) -> dict:
    """A token per caller: staff of 南睦未来社区 (where the alerts are) and of another; family of two
    of its elders (a third withdrew consent)."""
    made = {}
    for index, (caller, role, community) in enumerate(
        [
            ("care staff", Role.CARE_STAFF, "南睦未来社区"),
            ("care staff elsewhere", Role.CARE_STAFF, "海创社区"),
            ("admin", Role.ADMIN, "南睦未来社区"),
            ("community admin", Role.COMMUNITY_ADMIN, "南睦未来社区"),
            ("resident", Role.RESIDENT, "南睦未来社区"),
            ("family", Role.RESIDENT, "海创社区"),
        ]
    ):
        person = await people_service.add_user(
            session=session,
            phone=f"1760000{index:04d}",
            name=f"差分{index}",
            role=role,
            community_name=community,
        )
        made[caller] = TokenService(settings).issue(person)[0]
        if caller == "family":  # consent from two elders of 南睦, withdrawn by a third
            elders = (await session.scalars(select(Elder.id).order_by(Elder.id).limit(3))).all()
            moment = datetime(2026, 11, 1, tzinfo=UTC)
            for number, elder_id in enumerate(elders):
                session.add(
                    FamilyLink(
                        elder_id=elder_id,
                        person_id=person.id,
                        relationship="子女",
                        consented_at=moment,
                        consent_revoked_at=moment if number == 2 else None,
                    )
                )
    await session.commit()
    return made


async def some_alerts(session) -> None:
    """Alerts in two communities, every status and severity, some opened at the same moment (the
    id breaks the tie) and some on whole seconds (no microseconds in their cursors)."""
    elders = (await session.execute(select(Elder.id, Elder.community_id).order_by(Elder.id))).all()
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    for index, (elder_id, community_id) in enumerate(elders[:24]):
        status = ("OPEN", "ACKNOWLEDGED", "RESOLVED")[index % 3]
        opened = start + timedelta(minutes=index // 2, microseconds=(index % 4) * 250_001 if index % 5 else 0)
        session.add(
            CareAlert(
                elder_id=elder_id,
                community_id=community_id,
                kind=("SOS", "FALL", "VITAL_OUT_OF_RANGE")[index % 3],
                dedup_key=f"differential:{index}",
                severity=("INFO", "WARNING", "CRITICAL")[index % 3 - 1],
                status=status,
                summary=f"差分测试告警 {index}",
                count=1 + index % 4,
                opened_at=opened,
                last_seen_at=opened + timedelta(seconds=index),
                escalation_level=index % 3,
                acknowledged_at=opened + timedelta(minutes=3) if status != "OPEN" else None,
                resolved_at=opened + timedelta(minutes=9) if status == "RESOLVED" else None,
                resolution_note="已上门处理" if status == "RESOLVED" else None,
            )
        )
    await session.commit()


async def logged(session, request_id: str) -> set:
    rows = await session.execute(
        select(HealthAccessLog.elder_id, HealthAccessLog.what).where(HealthAccessLog.request_id == request_id)
    )
    return {(elder, tuple(sorted(what))) for elder, what in rows}


async def test_care_alerts_compiled_answer_and_log_as_the_resolvers_do(client_with, session, settings):
    tokens = await callers(session, settings)
    await some_alerts(session)
    compiled_answers = with_alerts = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, caller in draw_requests(EXAMPLES, SEED):
            asked = await ask_both(
                fast,
                slow,
                query,
                variables,
                token=tokens[caller] if caller else None,
                logged=lambda response: logged(session, response.headers["x-request-id"]),
            )
            if not asked.expected[1].get("errors"):
                compiled_answers += 1
                with_alerts += bool(asked.log)
    print("compiled answers", compiled_answers, "with alerts read", with_alerts)
    assert compiled_answers >= EXAMPLES // 4 and with_alerts >= EXAMPLES // 10, (
        compiled_answers,
        with_alerts,
    )


ELDER_SCALARS = {
    "Elder": ["id", "name", "livesAlone"],
    "ElderEdge": ["cursor"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
}
ELDER_OBJECTS = {
    "ElderEdge": {"node": "Elder"},
    "ElderConnection": {"edges": "ElderEdge", "pageInfo": "PageInfo"},
}


@st.composite
def elders_request(draw) -> tuple[str, dict]:
    doc = Document()
    optional = {
        "livesAlone": ("Boolean", st.sampled_from([True, False, None])),
        "first": ("Int!", st.sampled_from([1, 2, 3, 5, 0, 20, 101, -1])),
        "after": (
            "String",
            st.sampled_from(
                [
                    cursor_of([3]),
                    cursor_of([12]),
                    cursor_of(["x"]),
                    base64.urlsafe_b64encode(b"[1180591620717411303424]").decode(),
                    "?",
                ]
            ),
        ),
        "communityId": ("ID", st.sampled_from(["Q29tbXVuaXR5OjE", "Q29tbXVuaXR5OjI", "bad-id"])),
    }
    arguments = []
    for name in [name for name in optional if draw(st.integers(0, 2)) < (2 if name == "first" else 1)]:
        type_, strategy = optional[name]
        value = draw(strategy)
        if draw(st.booleans()):
            arguments.append(f"{name}: {doc.variable(name, type_, value)}")
        else:
            arguments.append(f"{name}: {orjson.dumps(value).decode()}")
    body = draw(selection("ElderConnection", doc, scalars=ELDER_SCALARS, objects=ELDER_OBJECTS))
    root = f"elders{'(' + ', '.join(arguments) + ')' if arguments else ''} {{ {body} }}"
    definitions = ", ".join(f"${name}: {type_}" for name, type_ in doc.definitions.items())
    header = f"query Elders({definitions})" if definitions else "query Elders"
    return " ".join([f"{header} {{ {root} }}", *doc.fragments]), doc.values


async def test_elders_compiled_answer_and_log_as_the_resolvers_do(client_with, session, settings):
    tokens = await callers(session, settings)
    drawn = draw_cases(elders_request(), st.sampled_from(CALLERS), count=EXAMPLES, seed=SEED)
    compiled_answers = with_reads = 0
    async with client_with(compiled_reads=True) as fast, client_with(compiled_reads=False) as slow:
        for query, variables, caller in drawn:
            asked = await ask_both(
                fast,
                slow,
                query,
                variables,
                token=tokens[caller] if caller else None,
                logged=lambda response: logged(session, response.headers["x-request-id"]),
            )
            if not asked.expected[1].get("errors"):
                compiled_answers += 1
                with_reads += bool(asked.log)
    print("elders: compiled answers", compiled_answers, "with reads", with_reads)
    assert compiled_answers >= EXAMPLES // 4 and with_reads >= EXAMPLES // 10, (compiled_answers, with_reads)
