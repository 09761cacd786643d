"""The elder-care office in the graph: devices (register, assign, unassign, retire), an elder's own
vital-sign bands, and the care policy (ADMIN). Each change is audited; each refusal a DomainError."""

import re
from datetime import time
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import eldercare as elder_models
from models.people import Role
from resolvers.eldercare import devices as device_service
from resolvers.eldercare import thresholds as threshold_service
from resolvers.errors import DomainFailure, ErrorCode
from schema.common import NotFound, RuleViolation, mutation_result, pk_of
from schema.eldercare.types import (
    Device,
    DeviceKind,
    ReadingKind,
    VitalThresholdChange,
    optional_pk,
)
from schema.permissions import has_role

CARE_OFFICE = (Role.CARE_STAFF, Role.COMMUNITY_ADMIN, Role.ADMIN)
WHO = (
    "Care staff and the COMMUNITY_ADMIN of the device's community, and ADMIN (anyone else of those roles "
    "finds no such device: NotFound)."
)


@strawberry.input(description="A new device: its serial and kind; its community for ADMIN.")
class DeviceRegisterInput:
    serial: str = strawberry.field(
        description="The serial a gateway will name it by (ReadingInput.deviceSerial): 1–64 letters, digits "
        "and -_.: starting with a letter or digit (else INVALID_DEVICE_SERIAL); no other device's, retired "
        "ones included (else DEVICE_SERIAL_TAKEN)."
    )
    kind: DeviceKind = strawberry.field(description="What kind of device it is, so what it may measure.")
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The Community it belongs to: ADMIN names one (else COMMUNITY_REQUIRED); staff and "
        "offices register in their own (another: OTHER_COMMUNITY).",
    )


DeviceResult = Annotated[
    Device | RuleViolation | NotFound,
    strawberry.union(
        "DeviceResult",
        description="The device as changed; or the rule that said no (RuleViolation); or NotFound (no such "
        "device or elder, or not of the caller's community).",
    ),
]


VitalThresholdResult = Annotated[
    VitalThresholdChange | RuleViolation | NotFound,
    strawberry.union(
        "VitalThresholdResult",
        description="The change as recorded; or the rule that said no (RuleViolation: NOT_A_VITAL, "
        "REASON_REQUIRED, THRESHOLD_EMPTY, THRESHOLD_OUT_OF_RANGE, THRESHOLDS_NOT_ORDERED, "
        "THRESHOLD_NOT_SET); "
        "or NotFound (no such elder, or not of the caller's community).",
    ),
]


@strawberry.type(description="The alerting defaults every community's jobs follow (one for all).")
class CarePolicy:
    inactivity_hours: int = strawberry.field(
        description="An elder living alone with no motion or door event this long (in the day) raises "
        "INACTIVITY."
    )
    day_starts_at: str = strawberry.field(description="When the day of the inactivity rule starts (HH:MM).")
    day_ends_at: str = strawberry.field(description="When it ends (HH:MM), Asia/Shanghai.")
    device_offline_minutes: int = strawberry.field(
        description="A device silent this long raises DEVICE_OFFLINE."
    )
    critical_level1_minutes: int = strawberry.field(
        description="An unacknowledged CRITICAL alert escalates to level 1 after this long."
    )
    critical_level2_minutes: int = strawberry.field(description="… and to level 2 after this long.")
    warning_level1_minutes: int = strawberry.field(
        description="An unacknowledged WARNING alert escalates to level 1 after this long."
    )

    @classmethod
    def from_model(cls, model: elder_models.CarePolicy) -> "CarePolicy":
        return cls(
            inactivity_hours=model.inactivity_hours,
            day_starts_at=model.day_starts_at.strftime("%H:%M"),
            day_ends_at=model.day_ends_at.strftime("%H:%M"),
            device_offline_minutes=model.device_offline_minutes,
            critical_level1_minutes=model.critical_level1_minutes,
            critical_level2_minutes=model.critical_level2_minutes,
            warning_level1_minutes=model.warning_level1_minutes,
        )


@strawberry.input(description="Only what is given changes; the whole must stay sane (database CHECKs).")
class CarePolicyUpdateInput:
    inactivity_hours: int | None = strawberry.field(
        default=None, description="1–24 (else POLICY_INACTIVITY_HOURS)."
    )
    day_starts_at: str | None = strawberry.field(
        default=None,
        description="HH:MM (else INVALID_TIME_OF_DAY), before dayEndsAt (else POLICY_DAY_ORDER).",
    )
    day_ends_at: str | None = strawberry.field(default=None, description="HH:MM, after dayStartsAt.")
    device_offline_minutes: int | None = strawberry.field(
        default=None, description="1–1440 (else POLICY_OFFLINE_MINUTES)."
    )
    critical_level1_minutes: int | None = strawberry.field(
        default=None,
        description="1–1440 and less than criticalLevel2Minutes (else POLICY_ESCALATION_ORDER).",
    )
    critical_level2_minutes: int | None = strawberry.field(default=None, description="Up to 1440.")
    warning_level1_minutes: int | None = strawberry.field(default=None, description="1–1440.")


CarePolicyResult = Annotated[
    CarePolicy | RuleViolation,
    strawberry.union(
        "CarePolicyResult",
        description="The policy as changed; or the rule that said no (RuleViolation).",
    ),
]

TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def time_of_day(value: str | None) -> time | None:
    if value is None:
        return None
    matched = TIME_OF_DAY.fullmatch(value)
    if matched is None:
        raise DomainFailure(ErrorCode.INVALID_TIME_OF_DAY, f"时间格式应为 HH:MM，收到 {value!r}")
    return time(int(matched[1]), int(matched[2]))


def shown_device(info: Info, model: elder_models.Device) -> Device:
    """A device as a mutation answers it: which elder has it is a read of that elder's devices."""
    if model.elder_id is not None:
        info.context.note_health_read(model.elder_id, "devices")
    return Device.from_model(model)


def shown_change(info: Info, made: threshold_service.ThresholdChange) -> VitalThresholdChange:
    """A change of an elder's band (and why) is health data: the answer is a logged read."""
    info.context.note_health_read(made.elder.id, "thresholds")
    return VitalThresholdChange.from_change(made)


DEVICE_ID = Annotated[strawberry.ID, strawberry.argument(description="Global ID of the Device.")]
ELDER_ID = Annotated[strawberry.ID, strawberry.argument(description="Global ID of the Elder.")]
VITAL = Annotated[
    ReadingKind,
    strawberry.argument(description="A vital sign (HEART_RATE … RESPIRATORY_RATE; else NOT_A_VITAL)."),
]
REASON = Annotated[
    str, strawberry.argument(description="Why: not blank, at most 500 characters (else REASON_REQUIRED).")
]


def bound(description: str):
    return strawberry.argument(description=description)


async def policy_change(input: CarePolicyUpdateInput) -> threshold_service.PolicyChange:
    return threshold_service.PolicyChange(
        inactivity_hours=input.inactivity_hours,
        day_starts_at=time_of_day(input.day_starts_at),
        day_ends_at=time_of_day(input.day_ends_at),
        device_offline_minutes=input.device_offline_minutes,
        critical_level1_minutes=input.critical_level1_minutes,
        critical_level2_minutes=input.critical_level2_minutes,
        warning_level1_minutes=input.warning_level1_minutes,
    )


@strawberry.type
class ElderCareOfficeMutation:
    @strawberry.mutation(
        extensions=has_role(*CARE_OFFICE),
        description="A new device of a community, assigned to nobody yet (its readings are rejected until "
        "deviceAssign). Care staff and the COMMUNITY_ADMIN in their own community; ADMIN in any.",
    )
    async def device_register(
        self,
        info: Info,
        input: Annotated[DeviceRegisterInput, strawberry.argument(description="The device.")],
    ) -> DeviceResult:
        ctx = info.context
        data = device_service.DeviceInput(
            serial=input.serial,
            kind=elder_models.DeviceKind(input.kind.value),
            community_id=optional_pk(input.community_id, "Community"),
        )
        work = device_service.register_device(session=ctx.session, viewer=ctx.viewer, data=data)
        return await mutation_result(info, work, lambda device: shown_device(info, device))

    @strawberry.mutation(
        extensions=has_role(*CARE_OFFICE),
        description="Give the device to an elder of its community from now on (its history keeps every "
        "assignment). A device assigned already is refused (DEVICE_ALREADY_ASSIGNED: unassign it first, so "
        "nobody's device is taken away unnoticed); a retired one too (DEVICE_RETIRED). Its lastSeenAt starts "
        f"afresh: silent from this assignment until it is heard from. {WHO}",
    )
    async def device_assign(self, info: Info, device_id: DEVICE_ID, elder_id: ELDER_ID) -> DeviceResult:
        ctx = info.context
        work = device_service.assign_device(
            session=ctx.session,
            viewer=ctx.viewer,
            device_id=pk_of(device_id, "Device"),
            elder_id=pk_of(elder_id, "Elder"),
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda device: shown_device(info, device))

    @strawberry.mutation(
        extensions=has_role(*CARE_OFFICE),
        description="End the device's assignment now; its readings are rejected (DEVICE_NOT_ASSIGNED) until "
        "it is assigned again. Its open DEVICE_OFFLINE alert about the elder is resolved by the system in "
        f"the same transaction, with a note (the live feed carries it as RESOLVED). {WHO}",
    )
    async def device_unassign(self, info: Info, device_id: DEVICE_ID) -> DeviceResult:
        ctx = info.context
        work = device_service.unassign_device(
            session=ctx.session, viewer=ctx.viewer, device_id=pk_of(device_id, "Device"), now=ctx.clock()
        )
        return await mutation_result(info, work, lambda device: shown_device(info, device))

    @strawberry.mutation(
        extensions=has_role(*CARE_OFFICE),
        description="Take the device out of service for good, with a reason: its row and history stay, an "
        "open assignment ends (its open DEVICE_OFFLINE alert resolved by the system, with a note, as "
        f"deviceUnassign does), its readings are rejected (DEVICE_NOT_ASSIGNED). {WHO}",
    )
    async def device_retire(self, info: Info, device_id: DEVICE_ID, reason: REASON) -> DeviceResult:
        ctx = info.context
        work = device_service.retire_device(
            session=ctx.session,
            viewer=ctx.viewer,
            device_id=pk_of(device_id, "Device"),
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda device: shown_device(info, device))

    @strawberry.mutation(
        extensions=has_role(*CARE_OFFICE),
        description="The elder's own band for a vital sign, replacing the default band whole (a bound left "
        "null raises nothing on its side); kept in the band's history with the author and reason. Bounds "
        "rise: criticalLow < warningLow < warningHigh < criticalHigh (else THRESHOLDS_NOT_ORDERED). Care "
        "staff and the COMMUNITY_ADMIN of the elder's community, and ADMIN.",
    )
    async def vital_threshold_set(
        self,
        info: Info,
        elder_id: ELDER_ID,
        kind: VITAL,
        reason: REASON,
        critical_low: Annotated[float | None, bound("At or below: CRITICAL; null: none.")] = None,
        warning_low: Annotated[float | None, bound("At or below: WARNING; null: none.")] = None,
        warning_high: Annotated[float | None, bound("At or above: WARNING; null: none.")] = None,
        critical_high: Annotated[float | None, bound("At or above: CRITICAL; null: none.")] = None,
    ) -> VitalThresholdResult:
        ctx = info.context
        work = threshold_service.set_threshold(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(elder_id, "Elder"),
            kind=kind.value,
            band=threshold_service.Band(critical_low, warning_low, warning_high, critical_high),
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda made: shown_change(info, made))

    @strawberry.mutation(
        extensions=has_role(*CARE_OFFICE),
        description="Remove the elder's own band for a vital sign: the default band applies again (kept in "
        "the band's history). Care staff and the COMMUNITY_ADMIN of the elder's community, and ADMIN.",
    )
    async def vital_threshold_clear(
        self, info: Info, elder_id: ELDER_ID, kind: VITAL, reason: REASON
    ) -> VitalThresholdResult:
        ctx = info.context
        work = threshold_service.clear_threshold(
            session=ctx.session,
            viewer=ctx.viewer,
            elder_id=pk_of(elder_id, "Elder"),
            kind=kind.value,
            reason=reason,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda made: shown_change(info, made))

    @strawberry.mutation(
        extensions=has_role(Role.ADMIN),
        description="Change the alerting defaults: inactivity hours and the day they are counted in, device "
        "offline minutes, escalation minutes. The jobs follow from their next run. ADMIN only.",
    )
    async def care_policy_update(
        self,
        info: Info,
        input: Annotated[CarePolicyUpdateInput, strawberry.argument(description="What to change.")],
    ) -> CarePolicyResult:
        ctx = info.context

        async def work():
            change = await policy_change(input)
            return await threshold_service.update_policy(session=ctx.session, change=change)

        return await mutation_result(info, work(), CarePolicy.from_model)


__all__ = ["ElderCareOfficeMutation"]
