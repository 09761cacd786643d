"""An elder's own vital-sign bands, and the care policy (ADMIN): changed without SQL, audited.

An elder's band for a vital replaces the default band whole (readings.STORE_READINGS): a bound left
null raises nothing on that side. Setting or clearing one needs an author (the signed-in person)
and a reason, and leaves a row in vital_threshold_changes with the band before and after. The
order of the bounds is the database's rule (ck_vital_thresholds_bands_ordered, …_bounds_ascending);
this module only names what a refusal means. Changes of one elder's band for one vital take turns
on the elder's row lock, so each history row's `before` is what the change replaced.
"""

import math
from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import CarePolicy, Elder, ReadingKind, VitalThreshold, VitalThresholdChange
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.eldercare.base import POSSIBLE
from resolvers.eldercare.devices import runs_care_of
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail, savepoint

REASON_MAX = 500


@dataclass(frozen=True)
class Band:
    critical_low: float | None = None
    warning_low: float | None = None
    warning_high: float | None = None
    critical_high: float | None = None

    def as_json(self) -> dict[str, float | None]:
        return {
            "criticalLow": self.critical_low,
            "warningLow": self.warning_low,
            "warningHigh": self.warning_high,
            "criticalHigh": self.critical_high,
        }

    @classmethod
    def of(cls, row: VitalThreshold | None) -> "Band | None":
        if row is None:
            return None
        return cls(row.critical_low, row.warning_low, row.warning_high, row.critical_high)


@dataclass(frozen=True)
class ThresholdChange:
    """What vitalThresholdSet and vitalThresholdClear answer: the history row they wrote."""

    change: VitalThresholdChange
    elder: Elder


BANDS_ORDERED = {
    name: lambda: DomainFailure(
        ErrorCode.THRESHOLDS_NOT_ORDERED, "阈值须依次递增：危急下限 < 预警下限 < 预警上限 < 危急上限"
    )
    for name in ("ck_vital_thresholds_bands_ordered", "ck_vital_thresholds_bounds_ascending")
} | {
    "ck_vital_thresholds_override_not_empty": lambda: DomainFailure(
        ErrorCode.THRESHOLD_EMPTY, "请至少给出一个阈值；恢复默认请使用清除"
    )
}


def _reason(raw: str) -> str:
    reason = raw.strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainFailure(ErrorCode.REASON_REQUIRED, f"请填写修改原因（{REASON_MAX} 字以内）")
    return reason


def _vital(kind: str) -> ReadingKind:
    reading_kind = ReadingKind(kind)
    if reading_kind not in POSSIBLE:
        raise DomainFailure(ErrorCode.NOT_A_VITAL, f"{kind} 不是生命体征，没有阈值")
    return reading_kind


def _check_bounds(kind: ReadingKind, band: Band) -> None:
    low, high = POSSIBLE[kind]
    for field in fields(band):
        value = getattr(band, field.name)
        if value is not None and (not math.isfinite(value) or not low <= value <= high):
            raise DomainFailure(
                ErrorCode.THRESHOLD_OUT_OF_RANGE, f"{kind.value} 的阈值应在 {low}–{high} 之间"
            )


async def _elder_for_care(*, session: AsyncSession, viewer: Viewer, elder_id: int) -> Elder:
    """The elder, locked (one change of their bands at a time), if the viewer runs their care. FOR
    NO KEY UPDATE: alerts raised for the elder meanwhile (their foreign key) are not held up."""
    elder = await session.scalar(select(Elder).where(Elder.id == elder_id).with_for_update(key_share=True))
    if elder is None or not runs_care_of(viewer, elder.community_id):
        raise NotFound("该老人")
    return elder


async def _own_band(*, session: AsyncSession, elder_id: int, kind: ReadingKind) -> VitalThreshold | None:
    return await session.scalar(
        select(VitalThreshold).where(VitalThreshold.elder_id == elder_id, VitalThreshold.kind == kind.value)
    )


async def _record(
    *,
    session: AsyncSession,
    viewer: Viewer,
    elder: Elder,
    kind: ReadingKind,
    reason: str,
    before: Band | None,
    after: Band | None,
    action: str,
    now: datetime,
) -> ThresholdChange:
    change = VitalThresholdChange(
        elder_id=elder.id,
        kind=kind.value,
        changed_by=viewer.person_id,
        changed_at=now,
        reason=reason,
        before=before.as_json() if before else None,
        after=after.as_json() if after else None,
    )
    session.add(change)
    await session.flush()
    await audit.record(
        session=session,
        action=action,
        object_id=audit.global_id("Elder", elder.id),
        community_id=elder.community_id,
        before={"kind": kind.value, "band": change.before},
        after={"kind": kind.value, "band": change.after, "reason": reason},
    )
    return ThresholdChange(change, elder)


async def set_threshold(
    *,
    session: AsyncSession,
    viewer: Viewer,
    elder_id: int,
    kind: str,
    band: Band,
    reason: str,
    now: datetime,
) -> ThresholdChange:
    """The elder's own band for this vital, replacing the default band (or their earlier one)."""
    elder = await _elder_for_care(session=session, viewer=viewer, elder_id=elder_id)
    vital = _vital(kind)
    reason = _reason(reason)
    _check_bounds(vital, band)
    before = Band.of(await _own_band(session=session, elder_id=elder.id, kind=vital))
    values = {
        "critical_low": band.critical_low,
        "warning_low": band.warning_low,
        "warning_high": band.warning_high,
        "critical_high": band.critical_high,
    }
    upsert = insert(VitalThreshold).values(elder_id=elder.id, kind=vital.value, **values)
    async with savepoint(session=session, meanings=BANDS_ORDERED):
        await session.execute(
            upsert.on_conflict_do_update(constraint="uq_vital_thresholds_elder_kind", set_=values)
        )
    return await _record(
        session=session,
        viewer=viewer,
        elder=elder,
        kind=vital,
        reason=reason,
        before=before,
        after=band,
        action="vital_threshold.set",
        now=now,
    )


async def clear_threshold(
    *, session: AsyncSession, viewer: Viewer, elder_id: int, kind: str, reason: str, now: datetime
) -> ThresholdChange:
    """The elder's own band for this vital is removed: the default band applies again."""
    elder = await _elder_for_care(session=session, viewer=viewer, elder_id=elder_id)
    vital = _vital(kind)
    reason = _reason(reason)
    removed = await session.scalar(
        delete(VitalThreshold)
        .where(VitalThreshold.elder_id == elder.id, VitalThreshold.kind == vital.value)
        .returning(VitalThreshold)
    )
    if removed is None:
        raise DomainFailure(ErrorCode.THRESHOLD_NOT_SET, "该老人没有单独设置此项阈值")
    return await _record(
        session=session,
        viewer=viewer,
        elder=elder,
        kind=vital,
        reason=reason,
        before=Band.of(removed),
        after=None,
        action="vital_threshold.clear",
        now=now,
    )


# ── The care policy (ADMIN) ──────────────────────────────────────────────────


@dataclass(frozen=True)
class PolicyChange:
    """What to change; None leaves a setting as it is."""

    inactivity_hours: int | None = None
    day_starts_at: time | None = None
    day_ends_at: time | None = None
    device_offline_minutes: int | None = None
    critical_level1_minutes: int | None = None
    critical_level2_minutes: int | None = None
    warning_level1_minutes: int | None = None


POLICY_RULES = {
    "ck_care_policy_inactivity_hours_sane": lambda: DomainFailure(
        ErrorCode.POLICY_INACTIVITY_HOURS, "无活动告警时长须在 1–24 小时之间"
    ),
    "ck_care_policy_day_ordered": lambda: DomainFailure(
        ErrorCode.POLICY_DAY_ORDER, "白天的开始时间须早于结束时间"
    ),
    "ck_care_policy_offline_minutes_sane": lambda: DomainFailure(
        ErrorCode.POLICY_OFFLINE_MINUTES, "设备离线告警时长须在 1–1440 分钟之间"
    ),
    "ck_care_policy_escalation_ordered": lambda: DomainFailure(
        ErrorCode.POLICY_ESCALATION_ORDER, "升级时长须在 1–1440 分钟之间，且危急一级早于二级"
    ),
}
# A value beyond smallint would be the database's DataError (BAD_REQUEST): the rules say it first.
SMALLINT_MAX = 32767
POLICY_RANGE_CODES = {
    "inactivity_hours": "ck_care_policy_inactivity_hours_sane",
    "device_offline_minutes": "ck_care_policy_offline_minutes_sane",
    "critical_level1_minutes": "ck_care_policy_escalation_ordered",
    "critical_level2_minutes": "ck_care_policy_escalation_ordered",
    "warning_level1_minutes": "ck_care_policy_escalation_ordered",
}


def policy_snapshot(policy: CarePolicy) -> dict[str, Any]:
    return {
        "inactivityHours": policy.inactivity_hours,
        "dayStartsAt": policy.day_starts_at.isoformat(),
        "dayEndsAt": policy.day_ends_at.isoformat(),
        "deviceOfflineMinutes": policy.device_offline_minutes,
        "criticalLevel1Minutes": policy.critical_level1_minutes,
        "criticalLevel2Minutes": policy.critical_level2_minutes,
        "warningLevel1Minutes": policy.warning_level1_minutes,
    }


async def update_policy(*, session: AsyncSession, change: PolicyChange) -> CarePolicy:
    """The alerting defaults every job reads; the database's CHECKs decide what is sane."""
    policy = await session.scalar(
        select(CarePolicy)
        .where(CarePolicy.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    before = policy_snapshot(policy)
    for field in fields(change):
        value = getattr(change, field.name)
        if value is None:
            continue
        if field.name in POLICY_RANGE_CODES and not -SMALLINT_MAX <= value <= SMALLINT_MAX:
            raise POLICY_RULES[POLICY_RANGE_CODES[field.name]]()
        setattr(policy, field.name, value)
    await flush_or_fail(session=session, meanings=POLICY_RULES)
    await audit.record(
        session=session,
        action="care_policy.update",
        object_id=None,
        before=before,
        after=policy_snapshot(policy),
    )
    return policy
