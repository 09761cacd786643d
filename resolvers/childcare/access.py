"""Who may see a child's data: the guardians; childcare staff of a community where the child has a
booking (of any status) at a centre; administrators. Staff of any other community see nothing.
And who sees a session's carers on duty: childcare staff of its centre's community, administrators."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, bindparam, exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from models.childcare import (
    Child,
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    ChildGuardian,
    SessionCarer,
)
from models.people import Person, Role
from resolvers.actor import Viewer
from resolvers.batching import grouped, in_order
from resolvers.errors import NotFound


def _guardian_of(viewer: Viewer) -> ColumnElement[bool]:
    return exists().where(ChildGuardian.child_id == Child.id, ChildGuardian.person_id == viewer.person_id)


def _staff_community(viewer: Viewer) -> int | None:
    """The community whose centres' children the viewer serves as childcare staff, if any."""
    return viewer.community_id if viewer.has_role(Role.CHILDCARE_STAFF.value) else None


def _centre_community():
    """A booking's centre's community, as a correlated scalar subquery."""
    return (
        select(ChildcareCenter.community_id)
        .join(ChildcareClass, ChildcareClass.center_id == ChildcareCenter.id)
        .join(ChildcareSession, ChildcareSession.class_id == ChildcareClass.id)
        .where(ChildcareSession.id == ChildcareBooking.session_id)
        .scalar_subquery()
    )


def _booked_in(community_id: int | None) -> ColumnElement[bool]:
    """The child has a booking, of any status, at a centre of that community."""
    if community_id is None:
        return false()
    return exists().where(ChildcareBooking.child_id == Child.id, _centre_community() == community_id)


def pickup_phones_whole(viewer: Viewer) -> ColumnElement[bool]:
    """The children whose pick-up adults' numbers the viewer sees whole: their guardians, and the
    staff who verify the adult at the gate of a centre the child is booked at (admins: masked)."""
    return or_(_guardian_of(viewer), _booked_in(_staff_community(viewer)))


def visible_children(viewer: Viewer) -> ColumnElement[bool]:
    """The children whose data the viewer may read: those above, and every child for admins."""
    return true() if viewer.has_role(Role.ADMIN.value) else pickup_phones_whole(viewer)


def visible_bookings(viewer: Viewer) -> ColumnElement[bool]:
    """The bookings the viewer may read: all of their own children's, and the ones at centres of
    the community they are childcare staff of."""
    if viewer.has_role(Role.ADMIN.value):
        return true()
    guardian = exists().where(
        ChildGuardian.child_id == ChildcareBooking.child_id, ChildGuardian.person_id == viewer.person_id
    )
    community = _staff_community(viewer)
    if community is None:
        return guardian
    return or_(guardian, _centre_community() == community)


async def visible_children_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """The children among `ids` the viewer may see (None for the others): one statement for many."""
    children = await session.scalars(select(Child).where(Child.id.in_(ids), visible_children(viewer)))
    return in_order(children, ids)


async def visible_child_or_error(*, session: AsyncSession, viewer: Viewer, child_id: int) -> Child:
    child = await session.scalar(select(Child).where(Child.id == child_id, visible_children(viewer)))
    if child is None:
        raise NotFound("该儿童")
    return child


async def pickup_phones_whole_by_ids(*, session: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list:
    """For each child among `ids`, whether the viewer sees its pick-up adults' numbers whole."""
    whole = set(await session.scalars(select(Child.id).where(Child.id.in_(ids), pickup_phones_whole(viewer))))
    return [pk in whole for pk in ids]


async def visible_bookings_by_child_ids(
    *, session: AsyncSession, viewer: Viewer, ids: Sequence[int]
) -> list[list[ChildcareBooking]]:
    """Each child's bookings the viewer may read, newest first."""
    return await grouped(
        select(ChildcareBooking)
        .where(ChildcareBooking.child_id.in_(ids), visible_bookings(viewer))
        .order_by(func.lower(ChildcareBooking.period).desc(), ChildcareBooking.id),
        session=session,
        ids=ids,
        key="child_id",
    )


def carer_viewer_values(viewer: Viewer | None) -> dict:
    """The values of sees_carers' parameters for this viewer (NULL matches nothing)."""
    admin = viewer is not None and viewer.has_role(Role.ADMIN.value)
    return {
        "viewer_sees_all": admin,
        "viewer_staff_community_id": None if viewer is None or admin else _staff_community(viewer),
    }


def sees_carers(community_id: Any, viewer: Viewer | None = None) -> ColumnElement[bool]:
    """Whether the viewer sees the carers on duty at a centre of that community: administrators
    all, childcare staff their community's. Its viewer-dependent parts are named bind parameters
    (the compiled read path prepares the statement once and binds each request's viewer)."""
    values = carer_viewer_values(viewer)
    return or_(
        bindparam("viewer_sees_all", values["viewer_sees_all"], type_=Boolean),
        community_id
        == bindparam("viewer_staff_community_id", values["viewer_staff_community_id"], type_=BigInteger),
    )


def carer_order(person: Any = Person.__table__) -> tuple:
    return (person.c.name, person.c.id)


async def carers_by_session_ids(
    *, session: AsyncSession, viewer: Viewer, ids: Sequence[int]
) -> list[list[Person] | None]:
    """Each session's carers on duty, by name, for childcare staff of its centre's community and
    administrators; None for a session the viewer does not staff (and for everyone else, without
    asking the database). One statement for many: a session seen with nobody on duty is []."""
    values = carer_viewer_values(viewer)
    if not values["viewer_sees_all"] and values["viewer_staff_community_id"] is None:
        return [None] * len(ids)
    stmt = (
        select(ChildcareSession.id, Person)
        .join(ChildcareClass, ChildcareClass.id == ChildcareSession.class_id)
        .join(ChildcareCenter, ChildcareCenter.id == ChildcareClass.center_id)
        .outerjoin(SessionCarer, SessionCarer.session_id == ChildcareSession.id)
        .outerjoin(Person, Person.id == SessionCarer.person_id)
        .where(ChildcareSession.id.in_(ids), sees_carers(ChildcareCenter.community_id, viewer))
        .order_by(ChildcareSession.id, *carer_order())
    )
    seen: dict[int, list[Person]] = {}
    for session_id, person in await session.execute(stmt):
        carers = seen.setdefault(session_id, [])
        if person is not None:
            carers.append(person)
    return [seen.get(pk) for pk in ids]
