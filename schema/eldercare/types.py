"""Elder-care types of the graph: elders, devices, vitals, alerts, events, results and inputs."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import eldercare as elder_models
from resolvers import eldercare as elder_service
from resolvers import loaders
from schema.common import (
    DomainError,
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    encode_global_id,
    pk_of,
    register_domain_errors,
)
from schema.node import load_for_viewer, register_node
from schema.people import Community, fetch_community
from schema.permissions import forbidden

ReadingKind = strawberry.enum(elder_models.ReadingKind, name="ReadingKind")
DeviceKind = strawberry.enum(elder_models.DeviceKind, name="DeviceKind")
CareAlertKind = strawberry.enum(elder_models.AlertKind, name="CareAlertKind")
CareAlertSeverity = strawberry.enum(elder_models.AlertSeverity, name="CareAlertSeverity")
CareAlertStatus = strawberry.enum(elder_models.AlertStatus, name="CareAlertStatus")
CareAlertEventType = strawberry.enum(elder_models.AlertEventType, name="CareAlertEventType")


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

    @classmethod
    def shown(cls, info: Info, model: elder_models.CareVisit) -> "CareVisit":
        """The visit as the viewer gets it: a health read, logged."""
        info.context.note_health_read(model.elder_id, "visits")
        return cls.from_model(model)

    @strawberry.field
    async def elder(self, info: Info) -> "Elder":
        return await visible_elder(info, self.model.elder_id)


@register_node("CareVisit")
async def fetch_visit(info: Info, pk: int) -> CareVisit | None:
    model = await load_for_viewer(info, loaders.visible_visit_by_id_loader, pk)
    return CareVisit.shown(info, model) if model is not None else None


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

    @classmethod
    def shown(cls, info: Info, model: elder_models.Elder) -> "Elder":
        """The elder as the viewer gets it: who is in care, their age and living alone are
        sensitive too, so the read is logged."""
        info.context.note_health_read(model.id, "profile")
        return cls.from_model(model)

    @strawberry.field
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.model.community_id)

    @strawberry.field
    async def devices(self, info: Info) -> list[Device]:
        info.context.note_health_read(self.model.id, "devices")
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
        info.context.note_health_read(self.model.id, "alerts")  # "none" is an answer about her too
        models = await info.context.loader(loaders.alerts_by_elder_id_loader).load(self.model.id)
        wanted = {value.value for value in status} if status else None
        return [CareAlert.shown(info, model) for model in models if wanted is None or model.status in wanted]

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
        return [CareVisit.shown(info, model) for model in models]


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

    @classmethod
    def shown(cls, info: Info, model: elder_models.CareAlert) -> "CareAlert":
        """The alert as the viewer gets it: a health read, logged."""
        info.context.note_health_read(model.elder_id, "alerts")
        return cls.from_model(model)

    @strawberry.field
    async def elder(self, info: Info) -> Elder:
        return await visible_elder(info, self.model.elder_id)


async def visible_elder(info: Info, pk: int) -> Elder:
    """The elder behind an alert or a visit, for those who may see the elder. A device gateway is
    told of the alerts its readings raised, but cannot follow them to the elder's data."""
    model = await load_for_viewer(info, loaders.visible_elder_by_id_loader, pk)
    if model is None:
        raise forbidden()
    return Elder.shown(info, model)


@register_node("Elder")
async def fetch_elder(info: Info, pk: int) -> Elder | None:
    model = await load_for_viewer(info, loaders.visible_elder_by_id_loader, pk)
    return Elder.shown(info, model) if model is not None else None


@register_node("CareAlert")
async def fetch_alert(info: Info, pk: int) -> CareAlert | None:
    model = await load_for_viewer(info, loaders.visible_alert_by_id_loader, pk)
    return CareAlert.shown(info, model) if model is not None else None


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
    raised: strawberry.Private[list[elder_models.CareAlert]]

    @strawberry.field
    def alerts_raised(self, info: Info) -> list[CareAlert]:
        # Logged as a health read only when the caller asks for the alerts.
        return [CareAlert.shown(info, alert) for alert in self.raised]

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


def reading_from_input(_type: type, value, _context) -> elder_service.ReadingIn:
    """graphql-core has checked and coerced every field (enum, DateTime); a gateway sends 500 of
    these a batch, so they become the domain's ReadingIn directly instead of through strawberry's
    generic, field-by-field conversion (the `from_input` hook strawberry offers integrations)."""
    return elder_service.ReadingIn(
        device_serial=value["deviceId"],
        kind=value["kind"].value,  # graphql-core has made it a ReadingKind
        value=value.get("value"),
        measured_at=value["measuredAt"],
    )


ReadingInput.__strawberry_definition__.from_input = reading_from_input


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


def optional_pk(global_id: str | None, type_name: str) -> int | None:
    return pk_of(global_id, type_name) if global_id else None
