"""Reading elders, alerts, the care board (the live feed's events: resolvers.eldercare.feed)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import BigInteger, Boolean, String, Text, and_, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from models.eldercare import (
    AlertStatus,
    CareAlert,
    CareVisit,
    Device,
    DeviceAssignment,
    Elder,
    Reading,
    VitalThresholdChange,
)
from resolvers.actor import Viewer
from resolvers.batching import by_ids, grouped, in_order
from resolvers.compiled import base64url, datetime_text
from resolvers.eldercare.access import visible_elders
from resolvers.eldercare.base import POSSIBLE
from resolvers.eldercare.jobs import policy, silent_since
from resolvers.pagination import Page, keyset_page


def elder_query(viewer: Viewer, *, community_id: int | None, lives_alone: bool | None):
    """The elders the viewer may see that pass the filters; every value a named parameter (the
    compiled read path binds them per request)."""
    stmt = select(Elder).where(visible_elders(viewer))
    if community_id is not None:
        stmt = stmt.where(
            Elder.community_id == bindparam("elder_community_id", community_id, type_=BigInteger)
        )
    if lives_alone is not None:
        stmt = stmt.where(Elder.lives_alone == bindparam("elder_lives_alone", lives_alone, type_=Boolean))
    return stmt


def elder_cursor():
    """An elder's cursor: base64url of [id]."""
    return base64url(func.concat(literal_column("'['"), cast(Elder.id, Text), literal_column("']'"))).label(
        "cursor"
    )


async def list_elders(
    *,
    session: AsyncSession,
    viewer: Viewer,
    community_id: int | None,
    lives_alone: bool | None,
    first: int,
    after: Sequence | None,
) -> Page[Elder]:
    return await keyset_page(
        elder_query(viewer, community_id=community_id, lives_alone=lives_alone),
        session=session,
        key_columns=[Elder.id],
        first=first,
        after=after,
        cursor=elder_cursor(),
    )


@dataclass
class AlertFilter:
    statuses: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    community_id: int | None = None

    def shape(self) -> tuple[bool, bool, bool]:
        return bool(self.statuses), bool(self.severities), self.community_id is not None

    def values(self) -> dict:
        """The values of the alert query's filter parameters (see _alert_query)."""
        return {
            "alert_statuses": list(self.statuses),
            "alert_severities": list(self.severities),
            "alert_community_id": self.community_id,
        }


def _alert_query(viewer: Viewer, where: AlertFilter):
    """The viewer's alerts that pass the filter; every value a named parameter (the compiled read
    path binds them per request)."""
    values = where.values()
    statuses, severities, community = where.shape()
    stmt = select(CareAlert).where(CareAlert.elder_id.in_(select(Elder.id).where(visible_elders(viewer))))
    if statuses:
        stmt = stmt.where(
            CareAlert.status
            == func.any(bindparam("alert_statuses", values["alert_statuses"], type_=ARRAY(String)))
        )
    if severities:
        stmt = stmt.where(
            CareAlert.severity
            == func.any(bindparam("alert_severities", values["alert_severities"], type_=ARRAY(String)))
        )
    if community:
        stmt = stmt.where(
            CareAlert.community_id
            == bindparam("alert_community_id", values["alert_community_id"], type_=BigInteger)
        )
    return stmt


def alert_cursor():
    """An alert's cursor: base64url of ["<opened at, UTC, isoformat>", id] (decode_time_cursor)."""
    key = func.concat(
        literal_column("'[\"'"),
        datetime_text(CareAlert.opened_at, "UTC"),
        literal_column("'\",'"),
        cast(CareAlert.id, Text),
        literal_column("']'"),
    )
    return base64url(key).label("cursor")


async def list_alerts(
    *, session: AsyncSession, viewer: Viewer, where: AlertFilter, first: int, after: Sequence | None
) -> Page[CareAlert]:
    """Newest first."""
    return await keyset_page(
        _alert_query(viewer, where),
        session=session,
        key_columns=[CareAlert.opened_at, CareAlert.id],
        first=first,
        after=after,
        descending=True,
        cursor=alert_cursor(),
    )


async def visible_alerts_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """The alerts among `ids` of elders the viewer may see (None for the others)."""
    stmt = _alert_query(viewer, AlertFilter()).where(CareAlert.id.in_(ids))
    return in_order(await session.scalars(stmt), ids)


async def visible_visits_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """The care visits among `ids` of elders the viewer may see (None for the others)."""
    stmt = select(CareVisit).where(
        CareVisit.id.in_(ids), CareVisit.elder_id.in_(select(Elder.id).where(visible_elders(viewer)))
    )
    return in_order(await session.scalars(stmt), ids)


async def count_alerts(*, session: AsyncSession, viewer: Viewer, where: AlertFilter) -> tuple[int, list[int]]:
    """How many alerts match, and whose they are (a count is a read of each elder's alerts)."""
    # The alert query's own FROM and WHERE, its columns swapped for the aggregates: no subquery,
    # whose `.c` would build a proxy of every alert column on every request.
    counted = _alert_query(viewer, where).with_only_columns(
        func.count(), func.array_agg(func.distinct(CareAlert.elder_id))
    )
    count, elders = (await session.execute(counted)).one()
    return count, [elder for elder in elders or () if elder is not None]


@dataclass
class Dashboard:
    open_critical: int
    open_warning: int
    overdue_unacknowledged: int
    devices_offline: int
    alerted: list[int]  # the elders with open alerts counted
    monitored: list[int]  # the elders with devices: how many are monitored


async def dashboard(
    *, session: AsyncSession, viewer: Viewer, community_id: int | None, now: datetime
) -> Dashboard:
    rules = await policy(session=session)
    elders = select(Elder.id).where(visible_elders(viewer))
    if community_id is not None:
        elders = elders.where(Elder.community_id == community_id)
    open_alerts = and_(CareAlert.elder_id.in_(elders), CareAlert.status == AlertStatus.OPEN.value)
    row = (
        await session.execute(
            select(
                select(func.count()).where(open_alerts, CareAlert.severity == "CRITICAL").scalar_subquery(),
                select(func.count()).where(open_alerts, CareAlert.severity == "WARNING").scalar_subquery(),
                select(func.count()).where(open_alerts, CareAlert.escalation_level > 0).scalar_subquery(),
                select(func.count())
                .where(
                    Device.elder_id.in_(elders),
                    silent_since() <= now - timedelta(minutes=rules.device_offline_minutes),
                )
                .scalar_subquery(),
                select(func.array_agg(func.distinct(CareAlert.elder_id)))
                .where(open_alerts)
                .scalar_subquery(),
                select(func.array_agg(func.distinct(Device.elder_id)))
                .where(Device.elder_id.in_(elders))
                .scalar_subquery(),
            )
        )
    ).one()
    *counts, alerted, monitored = row
    return Dashboard(*counts, alerted=list(alerted or ()), monitored=list(monitored or ()))


async def devices_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Device]]:
    return await grouped(
        select(Device).where(Device.elder_id.in_(ids)).order_by(Device.id),
        session=session,
        ids=ids,
        key="elder_id",
    )


async def assignments_by_device_ids(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[list[DeviceAssignment]]:
    """Each device's assignments, newest first (ix_device_assignments_device_assigned)."""
    return await grouped(
        select(DeviceAssignment)
        .where(DeviceAssignment.device_id.in_(ids))
        .order_by(DeviceAssignment.assigned_at.desc(), DeviceAssignment.id.desc()),
        session=session,
        ids=ids,
        key="device_id",
    )


async def threshold_changes_by_elder_ids(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[list[VitalThresholdChange]]:
    """Each elder's changes of their own bands, newest first."""
    return await grouped(
        select(VitalThresholdChange)
        .where(VitalThresholdChange.elder_id.in_(ids))
        .order_by(VitalThresholdChange.changed_at.desc(), VitalThresholdChange.id.desc()),
        session=session,
        ids=ids,
        key="elder_id",
    )


async def alerts_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[CareAlert]]:
    return await grouped(
        select(CareAlert)
        .where(CareAlert.elder_id.in_(ids))
        .order_by(CareAlert.opened_at.desc(), CareAlert.id.desc()),
        session=session,
        ids=ids,
        key="elder_id",
    )


async def latest_vitals_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[Reading]]:
    """The newest reading of each vital per elder within the last week (partition pruning keeps it cheap)."""
    stmt = (
        select(Reading)
        .where(
            Reading.elder_id.in_(ids),
            Reading.kind.in_([kind.value for kind in POSSIBLE]),
            Reading.measured_at > func.now() - timedelta(days=7),
        )
        .ext(distinct_on(Reading.elder_id, Reading.kind))
        .order_by(Reading.elder_id, Reading.kind, Reading.measured_at.desc())
    )
    return await grouped(stmt, session=session, ids=ids, key="elder_id")


get_elders_by_ids = by_ids(Elder)


async def visits_by_elder_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[list[CareVisit]]:
    return await grouped(
        select(CareVisit).where(CareVisit.elder_id.in_(ids)).order_by(CareVisit.visited_at.desc()),
        session=session,
        ids=ids,
        key="elder_id",
    )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
