"""The community office's monthly figures of cases (#18): per organisation and month (Asia/Shanghai),
cases received, the share accepted within the SLA, the median minutes to resolution, the average
rating and the reopen rate.

Read only from what the cases' trigger keeps (migration 0020): case_monthly_figures, one row
per organisation and month, and the counts of resolutions by whole hour and whole minute they took
(case_resolution_hours, case_resolution_minutes), from which the median is found.
The cases themselves are never read, so the cost follows the months and organisations asked, not
the number of cases. Received and first acceptances in time count in the month the case was
reported; resolutions (and their minutes), ratings and reopenings in the month they happened.

Who reads: the community office (ADMIN; the COMMUNITY_ADMIN of that community) every organisation
of the community; a member of an organisation that organisation's rows (naming it). An office or a
member asking beyond that: NotFound (another community's figures are as if absent); someone who is
neither an office nor a member of any organisation may read no figures at all (the schema answers
FORBIDDEN, asking may_read_some_figures).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Float, and_, cast, func, select, true, values
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select, column

from models.affairs import (
    CaseMonthlyFigures,
    CaseResolutionHours,
    CaseResolutionMinutes,
    Organisation,
    OrganisationMember,
)
from models.people import Community, Role
from resolvers.actor import Viewer
from resolvers.affairs.access import is_member, is_office
from resolvers.errors import NotFound

MAX_MONTHS = 24


@dataclass(frozen=True)
class MonthFigures:
    """One organisation's figures for one month; zeros (and nulls) when nothing happened."""

    organisation: Organisation
    month: date  # its first day
    received: int
    accepted_in_time: int
    resolved: int
    rated: int
    rating_sum: int
    reopened: int
    median_resolution_minutes: float | None

    @property
    def answered_in_time(self) -> float | None:
        return self.accepted_in_time / self.received if self.received else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s to `last`'s, both included; ValueError when
    `last` is before `first` or they span more than MAX_MONTHS months (the schema says BAD_REQUEST)."""
    start = first.year * 12 + first.month - 1
    end = last.year * 12 + last.month - 1
    if end < start or end - start >= MAX_MONTHS:
        raise ValueError(f"月份区间须为 1–{MAX_MONTHS} 个月，且结束月不早于起始月")
    return [date(index // 12, index % 12 + 1, 1) for index in range(start, end + 1)]


def median_rows(organisations, first: date, last: date):
    """The exact median of each month's whole minutes to resolution, read from the kept counts in two
    steps. With n resolutions, the lower middle is the ⌊(n+1)/2⌋-th value and the upper the
    (⌊n/2⌋+1)-th (the same when n is odd): first the hour each falls in, from a running count over
    the month's hours (case_resolution_hours: at most one row per hour resolutions took), then its
    minute within that hour, from a running count over the hour's at most 60 minute rows
    (case_resolution_minutes). The median is the mean of the two.

    The minute is looked up in a LATERAL subquery with LIMIT 1 per month and middle, so the planner
    counts one row each: a join estimated by its ranges alone looked costly enough for JIT, which
    cost more than the whole query."""
    hours, minutes = CaseResolutionHours, CaseResolutionMinutes
    month_of = (hours.organisation_id, hours.month)
    by_hour = (
        select(
            hours.organisation_id,
            hours.month,
            hours.hours,
            (func.sum(hours.cases).over(partition_by=month_of, order_by=hours.hours) - hours.cases).label(
                "before"
            ),  # resolutions in the month's earlier hours
            func.sum(hours.cases).over(partition_by=month_of).label("total"),
        )
        .where(hours.organisation_id.in_(organisations), hours.month.between(first, last))
        .subquery("by_hour")
    )
    lower, upper = (by_hour.c.total + 1) // 2, by_hour.c.total // 2 + 1
    # the hour a middle falls in is the last whose earlier hours hold fewer resolutions
    per_month = (
        select(
            by_hour.c.organisation_id,
            by_hour.c.month,
            func.max(by_hour.c.hours).filter(by_hour.c.before < lower).label("lower_hour"),
            func.max(by_hour.c.before).filter(by_hour.c.before < lower).label("lower_before"),
            func.max(lower).label("lower"),
            func.max(by_hour.c.hours).filter(by_hour.c.before < upper).label("upper_hour"),
            func.max(by_hour.c.before).filter(by_hour.c.before < upper).label("upper_before"),
            func.max(upper).label("upper"),
        )
        .group_by(by_hour.c.organisation_id, by_hour.c.month)
        .subquery("per_month")
    )

    def middle(hour, before, position, name: str):
        in_hour = (
            select(
                minutes.minutes,
                func.sum(minutes.cases).over(order_by=minutes.minutes).label("upto"),
            )
            .where(
                minutes.organisation_id == per_month.c.organisation_id,
                minutes.month == per_month.c.month,
                minutes.minutes.between(hour * 60, hour * 60 + 59),
            )
            .correlate(per_month)
            .subquery(f"{name}_hour")
        )
        return (
            select(in_hour.c.minutes)
            .where(before + in_hour.c.upto >= position)
            .order_by(in_hour.c.minutes)
            .limit(1)
            .correlate(per_month)
            .lateral(name)
        )

    low = middle(per_month.c.lower_hour, per_month.c.lower_before, per_month.c.lower, "low")
    high = middle(per_month.c.upper_hour, per_month.c.upper_before, per_month.c.upper, "high")
    return (
        select(
            per_month.c.organisation_id,
            per_month.c.month,
            cast((low.c.minutes + high.c.minutes) / 2.0, Float).label("median"),
        )
        .select_from(per_month.join(low, true()).join(high, true()))
        .subquery("medians")
    )


def figures_statement(*, community_id: int, months: Sequence[date], organisation_id: int | None) -> Select:
    """One statement: every organisation asked × every month, its kept counts and its median."""
    asked = select(Organisation.id).where(Organisation.community_id == community_id)
    if organisation_id is not None:
        asked = asked.where(Organisation.id == organisation_id)
    month_list = values(column("month", Date), name="months").data([(month,) for month in months])
    kept = CaseMonthlyFigures
    medians = median_rows(asked.scalar_subquery(), months[0], months[-1])
    stmt = (
        select(
            Organisation,
            month_list.c.month,
            func.coalesce(kept.received, 0),
            func.coalesce(kept.accepted_in_time, 0),
            func.coalesce(kept.resolved, 0),
            func.coalesce(kept.rated, 0),
            func.coalesce(kept.rating_sum, 0),
            func.coalesce(kept.reopened, 0),
            medians.c.median,
        )
        .select_from(Organisation)
        .join(month_list, true())
        .outerjoin(kept, and_(kept.organisation_id == Organisation.id, kept.month == month_list.c.month))
        .outerjoin(
            medians,
            and_(medians.c.organisation_id == Organisation.id, medians.c.month == month_list.c.month),
        )
        .where(Organisation.community_id == community_id)
        .order_by(Organisation.id, month_list.c.month)
    )
    if organisation_id is not None:
        stmt = stmt.where(Organisation.id == organisation_id)
    return stmt


async def may_read_some_figures(*, session: AsyncSession, viewer: Viewer) -> bool:
    """Whether the viewer could read figures anywhere: an office, or a member of an organisation."""
    if viewer.has_role(Role.ADMIN.value, Role.COMMUNITY_ADMIN.value):
        return True
    found = await session.scalar(
        select(OrganisationMember.organisation_id).where(OrganisationMember.person_id == viewer.person_id)
    )
    return found is not None


async def check_reader(
    *, session: AsyncSession, viewer: Viewer, community_id: int, organisation_id: int | None
) -> None:
    if await session.get(Community, community_id) is None:
        raise NotFound("该社区")
    if organisation_id is not None:
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None or organisation.community_id != community_id:
            raise NotFound("该组织")
    if is_office(viewer, community_id):
        return
    if organisation_id is not None and await is_member(
        session=session, person_id=viewer.person_id, organisation_id=organisation_id
    ):
        return
    raise NotFound("该社区的办件统计")


async def case_figures(
    *,
    session: AsyncSession,
    viewer: Viewer,
    community_id: int,
    first_month: date,
    last_month: date,
    organisation_id: int | None = None,
) -> list[MonthFigures]:
    """Every organisation of the community (or the one named) for every month from first_month's to
    last_month's, in the order the organisations were created, then by month."""
    months = months_between(first_month, last_month)
    await check_reader(
        session=session, viewer=viewer, community_id=community_id, organisation_id=organisation_id
    )
    rows = await session.execute(
        figures_statement(community_id=community_id, months=months, organisation_id=organisation_id)
    )
    return [MonthFigures(*row) for row in rows.all()]
