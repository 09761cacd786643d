"""有事一键找 in the graph: categories, reporting, the steps, the queues, the reporter's live updates."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from models import affairs as affairs_models
from models.notifications import NotificationKind
from models.people import Role
from resolvers.affairs import access, loaders, queries
from resolvers.affairs import cases as case_service
from resolvers.affairs.access import is_office
from resolvers.coordinates import CoordinateSystem as CoordinateSystemValue
from resolvers.coordinates import from_wgs84
from resolvers.facilities.hours import wgs84_point
from resolvers.people import loaders as people_loaders
from resolvers.people import mask_phone
from resolvers.ratelimit import Quota
from schema.abuse import CountsAttempts
from schema.affairs.types import Compound, Organisation, OrganisationKind
from schema.common import (
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    check_first,
    decode_cursor,
    described_enum,
    encode_cursor,
    encode_global_id,
    mutation_result,
    or_not_found,
    pk_of,
)
from schema.facilities import CoordinateSystem, GeoPoint
from schema.facilities_operations import FacilityLocationInput
from schema.node import register_node
from schema.permissions import has_role, signed_in

CaseStatus = described_enum(
    affairs_models.CaseStatus,
    name="CaseStatus",
    description="Where a case (有事一键找) stands.",
    values={
        "REPORTED": "Reported and routed; waiting to be accepted.",
        "ACCEPTED": "Accepted by the organisation responsible; being handled.",
        "RESOLVED": "Resolved with a note; the reporter may rate it, or reopen it within 7 days.",
        "RATED": "Rated by the reporter: closed for good.",
        "REOPENED": "Reopened by the reporter: back in the queue with fresh SLAs.",
    },
)
CaseEventKind = described_enum(
    affairs_models.CaseEventKind,
    name="CaseEventKind",
    description="A step in a case's history.",
    values={
        "REPORTED": "The resident reported it.",
        "ACCEPTED": "Staff of the organisation accepted it.",
        "RESOLVED": "Staff resolved it (the note says how).",
        "RATED": "The reporter rated the result.",
        "REOPENED": "The reporter reopened it (the note says why).",
        "ESCALATED": "It passed an SLA and went up to the community office.",
    },
)
Escalation = described_enum(
    affairs_models.Escalation,
    name="CaseEscalation",
    description="Why a case went up to the community office.",
    values={
        "ACCEPT_OVERDUE": "Not accepted within the response SLA.",
        "RESOLVE_OVERDUE": "Not resolved within the resolution SLA.",
    },
)


PEOPLE = tuple(role for role in Role if role is not Role.DEVICE_GATEWAY)  # who may report


async def viewer_organisations(info: Info) -> set[int]:
    """The organisations the viewer acts for, read once per request (membership is never cached
    longer: removing a member ends their rights at their next request)."""
    cache = info.context.loaders
    if "affairs.organisations" not in cache:
        # The read itself is kept, so the cases of a list that ask at once share it.
        cache["affairs.organisations"] = asyncio.ensure_future(_organisations_of(info.context))
    return await cache["affairs.organisations"]


async def _organisations_of(context) -> set[int]:
    viewer = context.viewer
    if viewer is None:
        return set()
    return await access.organisations_of(session=context.session, person_id=viewer.person_id)


def organisation_loader(info: Info):
    return info.context.loader(loaders.organisation_by_id_loader)


@strawberry.type(
    description="A kind of problem a resident can report, with its default routing and SLAs. Public."
)
class CaseCategory:
    code: str = strawberry.field(description="Stable UPPER_SNAKE_CASE code (what `caseReport` takes).")
    name: str = strawberry.field(description="Its name, in Chinese (e.g. 公共设施报修).")
    default_kind: OrganisationKind = strawberry.field(
        description="Which organisation of the compound handles it unless a routing rule says otherwise."
    )
    informed_kind: OrganisationKind | None = strawberry.field(
        description="Which organisation is also told of every case of it (安全隐患: the 居委会); null: none."
    )
    accept_minutes: int = strawberry.field(description="Default response SLA: minutes to accept.")
    resolve_minutes: int = strawberry.field(
        description="Default resolution SLA: minutes from report to resolve."
    )
    retired: bool = strawberry.field(description="No longer offered for new reports.")

    @classmethod
    def from_model(cls, model: affairs_models.CaseCategory) -> "CaseCategory":
        return cls(
            code=model.code,
            name=model.name,
            default_kind=OrganisationKind(model.default_kind),
            informed_kind=OrganisationKind(model.informed_kind) if model.informed_kind else None,
            accept_minutes=model.accept_minutes,
            resolve_minutes=model.resolve_minutes,
            retired=model.retired_at is not None,
        )


@strawberry.type(
    description="Who reported a case: shown to the reporter, the organisation handling it and the office."
)
class CaseReporter:
    name: str = strawberry.field(description="The reporter's name.")
    phone: str = strawberry.field(
        description="The reporter's mobile number: whole for the reporter and the community office, masked "
        "(`138****0001`) for the organisation's staff."
    )


@strawberry.type(description="A photo of a case (personal information: reading it is logged).")
class CasePhoto:
    id: strawberry.ID = strawberry.field(description="The photo's ID (what its `url` names).")
    position: int = strawberry.field(description="1–3, in the order they were given.")
    content_type: str = strawberry.field(
        description="image/jpeg, image/png or image/webp (judged by its bytes)."
    )
    byte_size: int = strawberry.field(description="Its size in bytes.")
    url: str = strawberry.field(
        description="Where to GET it with the same bearer token (`/affairs/photos/<id>`); each fetch is "
        "logged."
    )


@strawberry.type(description="One step of a case.")
class CaseEvent:
    kind: CaseEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    note: str | None = strawberry.field(
        description="The resolution note, rating comment or reason; null if none."
    )
    by_staff: bool = strawberry.field(description="Done by staff (false: the reporter, or the SLA job).")


@strawberry.type(
    description="A problem a resident reported (有事一键找), routed to the organisation responsible."
)
class Case(Node):
    description: str = strawberry.field(description="What the resident wrote.")
    status: CaseStatus = strawberry.field(description="Where it stands.")
    reported_at: datetime = strawberry.field(description="When it was reported.")
    accept_due_at: datetime = strawberry.field(
        description="The response SLA: accept by then (reset when reopened)."
    )
    resolve_due_at: datetime = strawberry.field(
        description="The resolution SLA: resolve by then (reset when reopened)."
    )
    accepted_at: datetime | None = strawberry.field(description="When it was last accepted; null if not yet.")
    resolved_at: datetime | None = strawberry.field(description="When it was last resolved; null if not yet.")
    resolution_note: str | None = strawberry.field(description="How it was resolved; null if not yet.")
    rating: int | None = strawberry.field(description="The reporter's rating, 1–5; null if not rated.")
    rating_comment: str | None = strawberry.field(description="The reporter's comment with the rating.")
    reopened_count: int = strawberry.field(description="How often the reporter reopened it.")
    escalation: Escalation | None = strawberry.field(
        description="Why it went up to the community office; null if it has not (cleared when reopened)."
    )
    escalated_at: datetime | None = strawberry.field(description="When it went up; null if it has not.")
    model: strawberry.Private[affairs_models.Case]

    @classmethod
    def from_model(cls, model: affairs_models.Case) -> "Case":
        return cls(
            id=encode_global_id("Case", model.id),
            description=model.description,
            status=CaseStatus(model.status),
            reported_at=model.reported_at,
            accept_due_at=model.accept_due_at,
            resolve_due_at=model.resolve_due_at,
            accepted_at=model.accepted_at,
            resolved_at=model.resolved_at,
            resolution_note=model.resolution_note,
            rating=model.rating,
            rating_comment=model.rating_comment,
            reopened_count=model.reopened_count,
            escalation=Escalation(model.escalation) if model.escalation else None,
            escalated_at=model.escalated_at,
            model=model,
        )

    async def _standing(self, info: Info) -> case_service.Standing:
        return case_service.standing_of(info.context.viewer, self.model, await viewer_organisations(info))

    @strawberry.field(description="Its category.")
    async def category(self, info: Info) -> CaseCategory:
        row = await info.context.loader(loaders.case_category_by_id_loader).load(self.model.category_id)
        return CaseCategory.from_model(row)

    @strawberry.field(description="The organisation responsible for it.")
    async def organisation(self, info: Info) -> Organisation:
        row = await organisation_loader(info).load(self.model.organisation_id)
        return Organisation.from_model(row)

    @strawberry.field(description="An organisation also told of it (安全隐患 → the 居委会); null if none.")
    async def informed_organisation(self, info: Info) -> Organisation | None:
        pk = self.model.informed_organisation_id
        row = await organisation_loader(info).load(pk) if pk else None
        return Organisation.from_model(row) if row is not None else None

    @strawberry.field(
        description="The compound it was reported for; null if the reporter has none registered."
    )
    async def compound(self, info: Info) -> Compound | None:
        pk = self.model.compound_id
        row = await info.context.loader(loaders.compound_by_id_loader).load(pk) if pk else None
        return Compound.from_model(row) if row is not None else None

    @strawberry.field(description="Where it is, if the reporter marked it on the map; null otherwise.")
    def location(
        self,
        system: Annotated[
            CoordinateSystem,
            strawberry.argument(
                description="The coordinate system to answer in; GCJ02 unless said otherwise."
            ),
        ] = CoordinateSystemValue.GCJ02,
    ) -> GeoPoint | None:
        if self.model.lat is None:
            return None
        lat, lng = from_wgs84(self.model.lat, self.model.lng, CoordinateSystemValue(system))
        return GeoPoint(lat=round(lat, 7), lng=round(lng, 7))

    @strawberry.field(description="Whether its running SLA (accept, then resolve) has passed.")
    def overdue(self, info: Info) -> bool:
        now = info.context.clock()
        if self.model.status in case_service.OPEN:
            return self.model.accept_due_at < now
        if self.model.status == affairs_models.CaseStatus.ACCEPTED.value:
            return self.model.resolve_due_at < now
        return False

    @strawberry.field(
        description="Who reported it: for the reporter, the organisation handling it and the community "
        "office "
        "(a read logged for anyone but the reporter); null for an organisation only informed of it."
    )
    async def reporter(self, info: Info) -> CaseReporter | None:
        standing = await self._standing(info)
        if not standing.sees_reporter:
            return None
        person = await info.context.loader(people_loaders.person_by_id_loader).load(self.model.reporter_id)
        if not standing.reporter:
            info.context.note_case_read(self.model.id, "reporter")
        whole = standing.reporter or is_office(info.context.viewer, self.model.community_id)
        return CaseReporter(name=person.name, phone=person.phone if whole else mask_phone(person.phone))

    @strawberry.field(
        description="Its photos (up to three): for the reporter, the organisation handling it and the office "
        "(a read logged for anyone but the reporter); empty for an organisation only informed of it."
    )
    async def photos(self, info: Info) -> list[CasePhoto]:
        standing = await self._standing(info)
        if not standing.sees_reporter:
            return []
        rows = await info.context.loader(loaders.photos_by_case_loader).load(self.model.id)
        photos = [
            CasePhoto(
                id=encode_global_id("CasePhoto", pk),
                position=position,
                content_type=content_type,
                byte_size=size,
                url=f"/affairs/photos/{encode_global_id('CasePhoto', pk)}",
            )
            for pk, position, content_type, size in rows
        ]
        if photos and not standing.reporter:
            info.context.note_case_read(self.model.id, "photos")
        return photos

    @strawberry.field(description="Its steps, oldest first.")
    async def events(self, info: Info) -> list[CaseEvent]:
        rows = await info.context.loader(loaders.events_by_case_loader).load(self.model.id)
        reporter = self.model.reporter_id
        return [
            CaseEvent(
                kind=CaseEventKind(row.kind),
                at=row.at,
                note=row.note,
                by_staff=row.actor_id is not None and row.actor_id != reporter,
            )
            for row in rows
        ]


@register_node("Case")
async def fetch_case(info: Info, pk: int) -> Case | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    row = await info.context.loader(loaders.case_by_id_loader).load(pk)
    if row is None:
        return None
    standing = case_service.standing_of(viewer, row, await viewer_organisations(info))
    return Case.from_model(row) if standing.sees else None


@strawberry.type(description="A case in a page of cases.")
class CaseEdge:
    cursor: str = strawberry.field(description="Opaque; pass it as `after` for the next page.")
    node: Case = strawberry.field(description="The case.")


@strawberry.type(description="A page of cases.")
class CaseConnection:
    edges: list[CaseEdge] = strawberry.field(description="This page's cases.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")


@strawberry.type(description="A case of yours moved a step, as it happened.")
class CaseUpdate:
    notification_id: strawberry.ID = strawberry.field(
        description="The inbox Notification that told it: pass it as `after` when reconnecting."
    )
    case: Case = strawberry.field(description="The case as it stands now.")


@strawberry.input(description="A problem to report.")
class CaseReportInput:
    category: str = strawberry.field(description="The category's code (see `caseCategories`).")
    description: str = strawberry.field(description="What is wrong, 1–1000 characters.")
    location: FacilityLocationInput | None = strawberry.field(
        default=None, description="Where, marked on the map (GCJ-02 unless said otherwise); optional."
    )
    compound_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The Compound it concerns: one your household lives in; needed only if it lives in "
        "several.",
    )
    photos: list[str] | None = strawberry.field(
        default=None,
        description="Up to three photos, each base64 (JPEG, PNG or WebP by their bytes, at most 2 MiB "
        "each). The "
        "request body is limited (64 KiB by default): larger photos go to `PUT /affairs/cases/<id>/photos`.",
    )


@strawberry.input(
    description="Which cases: one organisation's queue, a community's, or everything you may see."
)
class CaseQueueFilter:
    organisation_id: strawberry.ID | None = strawberry.field(
        default=None, description="One Organisation's queue (its members and its community office)."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="Every case of a Community (its office only)."
    )
    statuses: list[CaseStatus] | None = strawberry.field(default=None, description="Only these; null: all.")
    escalated_only: bool = strawberry.field(
        default=False, description="Only cases escalated to the office and not yet resolved."
    )


CaseResult = Annotated[
    Case | RuleViolation | NotFound,
    strawberry.union(
        "CaseResult",
        description="The case as it now stands; or the rule that said no; or NotFound (no such case, or not "
        "yours to act on).",
    ),
]


def report_quotas(context, _arguments: dict[str, Any] | None = None) -> list[Quota]:
    """Every report counts, kept or refused: a resident cannot flood a queue."""
    settings, person = context.settings, context.viewer.person_id
    return [
        Quota(f"case:hour:{person}", settings.case_reports_per_hour, 3600),
        Quota(f"case:day:{person}", settings.case_reports_per_day, 86400),
    ]


def page_of(info: Info, first: int, after: str | None, size: int) -> list | None:
    check_first(first, info.context.settings.max_page_size)
    return decode_cursor(after or None, size=size)


def connection(page, after: str | None, key_of) -> CaseConnection:
    edges = [
        CaseEdge(cursor=encode_cursor(key_of(key)), node=Case.from_model(row))
        for row, key in zip(page.items, page.keys, strict=True)
    ]
    return CaseConnection(
        edges=edges, page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None)
    )


def time_key(key: tuple) -> list:
    overdue, reported_at, pk = key
    return [bool(overdue), reported_at.isoformat(), pk]


def parsed_time_key(key: list | None) -> list | None:
    if key is None:
        return None
    try:
        overdue, reported_at, pk = key
        if not isinstance(overdue, bool) or not isinstance(pk, int):
            raise ValueError
        return [overdue, datetime.fromisoformat(reported_at), pk]
    except (TypeError, ValueError):
        return decode_cursor("", size=3)  # refused as a cursor this server did not make


@strawberry.type
class CasesQuery:
    @strawberry.field(
        description="The categories a resident can report under, in the order to show them. Public."
    )
    async def case_categories(
        self,
        info: Info,
        include_retired: Annotated[
            bool, strawberry.argument(description="Also those no longer offered.")
        ] = False,
    ) -> list[CaseCategory]:
        rows = await queries.categories(session=info.context.session, include_retired=include_retired)
        return [CaseCategory.from_model(row) for row in rows]

    @strawberry.field(extensions=signed_in(), description="The cases you reported, newest first. Signed in.")
    async def my_cases(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many: 0–100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The previous page's endCursor.")
        ] = None,
    ) -> CaseConnection:
        key = page_of(info, first, after, 1)
        if key is not None and not isinstance(key[0], int):
            key = decode_cursor("", size=1)
        page = await case_service.my_cases(
            session=info.context.session, viewer=info.context.viewer, first=first, after=key
        )
        return connection(page, after, lambda key: [key[0]])

    @strawberry.field(
        extensions=signed_in(),
        description="A queue of cases, overdue first, then newest first: an organisation's (its members and "
        "its "
        "community office), a community's (its office), or — with neither — every case you may see. Another "
        "organisation's or community's: NOT_FOUND. Reading a case's reporter or photos is logged.",
    )
    async def case_queue(
        self,
        info: Info,
        filter: Annotated[CaseQueueFilter | None, strawberry.argument(description="Which cases.")] = None,
        first: Annotated[int, strawberry.argument(description="How many: 0–100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The previous page's endCursor.")
        ] = None,
    ) -> CaseConnection:
        ctx = info.context
        key = parsed_time_key(page_of(info, first, after, 3))
        filter = filter or CaseQueueFilter()
        where = case_service.QueueFilter(
            organisation_id=pk_of(filter.organisation_id, "Organisation") if filter.organisation_id else None,
            community_id=pk_of(filter.community_id, "Community") if filter.community_id else None,
            statuses=[status.value for status in filter.statuses or []] or None,
            escalated_only=filter.escalated_only,
        )
        page = await or_not_found(
            case_service.case_queue(
                session=ctx.session, viewer=ctx.viewer, where=where, first=first, after=key, now=ctx.clock()
            )
        )
        return connection(page, after, time_key)


@strawberry.type
class CasesMutation:
    @strawberry.mutation(
        extensions=[CountsAttempts(quotas=report_quotas, counts=lambda answer: True), *has_role(*PEOPLE)],
        description="Report a problem (有事一键找): routed in the same step to the organisation "
        "responsible (the compound's rule for the category; else the category's default kind; else the "
        "居委会), which is told in its inbox. Signed in, with a community; at most 5 reports an hour and "
        "20 a day (RATE_LIMITED). A device gateway: FORBIDDEN.",
    )
    async def case_report(
        self, info: Info, input: Annotated[CaseReportInput, strawberry.argument(description="The problem.")]
    ) -> CaseResult:
        ctx = info.context

        async def work():
            lat = lng = None
            if input.location is not None:
                lat, lng = wgs84_point(
                    input.location.lat, input.location.lng, CoordinateSystemValue(input.location.system)
                )
            report = case_service.Report(
                category_code=input.category,
                description=input.description,
                lat=lat,
                lng=lng,
                compound_id=pk_of(input.compound_id, "Compound") if input.compound_id else None,
                photos=input.photos or (),
            )
            return await case_service.report_case(
                session=ctx.session, viewer=ctx.viewer, report=report, now=ctx.clock()
            )

        return await mutation_result(info, work(), Case.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Accept a REPORTED or REOPENED case: a member of the organisation responsible, or the "
        "community office. Accepted already: CASE_NOT_OPEN.",
    )
    async def case_accept(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The Case's ID.")]
    ) -> CaseResult:
        ctx = info.context
        work = case_service.accept_case(
            session=ctx.session, viewer=ctx.viewer, case_id=pk_of(id, "Case"), now=ctx.clock()
        )
        return await mutation_result(info, work, Case.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Resolve an ACCEPTED case with a note saying how (1–1000 characters, else "
        "NOTE_REQUIRED): a "
        "member of the organisation responsible, or the community office.",
    )
    async def case_resolve(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Case's ID.")],
        note: Annotated[str, strawberry.argument(description="How it was resolved.")],
    ) -> CaseResult:
        ctx = info.context
        work = case_service.resolve_case(
            session=ctx.session, viewer=ctx.viewer, case_id=pk_of(id, "Case"), note=note, now=ctx.clock()
        )
        return await mutation_result(info, work, Case.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Rate a RESOLVED case of yours, once: 1–5 and an optional comment (at most 500). It is "
        "then "
        "closed for good. Someone else's case: NOT_FOUND.",
    )
    async def case_rate(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Case's ID.")],
        rating: Annotated[int, strawberry.argument(description="1 (poor) to 5 (very good).")],
        comment: Annotated[str | None, strawberry.argument(description="What you thought.")] = None,
    ) -> CaseResult:
        ctx = info.context
        work = case_service.rate_case(
            session=ctx.session,
            viewer=ctx.viewer,
            case_id=pk_of(id, "Case"),
            rating=rating,
            comment=comment,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, Case.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Reopen a RESOLVED case of yours within 7 days of its resolution, saying why (1–500): "
        "back "
        "to the organisation's queue with fresh SLAs. Later: REOPEN_WINDOW_PASSED.",
    )
    async def case_reopen(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Case's ID.")],
        comment: Annotated[str, strawberry.argument(description="Why it is not resolved.")],
    ) -> CaseResult:
        ctx = info.context
        work = case_service.reopen_case(
            session=ctx.session,
            viewer=ctx.viewer,
            case_id=pk_of(id, "Case"),
            comment=comment,
            now=ctx.clock(),
        )
        return await mutation_result(info, work, Case.from_model)


CASE_KINDS = frozenset({NotificationKind.CASE_UPDATED.value, NotificationKind.CASE_ASSIGNED.value})


@strawberry.type
class CasesSubscription:
    @strawberry.subscription(
        extensions=signed_in(),
        description="Your cases as they move (accepted, resolved, escalated) and, for staff, cases coming to "
        "your organisation's queue: the case as it stands at each step, over the inbox's outbox, on every "
        "replica. A case you may no longer see (you left the organisation) is skipped. Signed in.",
    )
    async def my_case_updates(
        self,
        info: Info,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The last `notificationId` the client has: what came after is delivered first."
            ),
        ] = strawberry.UNSET,
    ) -> AsyncGenerator[CaseUpdate, None]:
        ctx = info.context
        last = None if after is strawberry.UNSET or after is None else pk_of(after, "Notification")
        deliveries = ctx.inbox.events(person_id=ctx.viewer.person_id, after=last)
        async with contextlib.aclosing(deliveries):
            async for rows in deliveries:
                await ctx.release()  # each delivery reads the cases and the membership afresh
                wanted = [row for row in rows if row.kind in CASE_KINDS and row.subject_id]
                found = await delivered_cases(info, [pk_of(row.subject_id, "Case") for row in wanted])
                for row in wanted:
                    case = found.get(pk_of(row.subject_id, "Case"))
                    if case is not None:
                        yield CaseUpdate(notification_id=encode_global_id("Notification", row.id), case=case)
                await ctx.release()  # the delivered cases' fields are resolved by now


def selected_case_fields(info: Info) -> set[str]:
    """The fields the subscriber selects of `case` (through fragments too)."""

    def names(selections) -> set[str]:
        found: set[str] = set()
        for selection in selections:
            name = getattr(selection, "name", None)
            if name is None:  # a fragment
                found |= names(selection.selections)
            else:
                found.add(name)
        return found

    under: list = []
    for field in info.selected_fields:
        for selection in field.selections:
            if getattr(selection, "name", None) == "case":
                under += selection.selections
            elif getattr(selection, "name", None) is None:
                under += [inner for inner in selection.selections if getattr(inner, "name", None) == "case"]
    return names(under)


async def delivered_cases(info: Info, ids: list[int]) -> dict[int, Case]:
    """The cases of one delivery that the viewer may still see, read together, with what the
    subscriber selects of them loaded for all at once (each update is sent on its own, so its
    fields would otherwise be read one case at a time)."""
    ctx = info.context
    rows = [row for row in await ctx.loader(loaders.case_by_id_loader).load_many(ids) if row is not None]
    organisations = await viewer_organisations(info)
    standings = {row.id: case_service.standing_of(ctx.viewer, row, organisations) for row in rows}
    visible = [row for row in rows if standings[row.id].sees]
    personal = [row for row in visible if standings[row.id].sees_reporter]
    fields = selected_case_fields(info)
    warm = []
    if "category" in fields:
        warm.append(
            ctx.loader(loaders.case_category_by_id_loader).load_many([r.category_id for r in visible])
        )
    referred = []
    if "organisation" in fields:
        referred += [row.organisation_id for row in visible]
    if "informedOrganisation" in fields:
        referred += [row.informed_organisation_id for row in visible if row.informed_organisation_id]
    if referred:
        warm.append(organisation_loader(info).load_many(referred))
    if "compound" in fields:
        compounds = [row.compound_id for row in visible if row.compound_id]
        warm.append(ctx.loader(loaders.compound_by_id_loader).load_many(compounds))
    if "events" in fields:
        warm.append(ctx.loader(loaders.events_by_case_loader).load_many([row.id for row in visible]))
    if "reporter" in fields:
        people = [row.reporter_id for row in personal]
        warm.append(ctx.loader(people_loaders.person_by_id_loader).load_many(people))
    if "photos" in fields:
        warm.append(ctx.loader(loaders.photos_by_case_loader).load_many([row.id for row in personal]))
    await asyncio.gather(*warm)
    return {row.id: Case.from_model(row) for row in visible}
