"""A person's inbox in the graph: `myNotifications`, `notificationsMarkRead`, `myNotificationEvents`."""

import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import notifications as notification_models
from resolvers import notifications as inbox
from schema.common import (
    NotFound,
    PageInfo,
    RuleViolation,
    check_first,
    decode_cursor,
    described_enum,
    encode_cursor,
    encode_global_id,
    mutation_result,
    pk_of,
)
from schema.permissions import signed_in

NotificationKind = described_enum(
    notification_models.NotificationKind,
    name="NotificationKind",
    description="What a notification tells.",
    values={
        "RESERVATION_CANCELLED": "Your maker-space reservation was cancelled by the space (a resource "
        "retired or blocked for maintenance).",
        "CHILDCARE_SESSION_CANCELLED": "A childcare session your child was booked on was cancelled "
        "(a closure).",
        "CHILDCARE_WAITLIST_PROMOTED": "Your child's waitlisted childcare booking is now confirmed.",
        "CONSENT_WITHDRAWN": "An elder you follow withdrew consent to monitoring: you no longer follow them.",
        "FAMILY_LINK_REMOVED": "You no longer follow an elder (the link was removed).",
        "CASE_UPDATED": "A case you reported moved a step (accepted, resolved, escalated): `subjectId` is "
        "the Case.",
        "CASE_ASSIGNED": "A case came to the queue of an organisation you act for (or it is informed of it).",
        "CASE_ESCALATED": "A case of your community passed its SLA: the community office is to follow it up.",
        "NOTICE": "A notice (通知一键达) reached your household: `subjectId` is the Notice.",
    },
)


@strawberry.type(description="Something an operation told you, in your inbox.")
class Notification:
    id: strawberry.ID = strawberry.field(
        description="The notification's global ID (for notificationsMarkRead)."
    )
    kind: NotificationKind = strawberry.field(description="What it tells.")
    title: str = strawberry.field(description="A short title, in Chinese.")
    body: str = strawberry.field(description="The message, in Chinese.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The global ID of what it is about (e.g. the Reservation); null if nothing."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    read_at: datetime | None = strawberry.field(description="When you marked it read; null while unread.")

    @classmethod
    def from_model(cls, model: notification_models.Notification) -> "Notification":
        return cls(
            id=encode_global_id("Notification", model.id),
            kind=NotificationKind(model.kind),
            title=model.title,
            body=model.body,
            subject_id=model.subject_id,
            created_at=model.created_at,
            read_at=model.read_at,
        )


@strawberry.type(description="A notification in a page of your inbox.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Opaque; pass it as `after` for the older ones.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="A page of your inbox, newest first, and how many are unread in all.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="This page's notifications, newest first.")
    page_info: PageInfo = strawberry.field(
        description="Whether older ones follow, and the cursor to ask for them."
    )
    unread_count: int = strawberry.field(
        description="Your unread notifications, all of them (not only this page)."
    )


@strawberry.type(description="The notifications were marked read.")
class NotificationsMarked:
    marked: int = strawberry.field(
        description="How many were unread and are now read (0: all were read already)."
    )
    unread_count: int = strawberry.field(description="Your unread notifications left.")


NotificationsMarkReadResult = Annotated[
    NotificationsMarked | RuleViolation | NotFound,
    strawberry.union(
        "NotificationsMarkReadResult", description="Marked, or why not (nothing is marked then)."
    ),
]


async def resolve_my_notifications(
    info: Info,
    first: Annotated[int, strawberry.argument(description="How many to return: 0–100.")] = 20,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="Continue after this cursor (`pageInfo.endCursor` of the previous page)."
        ),
    ] = strawberry.UNSET,
    unread_only: Annotated[bool, strawberry.argument(description="Only the unread ones.")] = False,
) -> NotificationConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    key = decode_cursor(after or None, size=1)
    if key is not None and not isinstance(key[0], int):
        key = decode_cursor("", size=1)  # refused as a cursor this server did not make
    person_id = ctx.viewer.person_id
    page = await inbox.inbox_page(
        session=ctx.session,
        person_id=person_id,
        first=first,
        after=None if key is None else key[0],
        unread_only=unread_only,
    )
    edges = [
        NotificationEdge(cursor=encode_cursor([row.id]), node=Notification.from_model(row))
        for row in page.items
    ]
    return NotificationConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
        unread_count=await inbox.unread_count(session=ctx.session, person_id=person_id),
    )


@strawberry.type
class NotificationsQuery:
    my_notifications: NotificationConnection = strawberry.field(
        resolver=resolve_my_notifications,
        extensions=signed_in(),
        description="Your inbox, newest first: what operations told you (a cancelled reservation or session, "
        "a waitlist promotion, a withdrawn consent). Signed in; only your own.",
    )


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(
        extensions=signed_in(),
        description="Mark your notifications read: those named by `ids` (1–100), or all with `all: true`. "
        "One already read keeps when it was first read. An id that is not yours is NOT_FOUND and nothing "
        "is marked.",
    )
    async def notifications_mark_read(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Global IDs of your notifications.")
        ] = None,
        all: Annotated[bool, strawberry.argument(description="Every unread notification of yours.")] = False,
    ) -> NotificationsMarkReadResult:
        ctx = info.context
        named = None if ids is None else [pk_of(value, "Notification") for value in ids]
        return await mutation_result(
            info, _marking(ctx, named, all), lambda done: NotificationsMarked(**done)
        )


async def _marking(ctx, named: list[int] | None, everything: bool) -> dict:
    person_id = ctx.viewer.person_id
    marked = await inbox.mark_read(
        session=ctx.session, person_id=person_id, ids=named, everything=everything, now=ctx.clock()
    )
    return {
        "marked": marked,
        "unread_count": await inbox.unread_count(session=ctx.session, person_id=person_id),
    }


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(
        extensions=signed_in(),
        description="Your notifications as they are written (after `after`, or from now on), in order, on "
        "every server replica. Signed in; only your own.",
    )
    async def my_notification_events(
        self,
        info: Info,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The last Notification the client has (its global ID): the ones after it are "
                "delivered first, so a phone that reconnects loses nothing. Omitted: from now on."
            ),
        ] = strawberry.UNSET,
    ) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        last = None if after is strawberry.UNSET or after is None else pk_of(after, "Notification")
        deliveries = ctx.inbox.events(person_id=ctx.viewer.person_id, after=last)
        async with contextlib.aclosing(deliveries):
            async for rows in deliveries:
                for row in rows:
                    yield Notification.from_model(row)
