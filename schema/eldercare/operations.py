"""The elder-care root fields: queries, mutations, and the live alert feed."""

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from models.people import Role
from resolvers import eldercare as elder_service
from resolvers.compiled import Env, NotPlannable, Selected, fetch_row
from resolvers.eldercare import compiled as eldercare_compiled
from resolvers.eldercare import loaders as eldercare_loaders
from resolvers.people import loaders as people_loaders
from schema.common import (
    PageInfo,
    asks_has_next_page,
    bad_request,
    check_first,
    decode_cursor,
    decode_time_cursor,
    mutation_result,
    pk_of,
    selects,
)
from schema.eldercare.elders import ElderOfficeMutation
from schema.eldercare.types import (
    CareAlert,
    CareAlertConnection,
    CareAlertEdge,
    CareAlertEvent,
    CareAlertEventType,
    CareAlertSeverity,
    CareAlertStatus,
    CareAlertUpdateResult,
    CareDashboard,
    CareVisit,
    CareVisitLogInput,
    CareVisitLogResult,
    Elder,
    ElderConnection,
    ElderEdge,
    InvalidReadings,
    ReadingInput,
    ReadingsRecorded,
    ReadingsRecordResult,
    optional_pk,
    present_rejections,
)
from schema.permissions import has_role, signed_in

COMMUNITY_FILTER = strawberry.argument(
    description="Global ID of a Community: only its elders (still only those the viewer may see); all the "
    "viewer may see when omitted."
)
FIRST = strawberry.argument(
    description="How many to return, 1 to the server's page size limit (100 by default)."
)
AFTER = strawberry.argument(description="The endCursor of the previous page; from the start when omitted.")


def elder_cursor_key(after: str | None) -> list | None:
    key = decode_cursor(after, size=1)
    if key is not None and not isinstance(key[0], int):
        raise bad_request(f"无效的分页游标：{after!r}", "INVALID_CURSOR")
    return key


async def resolve_elders(
    info: Info,
    community_id: Annotated[strawberry.ID | None, COMMUNITY_FILTER] = strawberry.UNSET,
    lives_alone: Annotated[
        bool | None,
        strawberry.argument(description="Only those living alone (true) or not (false); both when omitted."),
    ] = strawberry.UNSET,
    first: Annotated[int, FIRST] = 20,
    after: Annotated[str | None, AFTER] = strawberry.UNSET,
) -> ElderConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    key = elder_cursor_key(after or None)
    page = await elder_service.list_elders(
        session=ctx.session,
        viewer=ctx.viewer,
        community_id=optional_pk(community_id or None, "Community"),
        lives_alone=None if lives_alone is strawberry.UNSET else lives_alone,
        first=first,
        after=key,
    )
    edges = [
        ElderEdge(cursor=cursor, node=Elder.logged_read(info, model))
        for model, cursor in zip(page.items, page.cursors, strict=True)
    ]
    if page.next_item is not None and asks_has_next_page(info):
        ctx.note_health_read(page.next_item.id, "profile")  # "there is another" is a read of it
    return ElderConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
    )


async def resolve_alerts(
    info: Info,
    status: Annotated[
        list[CareAlertStatus] | None,
        strawberry.argument(description="Only alerts in one of these statuses; all when omitted or empty."),
    ] = strawberry.UNSET,
    severity: Annotated[
        list[CareAlertSeverity] | None,
        strawberry.argument(description="Only alerts of one of these severities; all when omitted or empty."),
    ] = strawberry.UNSET,
    community_id: Annotated[strawberry.ID | None, COMMUNITY_FILTER] = strawberry.UNSET,
    first: Annotated[int, FIRST] = 20,
    after: Annotated[str | None, AFTER] = strawberry.UNSET,
) -> CareAlertConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    where = elder_service.AlertFilter(
        statuses=[value.value for value in status or ()],
        severities=[value.value for value in severity or ()],
        community_id=optional_pk(community_id or None, "Community"),
    )
    page = await elder_service.list_alerts(
        session=ctx.session,
        viewer=ctx.viewer,
        where=where,
        first=first,
        after=decode_time_cursor(after or None),
    )
    edges = [
        CareAlertEdge(cursor=cursor, node=CareAlert.logged_read(info, model))
        for model, cursor in zip(page.items, page.cursors, strict=True)
    ]
    if page.next_item is not None and asks_has_next_page(info):
        ctx.note_health_read(page.next_item.elder_id, "alerts")  # "there is another" is a read of it
    return CareAlertConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
        where=where,
    )


def plan_elders(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """elders on the compiled read path: signed in, the resolver's checks, one statement that also
    says whose profiles it showed, noted for the access log."""
    viewer = context.viewer
    if viewer is None:
        raise NotPlannable("elders: not signed in")  # the resolver path says UNAUTHENTICATED
    arguments = selected.arguments
    first = arguments["first"]
    check_first(first, context.settings.max_page_size)
    key = elder_cursor_key(arguments.get("after") or None)
    community_id = arguments.get("communityId")
    prepared, values = eldercare_compiled.plan_elders(
        selected,
        viewer=viewer,
        community_id=optional_pk(community_id or None, "Community"),
        lives_alone=arguments.get("livesAlone"),
        first=first,
        after=key,
    )

    async def run() -> str:
        text, shown, beyond = await fetch_row(session=context.session, prepared=prepared, values=values)
        for elder_id, what in eldercare_compiled.elder_reads(shown, beyond):
            context.note_health_read(elder_id, what)
        return text

    return run


def plan_care_alerts(context, selected: Selected, env: Env) -> Callable[[], Awaitable[str]]:
    """careAlerts on the compiled read path (schema/compiled.py): signed in, the resolver's checks,
    then one statement that also says whose alerts it showed, noted for the access log."""
    viewer = context.viewer
    if viewer is None:
        raise NotPlannable("careAlerts: not signed in")  # the resolver path says UNAUTHENTICATED
    arguments = selected.arguments
    first = arguments["first"]
    check_first(first, context.settings.max_page_size)
    community_id = arguments.get("communityId")
    where = elder_service.AlertFilter(
        statuses=[value.value for value in arguments.get("status") or ()],
        severities=[value.value for value in arguments.get("severity") or ()],
        community_id=optional_pk(community_id or None, "Community"),
    )
    prepared, values = eldercare_compiled.plan_alerts(
        selected,
        viewer=viewer,
        where=where,
        first=first,
        after=decode_time_cursor(arguments.get("after") or None),
        env=env,
    )

    async def run() -> str:
        text, shown, beyond = await fetch_row(session=context.session, prepared=prepared, values=values)
        for elder_id, what in eldercare_compiled.reads(selected, shown, beyond):
            context.note_health_read(elder_id, what)
        return text

    return run


ALERT_ID = Annotated[strawberry.ID, strawberry.argument(description="Global ID of the CareAlert.")]


@strawberry.type
class ElderCareQuery:
    elders: ElderConnection = strawberry.field(
        resolver=resolve_elders,
        extensions=signed_in(),
        description="The elders the viewer may see, by ID: care staff those of their community, "
        "administrators all, a family member those who consented (anyone else: an empty page). Each read "
        "is logged.",
    )
    care_alerts: CareAlertConnection = strawberry.field(
        resolver=resolve_alerts,
        extensions=signed_in(),
        description="Alerts about the elders the viewer may see, newest first. Each read is logged.",
    )

    @strawberry.field(
        extensions=has_role(Role.CARE_STAFF, Role.ADMIN),
        description="Counts for the care board: care staff over their community's elders, administrators "
        "over all or one community.",
    )
    async def care_dashboard(
        self, info: Info, community_id: Annotated[strawberry.ID | None, COMMUNITY_FILTER] = strawberry.UNSET
    ) -> CareDashboard:
        ctx = info.context
        board = await elder_service.dashboard(
            session=ctx.session,
            viewer=ctx.viewer,
            community_id=optional_pk(community_id or None, "Community"),
            now=ctx.clock(),
        )
        # Counts over elders' health data read it: each elder counted is logged, as for a list.
        for elder_id in board.alerted:
            ctx.note_health_read(elder_id, "alerts")
        for elder_id in board.monitored:
            ctx.note_health_read(elder_id, "devices")
        return CareDashboard(
            open_critical=board.open_critical,
            open_warning=board.open_warning,
            overdue_unacknowledged=board.overdue_unacknowledged,
            elders_monitored=len(board.monitored),
            devices_offline=board.devices_offline,
        )


@strawberry.type
class ElderCareMutation(ElderOfficeMutation):
    @strawberry.mutation(
        extensions=has_role(Role.DEVICE_GATEWAY, Role.ADMIN),
        description="Device gateways push readings in batches; idempotent per (device, kind, measuredAt).",
    )
    async def readings_record(
        self,
        info: Info,
        readings: Annotated[
            list[ReadingInput],
            strawberry.argument(
                description="1 to 500 readings, of any devices and kinds; each valid one is stored, each "
                "invalid one listed in `rejected` with why."
            ),
        ],
    ) -> ReadingsRecordResult:
        ctx = info.context
        if not ctx.viewer.has_role(Role.ADMIN.value) and any(
            selects(info.selected_fields, ("readingsRecord", "alertsRaised", field))
            for field in ("elder", "acknowledgedBy", "resolvedBy")
        ):
            # A gateway is told which alerts its readings raised, never whose data they are nor who
            # cares for them: refused before anything is written (CareAlert.elder would refuse after).
            raise GraphQLError(
                "设备网关不能读取老人或护理人员信息："
                "请不要在 alertsRaised 中选择 elder、acknowledgedBy 或 resolvedBy",
                extensions={"code": "FORBIDDEN"},
            )
        # Each ReadingInput arrives as the domain's ReadingIn (see reading_from_input).
        work = elder_service.record_readings(session=ctx.session, readings=list(readings), now=ctx.clock())

        def present(result) -> ReadingsRecorded:
            return ReadingsRecorded(
                accepted=result.accepted,
                duplicates=result.duplicates,
                raised=result.alerts,
                rejected=present_rejections(result.rejected),
            )

        answer = await mutation_result(info, work, present)
        if isinstance(answer, InvalidReadings):
            answer.rejected = present_rejections(answer.rejected)
        return answer

    @strawberry.mutation(
        extensions=has_role(Role.CARE_STAFF, Role.ADMIN),
        description="Take an open alert (care staff of its elder's community): ACKNOWLEDGED, by the "
        "viewer, now.",
    )
    async def care_alert_acknowledge(self, info: Info, id: ALERT_ID) -> CareAlertUpdateResult:
        ctx = info.context
        work = elder_service.acknowledge(
            session=ctx.session, viewer=ctx.viewer, alert_id=pk_of(id, "CareAlert"), now=ctx.clock()
        )
        return await mutation_result(info, work, lambda alert: CareAlert.logged_read(info, alert))

    @strawberry.mutation(
        extensions=has_role(Role.CARE_STAFF, Role.ADMIN),
        description="Close an alert with a note (care staff of its elder's community); an open one is "
        "acknowledged by the viewer at the same time.",
    )
    async def care_alert_resolve(
        self,
        info: Info,
        id: ALERT_ID,
        note: Annotated[
            str, strawberry.argument(description="What was done; not blank (else NOTE_REQUIRED).")
        ],
    ) -> CareAlertUpdateResult:
        ctx = info.context
        work = elder_service.resolve(
            session=ctx.session,
            viewer=ctx.viewer,
            alert_id=pk_of(id, "CareAlert"),
            note=note,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, lambda alert: CareAlert.logged_read(info, alert))

    @strawberry.mutation(
        extensions=has_role(Role.CARE_STAFF, Role.ADMIN),
        description="Log a visit or call to an elder of the viewer's community (日常关爱).",
    )
    async def care_visit_log(
        self, info: Info, input: Annotated[CareVisitLogInput, strawberry.argument(description="The visit.")]
    ) -> CareVisitLogResult:
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
        return await mutation_result(info, work, lambda visit: CareVisit.logged_read(info, visit))


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
        community_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Global ID of a Community: only its alerts (still only the elders the viewer may "
                "see); all the viewer may see when omitted."
            ),
        ] = strawberry.UNSET,
        after_sequence: Annotated[
            int | None,
            strawberry.argument(
                description="The last sequence the client has seen: the events after it are replayed first "
                "(each alert as that event left it). Omitted: only events from now on."
            ),
        ] = strawberry.UNSET,
    ) -> AsyncGenerator[CareAlertEvent, None]:
        ctx = info.context
        reader = elder_service.FeedReader(
            viewer=ctx.viewer, request_id=ctx.request_id, client_request_id=ctx.client_request_id
        )
        deliveries = ctx.alert_feed.events(
            reader=reader,
            community_id=optional_pk(community_id or None, "Community"),
            after=None if after_sequence is strawberry.UNSET else after_sequence,
        )
        async with contextlib.aclosing(deliveries):
            async for delivery in deliveries:
                shown_already(ctx, delivery)
                for row in delivery.rows:
                    yield CareAlertEvent(
                        sequence=row.event.sequence,
                        type=CareAlertEventType(row.event.type),
                        alert=CareAlert.as_of(row.alert, row.event),  # as this event left it
                        at=row.event.at,
                    )
                await ctx.release()  # the delivered events' fields are resolved by now


def shown_already(ctx, delivery: elder_service.Delivery) -> None:
    """The feed read what the delivery's events show and logged it for this subscriber before
    handing it over: their fields are presented from it, and only what else an event shows is
    logged before that event goes out (schema.context.GuardDelivery)."""
    ctx.new_log_window()
    ctx.logged_already(delivery.logged)
    elders = {row.elder.id: row.elder for row in delivery.rows}
    ctx.loader(eldercare_loaders.visible_elder_by_id_loader).prime_many(elders)
    ctx.loader(people_loaders.community_by_id_loader).prime_many(delivery.communities)
    ctx.loader(people_loaders.person_by_id_loader).prime_many(delivery.responders)
