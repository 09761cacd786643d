"""智慧养老 in the graph: elders, readings in, care alerts, their live feed, the care board.

Health data (vitals, alerts, visits) is shown only to care staff of the elder's community and to
family the elder consented to; each request that reads it leaves one access-log row per elder.
"""

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from models import eldercare as elder_models
from models.people import Role
from resolvers import eldercare as elder_service
from resolvers import loaders
from resolvers.errors import DomainFailure
from schema.common import (
    DomainError,
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    bad_request,
    check_first,
    decode_cursor,
    decode_global_id,
    encode_cursor,
    encode_global_id,
    mutation_result,
    register_domain_errors,
)
from schema.node import register_node
from schema.people import Community, fetch_community
from schema.permissions import has_role, signed_in

ReadingKind = strawberry.enum(elder_models.ReadingKind, name="ReadingKind")
DeviceKind = strawberry.enum(elder_models.DeviceKind, name="DeviceKind")
CareAlertKind = strawberry.enum(elder_models.AlertKind, name="CareAlertKind")
CareAlertSeverity = strawberry.enum(elder_models.AlertSeverity, name="CareAlertSeverity")
CareAlertStatus = strawberry.enum(elder_models.AlertStatus, name="CareAlertStatus")
CareAlertEventType = strawberry.enum(elder_models.AlertEventType, name="CareAlertEventType")


def pk_of(global_id: str, type_name: str) -> int:
    return decode_global_id(global_id, type_name)[1]


@strawberry.type
class Device:
    id: strawberry.ID
    serial: str
    kind: DeviceKind
    last_seen_at: datetime | None


@strawberry.type(description="The latest reading of one vital sign.")
class Vital:
    kind: ReadingKind
    value: float
    unit: str
    loinc: str | None
    measured_at: datetime


@strawberry.type
class CareVisit(Node):
    kind: str
    note: str
    visited_at: datetime
    model: strawberry.Private[elder_models.CareVisit]

    @classmethod
    def from_model(cls, model: elder_models.CareVisit) -> "CareVisit":
        return cls(
            id=encode_global_id("CareVisit", model.id),
            kind=model.kind,
            note=model.note,
            visited_at=model.visited_at,
            model=model,
        )

    @strawberry.field
    async def elder(self, info: Info) -> "Elder":
        return Elder.from_model(
            await info.context.loader(loaders.elder_by_id_loader).load(self.model.elder_id)
        )


@strawberry.type
class Elder(Node):
    name: str
    age: int
    lives_alone: bool
    model: strawberry.Private[elder_models.Elder]

    @classmethod
    def from_model(cls, model: elder_models.Elder) -> "Elder":
        today = datetime.now(elder_service.SHANGHAI).date()
        return cls(
            id=encode_global_id("Elder", model.id),
            name=model.name,
            age=elder_service.age_on(model.birth_date, today),
            lives_alone=model.lives_alone,
            model=model,
        )

    @strawberry.field
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.model.community_id)

    @strawberry.field
    async def devices(self, info: Info) -> list[Device]:
        models = await info.context.loader(loaders.devices_by_elder_id_loader).load(self.model.id)
        return [
            Device(
                id=encode_global_id("Device", d.id),
                serial=d.serial,
                kind=DeviceKind(d.kind),
                last_seen_at=d.last_seen_at,
            )
            for d in models
        ]

    @strawberry.field
    async def alerts(
        self, info: Info, status: list[CareAlertStatus] | None = strawberry.UNSET
    ) -> list["CareAlert"]:
        info.context.note_health_read(self.model.id, "alerts")
        models = await info.context.loader(loaders.alerts_by_elder_id_loader).load(self.model.id)
        wanted = {value.value for value in status} if status else None
        return [CareAlert.from_model(model) for model in models if wanted is None or model.status in wanted]

    @strawberry.field(description="The newest reading of each vital sign in the last 7 days.")
    async def latest_vitals(self, info: Info) -> list[Vital]:
        info.context.note_health_read(self.model.id, "vitals")
        readings = await info.context.loader(loaders.latest_vitals_by_elder_id_loader).load(self.model.id)
        return [
            Vital(
                kind=ReadingKind(reading.kind),
                value=reading.value,
                unit=elder_service.UNITS[elder_models.ReadingKind(reading.kind)][1],
                loinc=reading.loinc,
                measured_at=reading.measured_at,
            )
            for reading in readings
        ]

    @strawberry.field(description="Visits and calls (日常关爱), newest first.")
    async def visits(self, info: Info) -> list[CareVisit]:
        info.context.note_health_read(self.model.id, "visits")
        models = await info.context.loader(loaders.visits_by_elder_id_loader).load(self.model.id)
        return [CareVisit.from_model(model) for model in models]


@strawberry.type
class CareAlert(Node):
    kind: CareAlertKind
    severity: CareAlertSeverity
    status: CareAlertStatus
    summary: str
    count: int
    opened_at: datetime
    last_seen_at: datetime
    escalation_level: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str | None
    model: strawberry.Private[elder_models.CareAlert]

    @classmethod
    def from_model(cls, model: elder_models.CareAlert) -> "CareAlert":
        return cls(
            id=encode_global_id("CareAlert", model.id),
            kind=CareAlertKind(model.kind),
            severity=CareAlertSeverity(model.severity),
            status=CareAlertStatus(model.status),
            summary=model.summary,
            count=model.count,
            opened_at=model.opened_at,
            last_seen_at=model.last_seen_at,
            escalation_level=model.escalation_level,
            acknowledged_at=model.acknowledged_at,
            resolved_at=model.resolved_at,
            resolution_note=model.resolution_note,
            model=model,
        )

    @strawberry.field
    async def elder(self, info: Info) -> Elder:
        return Elder.from_model(
            await info.context.loader(loaders.elder_by_id_loader).load(self.model.elder_id)
        )


@register_node("Elder")
async def fetch_elder(info: Info, pk: int) -> Elder | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    try:
        model = await elder_service.visible_elder_or_error(
            session=info.context.session, viewer=viewer, elder_id=pk
        )
    except DomainFailure:
        return None
    return Elder.from_model(model)


@register_node("CareAlert")
async def fetch_alert(info: Info, pk: int) -> CareAlert | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    page = await elder_service.list_alerts(
        session=info.context.session,
        viewer=viewer,
        where=elder_service.AlertFilter(alert_id=pk),
        first=1,
        after=None,
    )
    if not page.items:
        return None
    info.context.note_health_read(page.items[0].elder_id, "alerts")
    return CareAlert.from_model(page.items[0])


@strawberry.type
class CareAlertEdge:
    cursor: str
    node: CareAlert


@strawberry.type
class CareAlertConnection:
    edges: list[CareAlertEdge]
    page_info: PageInfo
    where: strawberry.Private[elder_service.AlertFilter]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await elder_service.count_alerts(
            session=info.context.session, viewer=info.context.viewer, where=self.where
        )


@strawberry.type
class ElderEdge:
    cursor: str
    node: Elder


@strawberry.type
class ElderConnection:
    edges: list[ElderEdge]
    page_info: PageInfo


@strawberry.type
class CareAlertEvent:
    sequence: int
    type: CareAlertEventType
    alert: CareAlert
    at: datetime


@strawberry.type
class CareDashboard:
    open_critical: int
    open_warning: int
    overdue_unacknowledged: int
    elders_monitored: int
    devices_offline: int


@strawberry.type(description="A reading that was not stored, and why (the others were).")
class RejectedReading:
    index: int
    device_id: str
    code: str
    message: str


@strawberry.type
class ReadingsRecorded:
    accepted: int
    duplicates: int
    alerts_raised: list[CareAlert]
    rejected: list[RejectedReading]


@strawberry.type
class InvalidReadings(DomainError):
    rejected: list[RejectedReading] = strawberry.field(default_factory=list)


register_domain_errors(InvalidReadings)


def present_rejections(rejections: list) -> list[RejectedReading]:
    return [
        RejectedReading(index=r.index, device_id=r.device_serial, code=r.code, message=r.message)
        for r in rejections
    ]


@strawberry.input
class ReadingInput:
    device_id: str
    kind: ReadingKind
    value: float | None = strawberry.UNSET
    measured_at: datetime


@strawberry.input
class CareVisitLogInput:
    elder_id: strawberry.ID
    kind: str
    note: str
    visited_at: datetime


ReadingsRecordResult = Annotated[ReadingsRecorded | InvalidReadings, strawberry.union("ReadingsRecordResult")]
CareAlertUpdateResult = Annotated[
    CareAlert | RuleViolation | NotFound, strawberry.union("CareAlertUpdateResult")
]
CareVisitLogResult = Annotated[CareVisit | RuleViolation | NotFound, strawberry.union("CareVisitLogResult")]


def alert_cursor(after: str | None) -> list | None:
    key = decode_cursor(after, size=2)
    if key is None:
        return None
    try:
        opened = datetime.fromisoformat(key[0])
    except (TypeError, ValueError):
        opened = None
    if opened is None or opened.tzinfo is None or not isinstance(key[1], int):
        raise bad_request(f"无效的分页游标：{after!r}", "INVALID_CURSOR")
    return [opened, key[1]]


def optional_pk(global_id: str | None, type_name: str) -> int | None:
    return pk_of(global_id, type_name) if global_id else None


async def resolve_elders(
    info: Info,
    community_id: strawberry.ID | None = strawberry.UNSET,
    lives_alone: bool | None = strawberry.UNSET,
    first: int = 20,
    after: str | None = strawberry.UNSET,
) -> ElderConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    key = decode_cursor(after or None, size=1)
    if key is not None and not isinstance(key[0], int):
        raise bad_request(f"无效的分页游标：{after!r}", "INVALID_CURSOR")
    page = await elder_service.list_elders(
        session=ctx.session,
        viewer=ctx.viewer,
        community_id=optional_pk(community_id or None, "Community"),
        lives_alone=None if lives_alone is strawberry.UNSET else lives_alone,
        first=first,
        after=key,
    )
    edges = [
        ElderEdge(cursor=encode_cursor(list(k)), node=Elder.from_model(m))
        for m, k in zip(page.items, page.keys, strict=True)
    ]
    return ElderConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
    )


async def resolve_alerts(
    info: Info,
    status: list[CareAlertStatus] | None = strawberry.UNSET,
    severity: list[CareAlertSeverity] | None = strawberry.UNSET,
    community_id: strawberry.ID | None = strawberry.UNSET,
    first: int = 20,
    after: str | None = strawberry.UNSET,
) -> CareAlertConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    where = elder_service.AlertFilter(
        statuses=[value.value for value in status or ()],
        severities=[value.value for value in severity or ()],
        community_id=optional_pk(community_id or None, "Community"),
    )
    page = await elder_service.list_alerts(
        session=ctx.session, viewer=ctx.viewer, where=where, first=first, after=alert_cursor(after or None)
    )
    for alert in page.items:
        ctx.note_health_read(alert.elder_id, "alerts")
    edges = [
        CareAlertEdge(cursor=encode_cursor([opened.isoformat(), pk]), node=CareAlert.from_model(model))
        for model, (opened, pk) in zip(page.items, page.keys, strict=True)
    ]
    return CareAlertConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        where=where,
    )


@strawberry.type
class ElderCareQuery:
    elders: ElderConnection = strawberry.field(resolver=resolve_elders, extensions=signed_in())
    care_alerts: CareAlertConnection = strawberry.field(
        resolver=resolve_alerts, extensions=signed_in(), description="Newest first."
    )

    @strawberry.field(extensions=has_role(Role.CARE_STAFF, Role.ADMIN))
    async def care_dashboard(
        self, info: Info, community_id: strawberry.ID | None = strawberry.UNSET
    ) -> CareDashboard:
        ctx = info.context
        board = await elder_service.dashboard(
            session=ctx.session,
            viewer=ctx.viewer,
            community_id=optional_pk(community_id or None, "Community"),
            now=ctx.clock(),
        )
        return CareDashboard(**vars(board))


@strawberry.type
class ElderCareMutation:
    @strawberry.mutation(
        extensions=has_role(Role.DEVICE_GATEWAY, Role.ADMIN),
        description="Device gateways push readings in batches; idempotent per (device, kind, measuredAt).",
    )
    async def readings_record(self, info: Info, readings: list[ReadingInput]) -> ReadingsRecordResult:
        ctx = info.context
        batch = [
            elder_service.ReadingIn(
                device_serial=reading.device_id,
                kind=reading.kind.value,
                value=None if reading.value is strawberry.UNSET else reading.value,
                measured_at=reading.measured_at,
            )
            for reading in readings
        ]
        work = elder_service.record_readings(session=ctx.session, readings=batch, now=ctx.clock())

        def present(result) -> ReadingsRecorded:
            for alert in result.alerts:
                ctx.note_health_read(alert.elder_id, "alerts")
            return ReadingsRecorded(
                accepted=result.accepted,
                duplicates=result.duplicates,
                alerts_raised=[CareAlert.from_model(alert) for alert in result.alerts],
                rejected=present_rejections(result.rejected),
            )

        answer = await mutation_result(ctx, work, present)
        if isinstance(answer, InvalidReadings):
            answer.rejected = present_rejections(answer.rejected)
        return answer

    @strawberry.mutation(extensions=has_role(Role.CARE_STAFF, Role.ADMIN))
    async def care_alert_acknowledge(self, info: Info, id: strawberry.ID) -> CareAlertUpdateResult:
        ctx = info.context
        work = elder_service.acknowledge(
            session=ctx.session, viewer=ctx.viewer, alert_id=pk_of(id, "CareAlert"), now=ctx.clock()
        )
        return await mutation_result(ctx, work, CareAlert.from_model)

    @strawberry.mutation(extensions=has_role(Role.CARE_STAFF, Role.ADMIN))
    async def care_alert_resolve(self, info: Info, id: strawberry.ID, note: str) -> CareAlertUpdateResult:
        ctx = info.context
        work = elder_service.resolve(
            session=ctx.session,
            viewer=ctx.viewer,
            alert_id=pk_of(id, "CareAlert"),
            note=note,
            now=ctx.clock(),
        )
        return await mutation_result(ctx, work, CareAlert.from_model)

    @strawberry.mutation(extensions=has_role(Role.CARE_STAFF, Role.ADMIN))
    async def care_visit_log(self, info: Info, input: CareVisitLogInput) -> CareVisitLogResult:
        ctx = info.context
        work = elder_service.log_visit(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(input.elder_id, "Elder"),
            kind=input.kind,
            note=input.note,
            visited_at=input.visited_at,
            now=ctx.clock(),
        )
        return await mutation_result(ctx, work, CareVisit.from_model)


@strawberry.type
class ElderCareSubscription:
    @strawberry.subscription(
        extensions=signed_in(),
        description="Alert changes as they commit, across every server replica. With afterSequence, the "
        "events missed since then are replayed first, so a client that reconnects loses nothing.",
    )
    async def care_alert_events(
        self,
        info: Info,
        community_id: strawberry.ID | None = strawberry.UNSET,
        after_sequence: int | None = strawberry.UNSET,
    ) -> AsyncGenerator[CareAlertEvent, None]:
        ctx = info.context
        community = optional_pk(community_id or None, "Community")
        feed = ctx.alert_feed
        subscriber = await feed.subscribe()  # before reading, so nothing can slip between
        try:
            if after_sequence is None or after_sequence is strawberry.UNSET:
                async with ctx.session_factory() as session:
                    last = await session.scalar(
                        select(func.coalesce(func.max(elder_models.CareAlertEvent.sequence), 0))
                    )
            else:
                last = after_sequence
            while True:
                async with ctx.session_factory() as session:
                    rows = await elder_service.events_after(
                        session=session, viewer=ctx.viewer, after=last, community_id=community
                    )
                    if rows:
                        reads = {alert.elder_id: {"alerts"} for _, alert in rows}
                        await elder_service.write_access_log(
                            session=session,
                            person_id=ctx.viewer.person_id,
                            request_id=ctx.request_id,
                            reads=reads,
                        )
                        await session.commit()
                for event, alert in rows:
                    last = event.sequence
                    yield CareAlertEvent(
                        sequence=event.sequence,
                        type=CareAlertEventType(event.type),
                        alert=CareAlert.from_model(alert),
                        at=event.at,
                    )
                if not rows:
                    await feed.wait(subscriber)
        finally:
            feed.unsubscribe(subscriber)
