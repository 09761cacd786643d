"""Childcare centres and sessions on the compiled read path (#19): childcareCenters and
childcareSessions as one statement each whose JSON PostgreSQL builds, from the same definitions the
resolvers read: the lists' orders and conditions (resolvers/childcare/sessions.py), which bookings
are waitlisted, and who sees a session's carers on duty (access.sees_carers, the viewer bound per
request).

No child's data is shown by what is declared here, so nothing is noted in the child access log;
the one read of a child these fields make is childcareSessions(childId:) (eligibility), which the
planner leaves to the resolvers. Not declared, so a selection with them runs through the resolvers:
ChildcareSession.remaining (bookings.places, computed in Python per session) and
ChildcareSession.eligible with a child (the Civil Code age, base.age_in_months, has no SQL)."""

from typing import Any

from sqlalchemy import BigInteger, Date, Text, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    ChildcareBooking,
    ChildcareCenter,
    ChildcareClass,
    ChildcareSession,
    SessionCarer,
    TimetableEntry,
)
from models.people import Person
from resolvers.actor import Viewer
from resolvers.childcare.access import carer_order, carer_viewer_values, sees_carers
from resolvers.childcare.sessions import (
    center_not_found,
    center_order,
    class_order,
    is_waitlisted,
    session_order,
    sessions_of_center,
    timetable_order,
)
from resolvers.compiled import (
    Columns,
    Env,
    FieldSQL,
    ObjectType,
    Path,
    Plans,
    Prepared,
    Selected,
    bound,
    bound_values,
    column,
    datetime_text,
    empty_array,
    fetch_json,
    global_id,
    list_of,
    object_json,
    one_of,
)
from resolvers.makerspace.compiled import clock_text


def _id(type_name: str) -> FieldSQL:
    return FieldSQL(sql=lambda source, _selected, _path: global_id(type_name, source.c.id))


TIMETABLE_ENTRY = ObjectType(
    "ChildcareTimetableEntry",
    {
        "weekday": column("weekday"),
        "careType": column("care_type"),  # stored as the enum member's name
        "startsAt": FieldSQL(sql=lambda source, _selected, _path: clock_text(source.c.starts_at)),
        "endsAt": FieldSQL(sql=lambda source, _selected, _path: clock_text(source.c.ends_at)),
        "capacity": column("capacity"),
    },
)
_ENTRY = TimetableEntry.__table__
CLASS = ObjectType(
    "ChildcareClass",
    {
        "id": _id("ChildcareClass"),
        "name": column("name"),
        "kind": column("kind"),
        "minAgeMonths": column("min_age_months"),
        "maxAgeMonths": column("max_age_months"),
        "capacity": column("capacity"),
        "carerRatio": column("carer_ratio"),
        "timetable": list_of(
            TIMETABLE_ENTRY,
            Columns(tuple(_ENTRY.c)),
            timetable_order(_ENTRY),
            lambda klass: _ENTRY.c.class_id == klass.c.id,
        ),
    },
)
_CLASS = ChildcareClass.__table__
CENTER = ObjectType(
    "ChildcareCenter",
    {
        "id": _id("ChildcareCenter"),
        "name": column("name"),
        "classes": list_of(
            CLASS,
            Columns(tuple(_CLASS.c)),
            class_order(_CLASS),
            lambda center: _CLASS.c.center_id == center.c.id,
        ),
    },
)
CARER = ObjectType("ChildcareCarer", {"id": _id("Person"), "name": column("name")})


def _carers(source: Any, selected: Selected, path: Path) -> Any:
    """ChildcareSession.carers: by name for those who see them (sees_carers), else null; [] when
    nobody is on duty."""
    person = Person.__table__.alias("carer")
    duty = SessionCarer.__table__.alias("duty")
    element = object_json(CARER, person, selected.selections, path=path)
    roster = (
        select(empty_array(func.json_agg(aggregate_order_by(element, *carer_order(person)))))
        .select_from(duty.join(person, person.c.id == duty.c.person_id))
        .where(duty.c.session_id == source.c.id)
        .scalar_subquery()
    )
    return case((sees_carers(source.c.center_community_id), roster), else_=None)


def _waitlisted(source: Any, _selected: Selected, _path: Path) -> Any:
    booking = ChildcareBooking.__table__.alias("waiting")
    return (
        select(func.count())
        .select_from(booking)
        .where(booking.c.session_id == source.c.id, is_waitlisted(booking))
        .scalar_subquery()
    )


SESSION = ObjectType(
    "ChildcareSession",
    {
        "id": _id("ChildcareSession"),
        "careType": column("care_type"),
        "start": FieldSQL(sql=lambda source, _selected, _path: datetime_text(source.c.starts)),
        "end": FieldSQL(sql=lambda source, _selected, _path: datetime_text(source.c.ends)),
        "capacity": column("capacity"),
        "booked": column("confirmed_count"),
        "carersOnDuty": column("carer_count"),
        "cancelledAt": FieldSQL(sql=lambda source, _selected, _path: datetime_text(source.c.cancelled_at)),
        "cancelReason": column("cancel_reason"),
        # Only planned without childId (the planner leaves childId to the resolvers): null, as there.
        "eligible": FieldSQL(sql=lambda _source, _selected, _path: literal_column("NULL::boolean")),
        "class": one_of(CLASS, Columns(tuple(_CLASS.c)), lambda slot: _CLASS.c.id == slot.c.class_id),
        "waitlisted": FieldSQL(sql=_waitlisted),
        "carers": FieldSQL(sql=_carers, of=CARER),
    },
)

_PLANS = Plans()


def _centers_statement(selected: Selected) -> Any:
    center = ChildcareCenter.__table__.alias("center")
    element = object_json(CENTER, center, selected.selections, path=(selected.key,))
    return select(cast(empty_array(func.json_agg(aggregate_order_by(element, *center_order(center)))), Text))


def plan_centers(selected: Selected, *, env: Env) -> tuple[Prepared, dict[str, Any]]:
    """childcareCenters' statement: every centre, in the order list_centers gives them."""
    prepared = _PLANS.get(("childcareCenters", selected.structure()), lambda: _centers_statement(selected))
    return prepared, bound_values(CENTER, selected.selections, env, path=(selected.key,))


def _sessions_statement(selected: Selected) -> Any:
    """One row, the sessions' JSON as text, when the centre exists; no row otherwise."""
    center = ChildcareCenter.__table__.alias("center")
    slot = ChildcareSession.__table__.alias("slot")
    klass = ChildcareClass.__table__.alias("klass")
    source = Columns(
        (
            slot.c.id,
            slot.c.class_id,
            slot.c.care_type,
            func.lower(slot.c.period).label("starts"),
            func.upper(slot.c.period).label("ends"),
            slot.c.capacity,
            slot.c.confirmed_count,
            slot.c.carer_count,
            slot.c.cancelled_at,
            slot.c.cancel_reason,
            center.c.community_id.label("center_community_id"),
        )
    )
    element = object_json(SESSION, source, selected.selections, path=(selected.key,))
    where = sessions_of_center(
        slot,
        klass,
        center_id=center.c.id,
        first_day=cast(bound((), "first_day"), Date),
        last_day=cast(bound((), "last_day"), Date),
    )
    sessions = (
        select(empty_array(func.json_agg(aggregate_order_by(element, *session_order(slot, klass)))))
        .select_from(slot.join(klass, klass.c.id == slot.c.class_id))
        .where(*where)
        .scalar_subquery()
    )
    return select(cast(sessions, Text)).where(center.c.id == cast(bound((), "center_id"), BigInteger))


def plan_sessions(
    selected: Selected, *, viewer: Viewer | None, center_id: int, first_day: Any, last_day: Any, env: Env
) -> tuple[Prepared, dict[str, Any]]:
    """childcareSessions' statement (without childId) and its values: the viewer's are sees_carers'."""
    prepared = _PLANS.get(("childcareSessions", selected.structure()), lambda: _sessions_statement(selected))
    values = {
        **bound_values(SESSION, selected.selections, env, path=(selected.key,)),
        **carer_viewer_values(viewer),
        "center_id": center_id,
        "first_day": first_day,
        "last_day": last_day,
    }
    return prepared, values


async def sessions_json(*, session: AsyncSession, prepared: Prepared, values: dict[str, Any]) -> str:
    """The sessions' JSON; a centre that does not exist fails as get_center_or_error does."""
    text = await fetch_json(session=session, prepared=prepared, values=values)
    if text is None:
        raise center_not_found()
    return text
