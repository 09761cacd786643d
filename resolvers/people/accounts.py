"""Persons, roles and communities: sign-in, the signed-in person, adding users."""

import re
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.people import PHONE_PATTERN, Community, Person, PersonRole, Role
from resolvers.batching import by_ids
from resolvers.errors import DomainFailure, ErrorCode
from resolvers.pagination import Page, keyset_page
from resolvers.people.passwords import check_password

password_hasher = PasswordHasher()
# Verified against when the phone is unknown, so a wrong phone costs as long as a wrong password.
_DUMMY_HASH = password_hasher.hash("linli-timing-equalizer")


def normalize_phone(raw: str) -> str:
    """'+86 138-0000 0001' → '13800000001'; anything that is not a mainland mobile is an error."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not re.fullmatch(PHONE_PATTERN, digits):
        raise DomainFailure(ErrorCode.INVALID_PHONE, f"手机号格式不正确：{raw}")
    return digits


def mask_phone(phone: str) -> str:
    """'13800000001' → '138****0001': enough to recognise a number, not to call it."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def hash_password(password: str, *, phone: str | None) -> str:
    """The argon2id hash of a password that passes the rules (resolvers.people.passwords)."""
    check_password(password, phone=phone)
    return password_hasher.hash(password)


async def authenticate(*, session: AsyncSession, phone: str, password: str) -> Person | None:
    """The person these credentials belong to, or None; never says which half was wrong."""
    try:
        normalized = normalize_phone(phone)
    except DomainFailure:
        normalized = None
    person = None
    if normalized is not None:
        person = await session.scalar(select(Person).where(Person.phone == normalized))
    stored_hash = person.password_hash if person is not None and person.password_hash else _DUMMY_HASH
    try:
        password_hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if person is None or not person.password_hash:
        return None
    if password_hasher.check_needs_rehash(person.password_hash):
        person.password_hash = password_hasher.hash(password)
        await session.flush()
    return person


async def get_person(*, session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


get_persons_by_ids = by_ids(Person)


async def get_person_by_phone(*, session: AsyncSession, phone: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.phone == normalize_phone(phone)))


async def get_community_by_name(*, session: AsyncSession, name: str) -> Community | None:
    return await session.scalar(select(Community).where(Community.name == name.strip()))


get_communities_by_ids = by_ids(Community)


async def list_communities(*, session: AsyncSession, first: int, after: Sequence | None) -> Page[Community]:
    return await keyset_page(
        select(Community),
        session=session,
        key_columns=[Community.name, Community.id],
        first=first,
        after=after,
    )


async def add_user(
    *,
    session: AsyncSession,
    phone: str,
    name: str,
    role: Role,
    community_name: str | None = None,
    password: str | None = None,
) -> Person:
    """Create the person, or add the role to the person who already has this phone.

    The upserts make it safe when two admins add the same phone at once.
    """
    normalized = normalize_phone(phone)
    if not name.strip():
        raise DomainFailure(ErrorCode.NAME_REQUIRED, "姓名不能为空")
    community_id = None
    if community_name is not None:
        community = await get_community_by_name(session=session, name=community_name)
        if community is None:
            raise DomainFailure(ErrorCode.COMMUNITY_NOT_FOUND, f"没有名为「{community_name}」的社区")
        community_id = community.id
    values = {"phone": normalized, "name": name.strip()}
    if community_id is not None:
        values["community_id"] = community_id
    if password is not None:
        values["password_hash"] = hash_password(password, phone=normalized)
    person_id = await session.scalar(
        insert(Person)
        .values(**values)
        .on_conflict_do_update(index_elements=[Person.phone], set_=values)
        .returning(Person.id)
    )
    await session.execute(
        insert(PersonRole).values(person_id=person_id, role=role.value).on_conflict_do_nothing()
    )
    await session.flush()
    person = await session.get(Person, person_id, populate_existing=True)
    assert person is not None
    await session.refresh(person, ["roles"])
    return person
