"""Children with their guardians' consent, and the adults who may pick them up."""

import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import (
    Child,
    ChildGuardian,
    PickupPerson,
)
from resolvers.actor import Viewer
from resolvers.batching import by_ids, grouped
from resolvers.childcare.base import UNDER_MONTHS, age_in_months, pin_hasher
from resolvers.clock import SHANGHAI
from resolvers.errors import DomainFailure, ErrorCode, NotFound, savepoint
from resolvers.people import normalize_phone


async def register_child(
    *, session: AsyncSession, viewer: Viewer, name: str, birth_date: date, consent: bool, now: datetime
) -> Child:
    if not consent:
        raise DomainFailure(
            ErrorCode.CONSENT_REQUIRED, "登记儿童信息须经监护人同意；未同意时不会保存任何信息"
        )
    if not name.strip() or len(name) > 50:
        raise DomainFailure(ErrorCode.INVALID_NAME, "请填写儿童姓名（50 字以内）")
    today = now.astimezone(SHANGHAI).date()
    if birth_date > today:
        raise DomainFailure(ErrorCode.INVALID_BIRTH_DATE, "出生日期不能晚于今天")
    if age_in_months(birth_date, today) >= UNDER_MONTHS:
        raise DomainFailure(ErrorCode.NOT_UNDER_THREE, "托育服务面向 3 岁以下婴幼儿")
    child = Child(
        name=name.strip(), birth_date=birth_date, consent_given_at=now, consent_given_by=viewer.person_id
    )
    session.add(child)
    await session.flush()
    session.add(ChildGuardian(child_id=child.id, person_id=viewer.person_id))
    await session.flush()
    return child


async def children_of(*, session: AsyncSession, person_id: int) -> list[Child]:
    return list(
        await session.scalars(
            select(Child)
            .join(ChildGuardian, ChildGuardian.child_id == Child.id)
            .where(ChildGuardian.person_id == person_id)
            .order_by(Child.birth_date, Child.id)
        )
    )


async def guardian_child_or_error(*, session: AsyncSession, viewer: Viewer, child_id: int) -> Child:
    """The child if the viewer is its guardian; NotFound otherwise (another family's child stays unseen)."""
    child = await session.scalar(
        select(Child)
        .join(ChildGuardian, ChildGuardian.child_id == Child.id)
        .where(Child.id == child_id, ChildGuardian.person_id == viewer.person_id)
    )
    if child is None:
        raise NotFound("该儿童")
    return child


async def add_pickup_person(
    *, session: AsyncSession, viewer: Viewer, child_id: int, name: str, phone: str
) -> tuple[PickupPerson, str]:
    child = await guardian_child_or_error(session=session, viewer=viewer, child_id=child_id)
    if not name.strip():
        raise DomainFailure(ErrorCode.INVALID_NAME, "请填写接送人姓名")
    normalized = normalize_phone(phone)
    pin = f"{secrets.randbelow(10**6):06d}"
    person = PickupPerson(
        child_id=child.id,
        name=name.strip(),
        phone=normalized,
        pin_hash=pin_hasher.hash(pin),
        added_by=viewer.person_id,
    )
    async with savepoint(
        session=session,
        meanings={
            "uq_pickup_persons_child_phone": lambda: DomainFailure(
                ErrorCode.PICKUP_PERSON_EXISTS, "该手机号已是这个孩子的接送人"
            )
        },
    ):
        session.add(person)
    return person, pin


async def pickup_persons_by_child_ids(
    *, session: AsyncSession, ids: Sequence[int]
) -> list[list[PickupPerson]]:
    return await grouped(
        select(PickupPerson)
        .where(PickupPerson.child_id.in_(ids), PickupPerson.active)
        .order_by(PickupPerson.id),
        session=session,
        ids=ids,
        key="child_id",
    )


get_children_by_ids = by_ids(Child)
