"""The community office's monthly figures of cases in the graph: `caseFigures`."""

import re
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.affairs import figures as figures_service
from schema.affairs.types import Organisation
from schema.common import bad_request, or_not_found, pk_of
from schema.permissions import forbidden, signed_in

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@strawberry.type(
    description="One organisation's cases in one month (Asia/Shanghai), read from figures kept as the "
    "cases change (never by counting cases). Received and answered in time count the cases reported "
    "that month; resolutions, their minutes, ratings and reopenings count in the month they happened. "
    "A month in which nothing happened answers zeros and nulls."
)
class CaseMonthFigures:
    organisation: Organisation = strawberry.field(description="The organisation the cases were routed to.")
    month: str = strawberry.field(description="The month, `YYYY-MM` (Asia/Shanghai).")
    received: int = strawberry.field(description="Cases reported this month and routed to the organisation.")
    answered_in_time: float | None = strawberry.field(
        description="The share (0–1) of the cases received this month whose first acceptance came by its "
        "deadline (the category's or the compound's minutes to accept); an acceptance after a reopening "
        "does not count. A case accepted late, or not yet, is not in time. Null when none were received."
    )
    median_resolution_minutes: float | None = strawberry.field(
        description="The median of the whole minutes from report to resolution of the resolutions made "
        "this month (a case reopened and resolved again counts again, from its report); of an even "
        "number, the mean of the two middle values. Null when none were resolved this month."
    )
    resolved: int = strawberry.field(
        description="Resolutions made this month (a case resolved again after a reopening counts again)."
    )
    average_rating: float | None = strawberry.field(
        description="The mean of the ratings (1–5) given this month. Null when none were given."
    )
    reopen_rate: float | None = strawberry.field(
        description="Reopenings asked for this month divided by the resolutions made this month (the "
        "reopened cases may have been resolved in an earlier month, so it can exceed 1). Null when none "
        "were resolved this month."
    )

    @classmethod
    def of(cls, row: figures_service.MonthFigures) -> "CaseMonthFigures":
        return cls(
            organisation=Organisation.from_model(row.organisation),
            month=f"{row.month:%Y-%m}",
            received=row.received,
            answered_in_time=row.answered_in_time,
            median_resolution_minutes=row.median_resolution_minutes,
            resolved=row.resolved,
            average_rating=row.average_rating,
            reopen_rate=row.reopen_rate,
        )


def month_of(value: str, name: str) -> date:
    matched = MONTH.match(value.strip())
    if matched is None or not 1 <= int(matched.group(2)) <= 12 or int(matched.group(1)) < 1:
        raise bad_request(f"{name} 须为 YYYY-MM 格式的月份，收到 {value!r}")
    return date(int(matched.group(1)), int(matched.group(2)), 1)


@strawberry.type
class CaseFiguresQuery:
    @strawberry.field(
        extensions=signed_in(),
        description="The community office's figures of cases: for every organisation of the community "
        "(or the one named) and every month from `from` to `to`, in the order the organisations were "
        "created, then by month. Read from figures kept per organisation and month, so the cost does not "
        "grow with the number of cases. The community office (ADMIN; COMMUNITY_ADMIN of that community) "
        "reads every organisation; a member of an organisation reads it when naming it in "
        "`organisationId`. Another community's figures, or an organisation not one's own: NOT_FOUND; "
        "neither an office nor a member of any organisation: FORBIDDEN. Signed in.",
    )
    async def case_figures(
        self,
        info: Info,
        community_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="Global ID of the Community; one that does not exist: NOT_FOUND."
            ),
        ],
        from_: Annotated[
            str,
            strawberry.argument(
                name="from",
                description="The first month, `YYYY-MM` (Asia/Shanghai); another format is BAD_REQUEST "
                "(reason INVALID_ARGUMENT).",
            ),
        ],
        to: Annotated[
            str,
            strawberry.argument(
                description=f"The last month, `YYYY-MM`, included: not before `from` and at most "
                f"{figures_service.MAX_MONTHS} months in all (else BAD_REQUEST, reason "
                "DATE_RANGE_OUT_OF_BOUNDS)."
            ),
        ],
        organisation_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Global ID of one Organisation of the community, to read its figures only "
                "(needed by its members); one of another community: NOT_FOUND."
            ),
        ] = None,
    ) -> list[CaseMonthFigures]:
        ctx = info.context
        first, last = month_of(from_, "from"), month_of(to, "to")
        try:
            figures_service.months_between(first, last)
        except ValueError as refused:
            raise bad_request(str(refused), "DATE_RANGE_OUT_OF_BOUNDS") from None
        community = pk_of(community_id, "Community")
        organisation = pk_of(organisation_id, "Organisation") if organisation_id else None
        if not await figures_service.may_read_some_figures(session=ctx.session, viewer=ctx.viewer):
            raise forbidden()
        rows = await or_not_found(
            figures_service.case_figures(
                session=ctx.session,
                viewer=ctx.viewer,
                community_id=community,
                first_month=first,
                last_month=last,
                organisation_id=organisation,
            )
        )
        return [CaseMonthFigures.of(row) for row in rows]
