"""Elder-care types of the graph: elders, devices, vitals, alerts, events, results and inputs."""

from datetime import datetime
from typing import Annotated, ClassVar

import strawberry
from strawberry.types import Info

from models import eldercare as elder_models
from resolvers import eldercare as elder_service
from resolvers.clock import SHANGHAI
from resolvers.compiled import Env, Selected
from resolvers.eldercare import compiled as eldercare_compiled
from resolvers.eldercare import devices as device_service
from resolvers.eldercare import errors as eldercare_failures
from resolvers.eldercare import loaders as eldercare_loaders
from resolvers.eldercare import thresholds as threshold_service
from resolvers.errors import DomainFailure
from resolvers.people import loaders as people_loaders
from schema.common import (
    DomainError,
    ErrorCode,
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    described_enum,
    encode_global_id,
    pk_of,
)
from schema.node import NodePlan, load_for_viewer, register_node, register_node_plan
from schema.people.base import Community, fetch_community
from schema.permissions import forbidden

ReadingKind = described_enum(
    elder_models.ReadingKind,
    name="ReadingKind",
    description="What a reading measures or reports. Vital signs carry a value in the unit named here and "
    "are judged against the elder's band for that vital (else the default band, DOMAIN.md); events carry "
    "no value. Each kind of device sends only some kinds (see DeviceKind).",
    values={
        "HEART_RATE": "Heart rate, beats per minute (LOINC 8867-4). Warning 41–50 or 111–130, critical ≤ 40 "
        "or ≥ 131 by default.",
        "SPO2": "Oxygen saturation by pulse oximetry, % (LOINC 59408-5). Warning 92–93, critical ≤ 91.",
        "SYSTOLIC_BP": "Systolic blood pressure, mmHg (LOINC 8480-6). Warning 91–100 or 160–219, critical "
        "≤ 90 or ≥ 220.",
        "DIASTOLIC_BP": "Diastolic blood pressure, mmHg (LOINC 8462-4). Stored and shown; no default band.",
        "BODY_TEMPERATURE": "Body temperature, °C (LOINC 8310-5). Warning 35.1–36.0 or 38.1–39.0, critical "
        "≤ 35.0 or ≥ 39.1.",
        "RESPIRATORY_RATE": "Respiratory rate, breaths per minute (LOINC 9279-1). Warning 9–11 or 21–24, "
        "critical ≤ 8 or ≥ 25.",
        "MOTION": "Movement seen by a motion sensor (no value): the elder is active.",
        "DOOR": "A door opened, from a door sensor (no value): the elder is active.",
        "SOS": "The SOS button was pressed (no value): a CRITICAL alert at once.",
        "FALL": "A fall was detected (no value): a CRITICAL alert at once.",
        "HEARTBEAT": "The device says it is alive (no value); every kind of device may send it.",
    },
)
DeviceKind = described_enum(
    elder_models.DeviceKind,
    name="DeviceKind",
    description="The kind of a home device; it decides which reading kinds the device may send (a reading "
    "of another kind is rejected, KIND_NOT_MEASURED_BY_DEVICE). Every kind also sends HEARTBEAT.",
    values={
        "WRISTBAND": "Wristband: HEART_RATE, SPO2, RESPIRATORY_RATE.",
        "BLOOD_PRESSURE_CUFF": "Blood-pressure cuff: SYSTOLIC_BP, DIASTOLIC_BP, HEART_RATE.",
        "PULSE_OXIMETER": "Pulse oximeter: SPO2, HEART_RATE.",
        "THERMOMETER": "Thermometer: BODY_TEMPERATURE.",
        "MOTION_SENSOR": "Infrared motion sensor: MOTION.",
        "DOOR_SENSOR": "Door sensor: DOOR.",
        "SOS_BUTTON": "Emergency call button: SOS.",
        "FALL_DETECTOR": "Fall detector: FALL.",
    },
)
CareAlertKind = described_enum(
    elder_models.AlertKind,
    name="CareAlertKind",
    description="Why an alert was raised.",
    values={
        "VITAL_OUT_OF_RANGE": "A vital sign outside its band (the reading kind is in the summary).",
        "SOS": "The elder pressed the SOS button.",
        "FALL": "A fall was detected.",
        "INACTIVITY": "An elder living alone (独居) showed no motion or door event for the policy's hours "
        "(4 h by default), counted between 07:00 and 22:00 Asia/Shanghai.",
        "DEVICE_OFFLINE": "A device has been silent for 30 minutes (one never heard from: since it was "
        "assigned).",
    },
)
CareAlertSeverity = described_enum(
    elder_models.AlertSeverity,
    name="CareAlertSeverity",
    description="How urgent an alert is; repeats may raise it, never lower it.",
    values={
        "INFO": "For the record; nothing to do at once.",
        "WARNING": "Needs attention: escalates to level 1 when not acknowledged within 30 minutes.",
        "CRITICAL": "Needs someone now: escalates to level 1 after 5 and level 2 after 15 minutes "
        "without acknowledgement.",
    },
)
CareAlertStatus = described_enum(
    elder_models.AlertStatus,
    name="CareAlertStatus",
    description="Where an alert is in its life: OPEN → ACKNOWLEDGED → RESOLVED (resolving an open alert "
    "acknowledges it too).",
    values={
        "OPEN": "Raised; nobody has taken it yet. Repeats add to its count.",
        "ACKNOWLEDGED": "A care worker has taken it (acknowledgedBy, acknowledgedAt); repeats still count.",
        "RESOLVED": "Done, with a note (resolvedBy, resolvedAt, resolutionNote). A new reading opens a "
        "new alert.",
    },
)
CareAlertEventType = described_enum(
    elder_models.AlertEventType,
    name="CareAlertEventType",
    description="What happened to an alert, in the live feed.",
    values={
        "OPENED": "A new alert.",
        "UPDATED": "A repeat of an open alert: its count, last-seen time and perhaps its severity changed.",
        "ACKNOWLEDGED": "A care worker acknowledged it.",
        "RESOLVED": "A care worker resolved it, or the system did (consent withdrawn; for DEVICE_OFFLINE, "
        "the device unassigned or retired), with a note.",
        "ESCALATED": "Not acknowledged in time: its escalation level went up.",
    },
)


@strawberry.type(
    description="A band for one vital sign: a value at or beyond a bound raises an alert of that level; a "
    "null bound raises nothing on its side."
)
class VitalBand:
    critical_low: float | None = strawberry.field(description="At or below: CRITICAL.")
    warning_low: float | None = strawberry.field(description="At or below: WARNING.")
    warning_high: float | None = strawberry.field(description="At or above: WARNING.")
    critical_high: float | None = strawberry.field(description="At or above: CRITICAL.")

    @classmethod
    def from_json(cls, band: dict | None) -> "VitalBand | None":
        if band is None:
            return None
        return cls(
            critical_low=band["criticalLow"],
            warning_low=band["warningLow"],
            warning_high=band["warningHigh"],
            critical_high=band["criticalHigh"],
        )


@strawberry.type(
    description="One change of an elder's own band for a vital sign, as kept in its history: who, when, why, "
    "before and after."
)
class VitalThresholdChange:
    id: strawberry.ID = strawberry.field(description="Global ID of the change.")
    elder_id: strawberry.ID = strawberry.field(description="Global ID of the Elder.")
    kind: ReadingKind = strawberry.field(description="The vital sign.")
    before: VitalBand | None = strawberry.field(
        description="The elder's own band before; null when they had none (the default band applied)."
    )
    after: VitalBand | None = strawberry.field(
        description="The elder's own band after; null when cleared (the default band applies again)."
    )
    reason: str = strawberry.field(description="Why it was changed.")
    changed_at: datetime = strawberry.field(description="When.")
    changed_by_id: strawberry.ID = strawberry.field(description="The Person who changed it.")

    @classmethod
    def from_change(cls, made: threshold_service.ThresholdChange) -> "VitalThresholdChange":
        return cls.from_model(made.change)

    @classmethod
    def from_model(cls, change: elder_models.VitalThresholdChange) -> "VitalThresholdChange":
        return cls(
            id=encode_global_id("VitalThresholdChange", change.id),
            elder_id=encode_global_id("Elder", change.elder_id),
            kind=ReadingKind(change.kind),
            before=VitalBand.from_json(change.before),
            after=VitalBand.from_json(change.after),
            reason=change.reason,
            changed_at=change.changed_at,
            changed_by_id=encode_global_id("Person", change.changed_by),
        )


@strawberry.type(description="One assignment of a device to an elder, as kept in the device's history.")
class DeviceAssignment:
    elder_id: strawberry.ID = strawberry.field(description="Global ID of the Elder who had the device.")
    assigned_at: datetime = strawberry.field(description="When the assignment began (deviceAssign).")
    unassigned_at: datetime | None = strawberry.field(
        description="When it ended (deviceUnassign or deviceRetire); null while it stands."
    )

    @classmethod
    def from_model(cls, model: elder_models.DeviceAssignment) -> "DeviceAssignment":
        return cls(
            elder_id=encode_global_id("Elder", model.elder_id),
            assigned_at=model.assigned_at,
            unassigned_at=model.unassigned_at,
        )


@strawberry.type(
    description="A home device of a community, given to at most one of its elders at a time; seen by those "
    "who may see the elder, and by the community's care staff and office in the answers of the device "
    "mutations."
)
class Device:
    id: strawberry.ID = strawberry.field(description="Global ID of the device (not its serial).")
    serial: str = strawberry.field(
        description="The serial it is registered by, which a gateway names in ReadingInput.deviceSerial "
        '(e.g. "WB-NM-0001").'
    )
    kind: DeviceKind = strawberry.field(description="What kind of device it is, so what it measures.")
    last_seen_at: datetime | None = strawberry.field(
        description="When its newest stored reading was measured since its assignment; null when never heard "
        "from since (it counts as silent from its assignment)."
    )
    elder_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the Elder it is assigned to now; null when assigned to nobody (its "
        "readings are then rejected, DEVICE_NOT_ASSIGNED)."
    )
    assigned_at: datetime | None = strawberry.field(
        description="When its current assignment began; null when assigned to nobody."
    )
    retired_at: datetime | None = strawberry.field(
        description="When it was retired (deviceRetire); null while in service."
    )
    retired_reason: str | None = strawberry.field(description="Why it was retired; null while in service.")
    model: strawberry.Private[elder_models.Device]

    @classmethod
    def from_model(cls, model: elder_models.Device) -> "Device":
        return cls(
            id=encode_global_id("Device", model.id),
            serial=model.serial,
            kind=DeviceKind(model.kind),
            last_seen_at=model.last_seen_at,
            elder_id=encode_global_id("Elder", model.elder_id) if model.elder_id else None,
            assigned_at=model.assigned_at,
            retired_at=model.retired_at,
            retired_reason=model.retired_reason,
            model=model,
        )

    @strawberry.field(description="The community the device belongs to.")
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.model.community_id)

    @strawberry.field(
        description="Who had the device when, newest first: every assignment, the standing one included. "
        "For care staff and the COMMUNITY_ADMIN of the device's community, and ADMIN; null for anyone else "
        "(a family member who sees the device through the elder). Each elder named is a logged read of "
        "their devices."
    )
    async def assignments(self, info: Info) -> list[DeviceAssignment] | None:
        if not device_service.runs_care_of(info.context.viewer, self.model.community_id):
            return None
        models = await info.context.loader(eldercare_loaders.assignments_by_device_id_loader).load(
            self.model.id
        )
        for model in models:  # who had which device is a read of that elder's devices
            info.context.note_health_read(model.elder_id, "devices")
        return [DeviceAssignment.from_model(model) for model in models]


@strawberry.type(description="The latest reading of one vital sign.")
class Vital:
    kind: ReadingKind = strawberry.field(description="Which vital sign.")
    value: float = strawberry.field(description="The value, in `unit`.")
    unit: str = strawberry.field(description='The unit of `value`: "次/分", "%", "mmHg" or "°C".')
    loinc: str | None = strawberry.field(
        description="Its LOINC code (as FHIR uses them), e.g. 8867-4 for heart rate."
    )
    measured_at: datetime = strawberry.field(description="When the device measured it.")


@strawberry.type(
    description="A visit or call to an elder by care staff (日常关爱), as logged by careVisitLog: "
    "health data."
)
class CareVisit(Node):
    kind: str = strawberry.field(description="VISIT (at home), CALL, VIDEO_CALL or ESCORT (accompanied out).")
    note: str = strawberry.field(description="What the care worker noted.")
    visited_at: datetime = strawberry.field(description="When it took place.")
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
    def logged_read(cls, info: Info, model: elder_models.CareVisit) -> "CareVisit":
        """The visit as the viewer gets it: a health read, logged."""
        info.context.note_health_read(model.elder_id, "visits")
        return cls.from_model(model)

    @strawberry.field(description="The elder visited.")
    async def elder(self, info: Info) -> "Elder":
        return await visible_elder(info, self.model.elder_id)


@register_node("CareVisit")
async def fetch_visit(info: Info, pk: int) -> CareVisit | None:
    model = await load_for_viewer(info, eldercare_loaders.visible_visit_by_id_loader, pk)
    return CareVisit.logged_read(info, model) if model is not None else None


@strawberry.type(
    description="An elder in home care (智慧养老): health data (PIPL art. 28). Seen by care staff of the "
    "elder's community, administrators, and family members the elder consented to share with; every "
    "read is written to the access log."
)
class Elder(Node):
    name: str = strawberry.field(description="The elder's name.")
    lives_alone: bool = strawberry.field(
        description="Lives alone (独居): watched for inactivity between 07:00 and 22:00."
    )
    model: strawberry.Private[elder_models.Elder]

    @classmethod
    def from_model(cls, model: elder_models.Elder) -> "Elder":
        return cls(
            id=encode_global_id("Elder", model.id),
            name=model.name,
            lives_alone=model.lives_alone,
            model=model,
        )

    @strawberry.field(description="Age in whole years today (Asia/Shanghai).")
    def age(self, info: Info) -> int:
        # The request's clock, not the wall clock: a test or a replay sees the age of its own day.
        today = info.context.clock().astimezone(SHANGHAI).date()
        return elder_service.age_on(self.model.birth_date, today)

    @classmethod
    def logged_read(cls, info: Info, model: elder_models.Elder) -> "Elder":
        """The elder as the viewer gets it: who is in care, their age and living alone are
        sensitive too, so the read is logged."""
        info.context.note_health_read(model.id, "profile")
        return cls.from_model(model)

    @strawberry.field(description="The community the elder lives in.")
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.model.community_id)

    @strawberry.field(description="The elder's devices, in the order they were registered.")
    async def devices(self, info: Info) -> list[Device]:
        info.context.note_health_read(self.model.id, "devices")
        models = await info.context.loader(eldercare_loaders.devices_by_elder_id_loader).load(self.model.id)
        return [Device.from_model(d) for d in models]

    @strawberry.field(description="The elder's alerts, newest first.")
    async def alerts(
        self,
        info: Info,
        status: Annotated[
            list[CareAlertStatus] | None,
            strawberry.argument(
                description="Only alerts in one of these statuses; all when omitted or empty."
            ),
        ] = strawberry.UNSET,
    ) -> list["CareAlert"]:
        info.context.note_health_read(self.model.id, "alerts")  # "none" is an answer about her too
        models = await info.context.loader(eldercare_loaders.alerts_by_elder_id_loader).load(self.model.id)
        wanted = {value.value for value in status} if status else None
        return [
            CareAlert.logged_read(info, model) for model in models if wanted is None or model.status in wanted
        ]

    @strawberry.field(description="The newest reading of each vital sign in the last 7 days.")
    async def latest_vitals(self, info: Info) -> list[Vital]:
        info.context.note_health_read(self.model.id, "vitals")
        readings = await info.context.loader(eldercare_loaders.latest_vitals_by_elder_id_loader).load(
            self.model.id
        )
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
        models = await info.context.loader(eldercare_loaders.visits_by_elder_id_loader).load(self.model.id)
        return [CareVisit.logged_read(info, model) for model in models]

    @strawberry.field(
        description="Every change of the elder's own vital-sign bands (vitalThresholdSet, "
        "vitalThresholdClear), newest first: who, when, why, before and after. For care staff and the "
        "COMMUNITY_ADMIN of the elder's community, and ADMIN; null for anyone else (family). The read is "
        "logged."
    )
    async def threshold_history(
        self,
        info: Info,
        kind: Annotated[
            ReadingKind | None,
            strawberry.argument(description="Only the changes of this vital sign; all when omitted."),
        ] = strawberry.UNSET,
    ) -> list[VitalThresholdChange] | None:
        if not device_service.runs_care_of(info.context.viewer, self.model.community_id):
            return None
        info.context.note_health_read(self.model.id, "thresholds")
        models = await info.context.loader(eldercare_loaders.threshold_changes_by_elder_id_loader).load(
            self.model.id
        )
        return [
            VitalThresholdChange.from_model(model) for model in models if not kind or model.kind == kind.value
        ]


@strawberry.type(description="A care worker who acted on an alert: the name only.")
class CareResponder:
    name: str = strawberry.field(description="The care worker's name (no phone number).")


async def responder(info: Info, person_id: int | None) -> CareResponder | None:
    if person_id is None:
        return None
    person = await info.context.loader(people_loaders.person_by_id_loader).load(person_id)
    return CareResponder(name=person.name) if person is not None else None


@strawberry.type(
    description="A care alert about one elder: one open alert per elder, kind and reading kind, which "
    "repeats count into. Seen by those who may see the elder; acknowledged and resolved by care staff of the "
    "elder's community."
)
class CareAlert(Node):
    kind: CareAlertKind = strawberry.field(description="Why it was raised.")
    severity: CareAlertSeverity = strawberry.field(
        description="How urgent; repeats may raise it, never lower it."
    )
    status: CareAlertStatus = strawberry.field(description="OPEN, ACKNOWLEDGED or RESOLVED.")
    summary: str = strawberry.field(
        description="What happened, for people (Chinese), from the newest reading."
    )
    count: int = strawberry.field(description="How many readings (or job runs) raised or repeated it.")
    opened_at: datetime = strawberry.field(description="When it was opened.")
    last_seen_at: datetime = strawberry.field(description="When the newest reading behind it was measured.")
    escalation_level: int = strawberry.field(
        description="0 at first; 1 (supervisor) and 2 (family contacts) as it goes unacknowledged: critical "
        "after 5 and 15 minutes, warning after 30 minutes to level 1."
    )
    acknowledged_at: datetime | None = strawberry.field(
        description="When it was acknowledged; null until then."
    )
    resolved_at: datetime | None = strawberry.field(description="When it was resolved; null until then.")
    resolution_note: str | None = strawberry.field(
        description="The note it was resolved with; null until then."
    )
    acknowledged_by_id: strawberry.Private[int | None]
    resolved_by_id: strawberry.Private[int | None]
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
            acknowledged_by_id=model.acknowledged_by,
            resolved_by_id=model.resolved_by,
            model=model,
        )

    @classmethod
    def as_of(cls, model: elder_models.CareAlert, event: elder_models.CareAlertEvent) -> "CareAlert":
        """The alert as `event` left it (an event from before migration 0012 has no copy: the alert
        as it is now). It is acknowledged and resolved once each, so the status then says whether
        those were done yet."""
        alert = cls.from_model(model)
        if event.status is None:
            return alert
        status = elder_models.AlertStatus(event.status)
        alert.status, alert.severity = CareAlertStatus(status), CareAlertSeverity(event.severity)
        alert.count, alert.escalation_level = event.count, event.escalation_level
        alert.summary, alert.last_seen_at = event.summary, event.last_seen_at
        if status == elder_models.AlertStatus.OPEN:
            alert.acknowledged_at = alert.acknowledged_by_id = None
        if status != elder_models.AlertStatus.RESOLVED:
            alert.resolved_at = alert.resolved_by_id = alert.resolution_note = None
        return alert

    @classmethod
    def logged_read(cls, info: Info, model: elder_models.CareAlert) -> "CareAlert":
        """The alert as the viewer gets it: a health read, logged."""
        info.context.note_health_read(model.elder_id, "alerts")
        return cls.from_model(model)

    @strawberry.field(
        description="Who acknowledged it (resolving an unacknowledged alert acknowledges it too)."
    )
    async def acknowledged_by(self, info: Info) -> CareResponder | None:
        return await responder(info, self.acknowledged_by_id)

    @strawberry.field(description="Who resolved it (with the note in resolutionNote).")
    async def resolved_by(self, info: Info) -> CareResponder | None:
        return await responder(info, self.resolved_by_id)

    @strawberry.field(
        description="The elder it is about (a device gateway, told of the alerts its readings raised, may "
        "not follow this: FORBIDDEN)."
    )
    async def elder(self, info: Info) -> Elder:
        return await visible_elder(info, self.model.elder_id)


async def visible_elder(info: Info, pk: int) -> Elder:
    """The elder behind an alert or a visit, for those who may see the elder. A device gateway is
    told of the alerts its readings raised, but cannot follow them to the elder's data."""
    model = await load_for_viewer(info, eldercare_loaders.visible_elder_by_id_loader, pk)
    if model is None:
        raise forbidden()
    return Elder.logged_read(info, model)


@register_node("Elder")
async def fetch_elder(info: Info, pk: int) -> Elder | None:
    model = await load_for_viewer(info, eldercare_loaders.visible_elder_by_id_loader, pk)
    return Elder.logged_read(info, model) if model is not None else None


@register_node("CareAlert")
async def fetch_alert(info: Info, pk: int) -> CareAlert | None:
    model = await load_for_viewer(info, eldercare_loaders.visible_alert_by_id_loader, pk)
    return CareAlert.logged_read(info, model) if model is not None else None


@register_node_plan("CareAlert")
def plan_alert_node(context, selections: tuple[Selected, ...], env: Env) -> NodePlan | None:
    """node(id:) of a CareAlert on the compiled read path: as fetch_alert, null for no one signed
    in, else the alert if the viewer may see its elder (bound per request), its reads noted."""
    if context.viewer is None:
        return None
    prepared, values = eldercare_compiled.plan_alert_node(selections, viewer=context.viewer)

    def found(columns: tuple) -> None:
        for elder_id, what in eldercare_compiled.alert_reads(selections, columns[0]):
            context.note_health_read(elder_id, what)

    return NodePlan(prepared, values, found)


@strawberry.type(description="One alert in a page of alerts.")
class CareAlertEdge:
    cursor: str = strawberry.field(description="This edge's position (opaque): pass it as `after` to go on.")
    node: CareAlert = strawberry.field(description="The alert.")


@strawberry.type(description="A page of alerts, newest first (keyset pagination: `first` and `after`).")
class CareAlertConnection:
    edges: list[CareAlertEdge] = strawberry.field(description="This page's alerts, newest first.")
    page_info: PageInfo = strawberry.field(
        description="Whether more follow: ask again with `after: pageInfo.endCursor`."
    )
    where: strawberry.Private[elder_service.AlertFilter]

    @strawberry.field(
        description="How many alerts match the filters in all pages (a read of each elder counted)."
    )
    async def total_count(self, info: Info) -> int:
        count, elders = await elder_service.count_alerts(
            session=info.context.session, viewer=info.context.viewer, where=self.where
        )
        for elder_id in elders:  # a count of an elder's alerts is a read of them
            info.context.note_health_read(elder_id, "alerts")
        return count


@strawberry.type(description="One elder in a page of elders.")
class ElderEdge:
    cursor: str = strawberry.field(description="This edge's position (opaque): pass it as `after` to go on.")
    node: Elder = strawberry.field(description="The elder.")


@strawberry.type(description="A page of the elders the viewer may see, by ID (keyset pagination).")
class ElderConnection:
    edges: list[ElderEdge] = strawberry.field(description="This page's elders.")
    page_info: PageInfo = strawberry.field(
        description="Whether more follow: ask again with `after: pageInfo.endCursor`."
    )


@strawberry.type(description="One change of one alert, in the order of the global sequence.")
class CareAlertEvent:
    sequence: int = strawberry.field(
        description="Its place in the global order of alert events (increasing); pass the last one seen as "
        "afterSequence when reconnecting."
    )
    type: CareAlertEventType = strawberry.field(description="What happened.")
    alert: CareAlert = strawberry.field(
        description="The alert as this event left it (status, severity, count, escalation level, summary), "
        "also on a replay."
    )
    at: datetime = strawberry.field(description="When it happened.")


@strawberry.type(description="The care board of the elders the viewer may see (optionally one community).")
class CareDashboard:
    open_critical: int = strawberry.field(description="Open (not yet acknowledged) CRITICAL alerts.")
    open_warning: int = strawberry.field(description="Open (not yet acknowledged) WARNING alerts.")
    overdue_unacknowledged: int = strawberry.field(
        description="Open alerts already escalated (not acknowledged in time)."
    )
    elders_monitored: int = strawberry.field(description="Elders with at least one device.")
    devices_offline: int = strawberry.field(
        description="Devices silent for 30 minutes or more (never heard from: since their assignment)."
    )


@strawberry.type(description="A reading that was not stored, and why (the others were).")
class RejectedReading:
    index: int = strawberry.field(description="Its position in the batch sent, from 0.")
    device_serial: str | None = strawberry.field(
        description="The serial of the device the reading named (null when it named none)."
    )
    device_id: str = strawberry.field(
        description="The same serial as deviceSerial, empty when the reading named none.",
        deprecation_reason="Use deviceSerial: the same serial (empty here when the reading named none).",
    )
    code: ErrorCode = strawberry.field(
        description="Why (see ErrorCode): UNKNOWN_DEVICE, KIND_NOT_MEASURED_BY_DEVICE, "
        "DEVICE_SERIAL_MISSING, DEVICE_SERIAL_GIVEN_TWICE, UNKNOWN_KIND, INVALID_TIME, IN_THE_FUTURE, "
        "IMPOSSIBLE_VALUE."
    )
    message: str = strawberry.field(description="Why, for people (Chinese).")


@strawberry.type(description="A batch stored: what was new, what was a repeat, what was rejected and why.")
class ReadingsRecorded:
    accepted: int = strawberry.field(description="Readings stored now.")
    duplicates: int = strawberry.field(
        description="Valid readings already stored (same device, kind and measuredAt): a retry is safe."
    )
    raised: strawberry.Private[list[elder_models.CareAlert]]

    @strawberry.field(
        description="Alerts these readings opened or repeated (a gateway may not follow their elder)."
    )
    def alerts_raised(self, info: Info) -> list[CareAlert]:
        # Logged as a health read only when the caller asks for the alerts.
        return [CareAlert.logged_read(info, alert) for alert in self.raised]

    rejected: list[RejectedReading] = strawberry.field(description="Readings not stored, each with why.")


@strawberry.type(
    description="Nothing stored: the batch is empty (EMPTY_BATCH), too large (BATCH_TOO_LARGE, over 500) or "
    "has no valid reading (NO_VALID_READINGS, with each reading's reason)."
)
class InvalidReadings(DomainError):
    answers: ClassVar[type[DomainFailure]] = eldercare_failures.InvalidReadings

    rejected: list[RejectedReading] = strawberry.field(
        default_factory=list, description="Each reading's reason, for NO_VALID_READINGS; else empty."
    )


def present_rejections(rejections: list) -> list[RejectedReading]:
    return [
        RejectedReading(
            index=r.index,
            device_serial=r.device_serial,
            device_id=r.device_serial or "",
            code=r.code,
            message=r.message,
        )
        for r in rejections
    ]


@strawberry.input(
    description="One reading of one device, named by its serial in deviceSerial (or, deprecated, in "
    "deviceId): exactly one of the two, else this reading alone is rejected (DEVICE_SERIAL_MISSING, "
    "DEVICE_SERIAL_GIVEN_TWICE) and the rest of the batch is stored."
)
class ReadingInput:
    device_serial: str | None = strawberry.field(
        default=strawberry.UNSET,
        description='The device\'s serial as registered (Device.serial, e.g. "WB-NM-0001"), not its '
        "global Device.id. Give this or deviceId, not both.",
    )
    device_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The device's serial, as deviceSerial (not Device.id, despite its name).",
        deprecation_reason="Use deviceSerial: this takes the device's serial too, not Device.id. "
        "Give one of the two, not both.",
    )
    kind: ReadingKind = strawberry.field(description="What it measures; the device's kind must measure it.")
    value: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="The value in the unit of its kind (see ReadingKind); required for vital signs (else "
        "IMPOSSIBLE_VALUE), omitted for events (MOTION, DOOR, SOS, FALL, HEARTBEAT).",
    )
    measured_at: datetime = strawberry.field(
        description="When the device measured it, with its offset; at most 5 minutes ahead of the "
        "server's clock."
    )


def reading_from_input(_type: type, value, _context) -> elder_service.ReadingIn:
    """graphql-core has checked and coerced every field (enum, DateTime); a gateway sends 500 of
    these a batch, so they become the domain's ReadingIn directly instead of through strawberry's
    generic, field-by-field conversion (the `from_input` hook strawberry offers integrations).
    Whether exactly one of deviceSerial and deviceId was given is the domain's check, per reading."""
    serial, alias = value.get("deviceSerial"), value.get("deviceId")
    return elder_service.ReadingIn(
        device_serial=alias if serial is None else serial,
        kind=value["kind"].value,  # graphql-core has made it a ReadingKind
        value=value.get("value"),
        measured_at=value["measuredAt"],
        serial_given_twice=serial is not None and alias is not None,
    )


ReadingInput.__strawberry_definition__.from_input = reading_from_input


@strawberry.input(description="A visit or call to log (care staff of the elder's community).")
class CareVisitLogInput:
    elder_id: strawberry.ID = strawberry.field(description="Global ID of the Elder.")
    kind: str = strawberry.field(
        description="VISIT, CALL, VIDEO_CALL or ESCORT (else RuleViolation UNKNOWN_VISIT_KIND)."
    )
    note: str = strawberry.field(description="What happened; not blank (else NOTE_REQUIRED).")
    visited_at: datetime = strawberry.field(
        description="When it took place; not in the future (IN_THE_FUTURE)."
    )


ReadingsRecordResult = Annotated[
    ReadingsRecorded | InvalidReadings,
    strawberry.union(
        "ReadingsRecordResult",
        description="The batch stored (valid readings kept, the rest listed in rejected), or InvalidReadings "
        "when nothing could be.",
    ),
]
CareAlertUpdateResult = Annotated[
    CareAlert | RuleViolation | NotFound,
    strawberry.union(
        "CareAlertUpdateResult",
        description="The alert as changed, or RuleViolation (ALREADY_ACKNOWLEDGED, ALREADY_RESOLVED, "
        "NOTE_REQUIRED), or NotFound (no such alert, or not of the viewer's community).",
    ),
]
CareVisitLogResult = Annotated[
    CareVisit | RuleViolation | NotFound,
    strawberry.union(
        "CareVisitLogResult",
        description="The visit logged, or RuleViolation (UNKNOWN_VISIT_KIND, NOTE_REQUIRED, IN_THE_FUTURE), "
        "or NotFound (no such elder in the viewer's community).",
    ),
]


def optional_pk(global_id: str | None, type_name: str) -> int | None:
    return pk_of(global_id, type_name) if global_id else None
