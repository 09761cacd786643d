"""通知一键达 in the graph: `noticePublish`, `myNotices`, `noticeMarkRead`, `noticeAcknowledge`,
`noticeReadReceipts`, and the Notice node."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import affairs as affairs_models
from resolvers.affairs import loaders
from resolvers.affairs import notices as notice_service
from schema.affairs.types import Building, Compound, Organisation, Tenure, Unit
from schema.common import (
    Node,
    NotFound,
    PageInfo,
    RuleViolation,
    bad_request,
    check_first,
    decode_cursor,
    decode_time_cursor,
    described_enum,
    encode_cursor,
    encode_global_id,
    mutation_result,
    or_not_found,
    pk_of,
)
from schema.node import register_node
from schema.people.base import Community, fetch_community
from schema.permissions import forbidden, signed_in

NoticeAudience = described_enum(
    affairs_models.NoticeAudience,
    name="NoticeAudience",
    description="Whom of the households where a notice is aimed it reaches.",
    values={
        "ALL": "Every household living there, owners and tenants.",
        "OWNERS": "Households owning a unit there (业主).",
        "TENANTS": "Households renting a unit there (租客).",
    },
)

FIRST = strawberry.argument(description="How many to return: 0–100.")
AFTER = strawberry.argument(
    description="Continue after this cursor (`pageInfo.endCursor` of the previous page)."
)
NOTICE_ID = strawberry.argument(description="The Notice's global ID.")


def building_of(model: affairs_models.Building) -> Building:
    return Building(id=encode_global_id("Building", model.id), name=model.name, pk=model.id)


@strawberry.type(
    description="A notice (通知一键达) of the community office or its 居委会 to the households of a "
    "community, a compound or some of its buildings. Seen by the people of the households it "
    "reached, the office of its community and the members of the 居委会 it was published for."
)
class Notice(Node):
    title: str = strawberry.field(description="Its title (1–100 characters).")
    body: str = strawberry.field(description="Its text (1–2000 characters).")
    audience: NoticeAudience = strawberry.field(description="Whom of the households there it was for.")
    requires_acknowledgement: bool = strawberry.field(
        description="Whether each household is asked to confirm it (`noticeAcknowledge`)."
    )
    published_at: datetime = strawberry.field(description="When it was published.")
    households: int = strawberry.field(description="How many households it reached.")
    pk: strawberry.Private[int]
    community_pk: strawberry.Private[int]
    compound_pk: strawberry.Private[int | None]
    organisation_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, model: affairs_models.Notice) -> "Notice":
        return cls(
            id=encode_global_id("Notice", model.id),
            title=model.title,
            body=model.body,
            audience=NoticeAudience(model.audience),
            requires_acknowledgement=model.requires_acknowledgement,
            published_at=model.published_at,
            households=model.households,
            pk=model.id,
            community_pk=model.community_id,
            compound_pk=model.compound_id,
            organisation_pk=model.organisation_id,
        )

    @strawberry.field(description="The community it was published in.")
    async def community(self, info: Info) -> Community:
        return await fetch_community(info, self.community_pk)

    @strawberry.field(description="The compound it was aimed at; null: the whole community.")
    async def compound(self, info: Info) -> Compound | None:
        if self.compound_pk is None:
            return None
        model = await info.context.loader(loaders.compound_by_id_loader).load(self.compound_pk)
        return Compound.from_model(model) if model is not None else None

    @strawberry.field(
        description="The buildings it was limited to, by name; empty: its whole compound or community."
    )
    async def buildings(self, info: Info) -> list[Building]:
        rows = await info.context.loader(loaders.buildings_by_notice_loader).load(self.pk)
        return [building_of(row) for row in rows]

    @strawberry.field(description="The 居委会 it was published for; null: the community office published it.")
    async def organisation(self, info: Info) -> Organisation | None:
        if self.organisation_pk is None:
            return None
        model = await info.context.loader(loaders.organisation_by_id_loader).load(self.organisation_pk)
        return Organisation.from_model(model) if model is not None else None


@register_node("Notice")
async def fetch_notice(info: Info, pk: int) -> Notice | None:
    model = await info.context.loader(loaders.notice_seen_by_id_loader).load(pk)
    return Notice.from_model(model) if model is not None else None


# ── Your household's notices ─────────────────────────────────────────────────


@strawberry.type(description="A notice that reached your household, with your household's receipt of it.")
class MyNoticeEdge:
    cursor: str = strawberry.field(description="Opaque; pass it as `after` for the older ones.")
    node: Notice = strawberry.field(description="The notice.")
    read_at: datetime | None = strawberry.field(
        description="When someone of your household first read it; null while no one has."
    )
    acknowledged_at: datetime | None = strawberry.field(
        description="When someone of your household acknowledged it; null while no one has (or it "
        "asks for no acknowledgement)."
    )


@strawberry.type(description="A page of the notices that reached your household, newest first.")
class MyNoticeConnection:
    edges: list[MyNoticeEdge] = strawberry.field(description="This page's notices, newest first.")
    page_info: PageInfo = strawberry.field(
        description="Whether older ones follow, and the cursor to ask for them."
    )


@strawberry.type(description="Your household's receipt of a notice, as it stands after the change.")
class NoticeReading:
    notice: Notice = strawberry.field(description="The notice.")
    read_at: datetime | None = strawberry.field(
        description="When someone of your household first read it (a later reading does not move it)."
    )
    acknowledged_at: datetime | None = strawberry.field(
        description="When someone of your household acknowledged it; null while no one has."
    )

    @classmethod
    def of(cls, reading: notice_service.Reading) -> "NoticeReading":
        return cls(
            notice=Notice.from_model(reading.notice),
            read_at=reading.receipt.read_at,
            acknowledged_at=reading.receipt.acknowledged_at,
        )


# ── The publishers' view ──────────────────────────────────────────────────────


@strawberry.type(description="A unit through which a household was reached, with how it holds it.")
class ReachedUnit:
    building: Building = strawberry.field(description="The unit's building.")
    unit: Unit = strawberry.field(description="The unit.")
    tenure: Tenure = strawberry.field(description="Whether the household owns or rents it.")


@strawberry.type(description="One household a notice reached, and whether it has read it.")
class NoticeReadReceipt:
    household_address: str = strawberry.field(description="The household's registered address.")
    units: list[ReachedUnit] = strawberry.field(
        description="The units it was reached through, as its residences stand now (by building and unit)."
    )
    read_at: datetime | None = strawberry.field(
        description="When someone of the household first read it; null: no one has (call them)."
    )
    read_by_name: str | None = strawberry.field(
        description="Who of the household read it first; null while unread."
    )
    acknowledged_at: datetime | None = strawberry.field(
        description="When someone of the household acknowledged it; null while no one has."
    )


@strawberry.type(description="A household's receipt in a page of a notice's receipts.")
class NoticeReadReceiptEdge:
    cursor: str = strawberry.field(description="Opaque; pass it as `after` for the next ones.")
    node: NoticeReadReceipt = strawberry.field(description="The household's receipt.")


@strawberry.type(
    description="The households a notice reached, by address, and how many of them have read and "
    "acknowledged it in all."
)
class NoticeReadReceiptConnection:
    notice: Notice = strawberry.field(description="The notice.")
    edges: list[NoticeReadReceiptEdge] = strawberry.field(description="This page's households, by address.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")
    households: int = strawberry.field(description="Households the notice reached, all of them.")
    read: int = strawberry.field(description="Of those, how many have read it.")
    acknowledged: int = strawberry.field(description="Of those, how many have acknowledged it.")


# ── Publishing ────────────────────────────────────────────────────────────────


@strawberry.input(description="A notice to publish, and where it goes.")
class NoticePublishInput:
    title: str = strawberry.field(description="Its title, 1–100 characters (trimmed; else INVALID_TITLE).")
    body: str = strawberry.field(description="Its text, 1–2000 characters (trimmed; else INVALID_BODY).")
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The Community. ADMIN must give it; a COMMUNITY_ADMIN's own community whatever is given "
        "(another: OTHER_COMMUNITY); a 居委会 member's 居委会's community (another: NOT_FOUND).",
    )
    compound_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A Compound of that community (else NOTICE_TARGET); null: the whole community.",
    )
    building_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Buildings of that compound (else NOTICE_TARGET; without a compound: NOTICE_TARGET); "
        "null or empty: the whole compound.",
    )
    audience: NoticeAudience = strawberry.field(
        default=affairs_models.NoticeAudience.ALL,
        description="Whom of the households there: ALL unless said.",
    )
    requires_acknowledgement: bool = strawberry.field(
        default=False, description="Ask each household to confirm it (`noticeAcknowledge`)."
    )


NoticePublishResult = Annotated[
    Notice | RuleViolation | NotFound,
    strawberry.union(
        "NoticePublishResult",
        description="The notice as published; or the rule that said no (nothing is published then); or "
        "NotFound (no such community, or not one you publish in).",
    ),
]
NoticeReadingResult = Annotated[
    NoticeReading | RuleViolation | NotFound,
    strawberry.union(
        "NoticeReadingResult",
        description="Your household's receipt; or the rule that said no; or NotFound (no such notice, or it "
        "did not reach your household).",
    ),
]


def _optional_pk(global_id, type_name: str) -> int | None:
    return pk_of(global_id, type_name) if global_id else None


def _receipt_cursor(after: str | None) -> list | None:
    key = decode_cursor(after, size=2)
    if key is not None and not (isinstance(key[0], str) and isinstance(key[1], int)):
        raise bad_request(f"无效的分页游标：{after!r}", "INVALID_CURSOR")
    return key


async def resolve_my_notices(
    info: Info,
    first: Annotated[int, FIRST] = 20,
    after: Annotated[str | None, AFTER] = strawberry.UNSET,
) -> MyNoticeConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    page = await notice_service.my_notices(
        session=ctx.session, viewer=ctx.viewer, first=first, after=decode_time_cursor(after or None)
    )
    edges = [
        MyNoticeEdge(
            cursor=encode_cursor([published.isoformat(), pk]),
            node=Notice.from_model(reading.notice),
            read_at=reading.receipt.read_at,
            acknowledged_at=reading.receipt.acknowledged_at,
        )
        for reading, (published, pk) in zip(page.items, page.keys, strict=True)
    ]
    return MyNoticeConnection(
        edges=edges, page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None)
    )


async def resolve_notice_read_receipts(
    info: Info,
    id: Annotated[strawberry.ID, NOTICE_ID],
    first: Annotated[int, FIRST] = 20,
    after: Annotated[str | None, AFTER] = strawberry.UNSET,
    unread_only: Annotated[
        bool, strawberry.argument(description="Only the households where no one has read it yet.")
    ] = False,
) -> NoticeReadReceiptConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    key = _receipt_cursor(after or None)
    notice, page = await or_not_found(
        notice_service.read_receipts(
            session=ctx.session,
            viewer=ctx.viewer,
            notice_id=pk_of(id, "Notice"),
            first=first,
            after=key,
            unread_only=unread_only,
        )
    )
    units = await notice_service.units_reached(
        session=ctx.session, notice=notice, household_ids=[item.household_id for item in page.items]
    )
    edges = [
        NoticeReadReceiptEdge(
            cursor=encode_cursor(list(item_key)),
            node=NoticeReadReceipt(
                household_address=item.address,
                units=[
                    ReachedUnit(
                        building=building_of(reached.building),
                        unit=Unit(id=encode_global_id("Unit", reached.unit.id), name=reached.unit.name),
                        tenure=Tenure(reached.tenure),
                    )
                    for reached in units[item.household_id]
                ],
                read_at=item.read_at,
                read_by_name=item.reader_name,
                acknowledged_at=item.acknowledged_at,
            ),
        )
        for item, item_key in zip(page.items, page.keys, strict=True)
    ]
    totals = await notice_service.receipt_totals(session=ctx.session, notice_id=notice.id)
    return NoticeReadReceiptConnection(
        notice=Notice.from_model(notice),
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
        households=totals.households,
        read=totals.read,
        acknowledged=totals.acknowledged,
    )


@strawberry.type
class NoticesQuery:
    my_notices: MyNoticeConnection = strawberry.field(
        resolver=resolve_my_notices,
        extensions=signed_in(),
        description="The notices that reached your household, newest first, each with your household's "
        "receipt. Signed in; a person with no household: an empty page.",
    )
    notice_read_receipts: NoticeReadReceiptConnection = strawberry.field(
        resolver=resolve_notice_read_receipts,
        extensions=signed_in(),
        description="The households a notice reached, by address, with who read it and when, and the totals: "
        "for calling those who have not read it. The office of its community and the members of the 居委会 "
        "it was published for; anyone else: NOT_FOUND.",
    )


@strawberry.type
class NoticesMutation:
    @strawberry.mutation(
        extensions=signed_in(),
        description="Publish a notice to a community, a compound or some of its buildings, for all, owners "
        "or tenants: each household living there gets one receipt and each of its people an inbox row "
        "(NOTICE). The community office (ADMIN; the COMMUNITY_ADMIN of that community) or a member of "
        "its 居委会 (published for the 居委会); anyone else: FORBIDDEN. Nowhere anyone lives: NO_HOUSEHOLDS.",
    )
    async def notice_publish(
        self,
        info: Info,
        input: Annotated[
            NoticePublishInput, strawberry.argument(description="The notice and where it goes.")
        ],
    ) -> NoticePublishResult:
        ctx = info.context
        if not await notice_service.may_publish(session=ctx.session, viewer=ctx.viewer):
            raise forbidden()
        draft = notice_service.Draft(
            title=input.title,
            body=input.body,
            community_id=_optional_pk(input.community_id, "Community"),
            compound_id=_optional_pk(input.compound_id, "Compound"),
            building_ids=[pk_of(value, "Building") for value in input.building_ids or ()],
            audience=affairs_models.NoticeAudience(input.audience.value),
            requires_acknowledgement=input.requires_acknowledgement,
        )
        work = notice_service.publish_notice(
            session=ctx.session, viewer=ctx.viewer, draft=draft, now=ctx.clock()
        )
        return await mutation_result(info, work, Notice.from_model)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Mark a notice that reached your household read. The household's first reading is kept: "
        "a repeat, or another of its people, changes nothing. Your inbox row of it is marked read too.",
    )
    async def notice_mark_read(
        self, info: Info, id: Annotated[strawberry.ID, NOTICE_ID]
    ) -> NoticeReadingResult:
        ctx = info.context
        work = notice_service.mark_notice_read(
            session=ctx.session, viewer=ctx.viewer, notice_id=pk_of(id, "Notice"), now=ctx.clock()
        )
        return await mutation_result(info, work, NoticeReading.of)

    @strawberry.mutation(
        extensions=signed_in(),
        description="Acknowledge, for your household, a notice that asks for it (else "
        "ACKNOWLEDGEMENT_NOT_REQUIRED); it is marked read too if no one of your household had. A repeat "
        "changes nothing.",
    )
    async def notice_acknowledge(
        self, info: Info, id: Annotated[strawberry.ID, NOTICE_ID]
    ) -> NoticeReadingResult:
        ctx = info.context
        work = notice_service.acknowledge_notice(
            session=ctx.session, viewer=ctx.viewer, notice_id=pk_of(id, "Notice"), now=ctx.clock()
        )
        return await mutation_result(info, work, NoticeReading.of)
