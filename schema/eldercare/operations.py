"""The elder-care root fields: queries, mutations, and the live alert feed."""

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from sqlalchemy import func, select
from strawberry.types import Info

from models import eldercare as elder_models
from models.people import Role
from resolvers import eldercare as elder_service
from resolvers import loaders
from schema.common import (
    PageInfo,
    bad_request,
    check_first,
    decode_cursor,
    decode_time_cursor,
    encode_cursor,
    mutation_result,
    pk_of,
    selects,
)
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
        ElderEdge(cursor=encode_cursor(list(k)), node=Elder.shown(info, m))
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
        session=ctx.session,
        viewer=ctx.viewer,
        where=where,
        first=first,
        after=decode_time_cursor(after or None),
    )
    edges = [
        CareAlertEdge(cursor=encode_cursor([opened.isoformat(), pk]), node=CareAlert.shown(info, model))
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
        if not ctx.viewer.has_role(Role.ADMIN.value) and selects(
            info.selected_fields, ("readingsRecord", "alertsRaised", "elder")
        ):
            # A gateway is told which alerts its readings raised, never whose data they are: refused
            # before anything is written, not after (CareAlert.elder would refuse it then).
            raise GraphQLError(
                "设备网关不能读取老人信息：请不要在 alertsRaised 中选择 elder",
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
        return await mutation_result(ctx, work, lambda alert: CareAlert.shown(info, alert))

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
        return await mutation_result(ctx, work, lambda alert: CareAlert.shown(info, alert))

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
        return await mutation_result(ctx, work, lambda visit: CareVisit.shown(info, visit))


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
                        # Logged before delivery: the alerts and the elder each event names.
                        reads = {alert.elder_id: {"alerts", "profile"} for _, alert in rows}
                        await elder_service.write_access_log(
                            session=session,
                            person_id=ctx.viewer.person_id,
                            request_id=ctx.request_id,
                            reads=reads,
                        )
                        await session.commit()
                if rows:
                    # Events are resolved one at a time, so their loads cannot batch by themselves:
                    # load the batch's elders and communities in one statement each beforehand.
                    elders = await ctx.loader(loaders.visible_elder_by_id_loader).load_many(
                        list({alert.elder_id for _, alert in rows})
                    )
                    await ctx.loader(loaders.community_by_id_loader).load_many(
                        list({elder.community_id for elder in elders if elder is not None})
                    )
                for event, alert in rows:
                    last = event.sequence
                    yield CareAlertEvent(
                        sequence=event.sequence,
                        type=CareAlertEventType(event.type),
                        alert=CareAlert.from_model(alert),
                        at=event.at,
                    )
                await ctx.release()  # the delivered events' fields are resolved by now
                if rows:
                    ctx.forget_reads(reads)  # logged above
                    await ctx.flush_access_log()  # what else they showed (vitals, visits …)
                if not rows:
                    await feed.wait(subscriber)
        finally:
            feed.unsubscribe(subscriber)
