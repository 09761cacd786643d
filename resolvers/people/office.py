"""The community office runs its people: create, update, disable and enable them, grant and revoke
roles, issue password reset codes; and people reset and change their own passwords.

ADMIN runs everyone; a COMMUNITY_ADMIN runs the people of their own community who hold neither
ADMIN nor COMMUNITY_ADMIN (those are for ADMIN alone, as are the device gateways). Every change is
audited in its own transaction; every change of a person's rights or credentials ends or refuses
their tokens on every replica (resolvers.people.sessions). There is always an active ADMIN:
changes that could remove the last one take one lock and count, so two at once cannot both pass.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.people import (
    COMMUNITY_ROLES,
    Community,
    Household,
    PasswordResetCode,
    Person,
    PersonRole,
    Role,
)
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.errors import DomainFailure, ErrorCode, NotFound, flush_or_fail, savepoint
from resolvers.pagination import Page, keyset_page
from resolvers.people.accounts import mask_phone, normalize_phone, password_hasher
from resolvers.people.errors import InvalidCredentials, InvalidResetCode
from resolvers.people.passwords import check_password, new_reset_code, normalize_code
from resolvers.people.sessions import (
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    PERSON_DISABLED,
    refuse_older_tokens,
    revoke_person_sessions,
)

OFFICE_ROLES = frozenset({Role.ADMIN, Role.COMMUNITY_ADMIN})
ADMIN_ONLY_ROLES = frozenset({Role.ADMIN, Role.COMMUNITY_ADMIN, Role.DEVICE_GATEWAY})
# One lock for every change that could leave no active ADMIN (a transaction-scoped advisory lock).
ADMINS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('linli:admins'))"


def is_admin(viewer: Viewer) -> bool:
    return viewer.has_role(Role.ADMIN.value)


def may_run(viewer: Viewer, person: Person) -> bool:
    """Whether the viewer's office runs this person."""
    if is_admin(viewer):
        return True
    if not viewer.has_role(Role.COMMUNITY_ADMIN.value) or viewer.community_id is None:
        return False
    return person.community_id == viewer.community_id and not set(person.role_names) & OFFICE_ROLES


def person_global_id(person_id: int) -> str:
    return audit.global_id("Person", person_id)


def snapshot(person: Person) -> dict[str, Any]:
    """What the audit trail keeps of a person: never a password, a hash or a code; the phone masked."""
    return {
        "name": person.name,
        "phone": mask_phone(person.phone),
        "communityId": person.community_id,
        "householdId": person.household_id,
        "roles": sorted(person.role_names),
        "disabled": person.disabled_at is not None,
    }


# The unique phone decides, not a check in Python.
PHONE_UNIQUE = {"uq_persons_phone": lambda: DomainFailure(ErrorCode.PHONE_TAKEN, "该手机号已登记")}


async def _audit(
    *, session: AsyncSession, action: str, person: Person, before: dict | None, actor_id: int | None = None
) -> None:
    await audit.record(
        session=session,
        action=action,
        object_id=person_global_id(person.id),
        community_id=person.community_id,
        before=before,
        after=snapshot(person),
        actor_id=actor_id,
    )


async def person_run_by(
    *, session: AsyncSession, viewer: Viewer, person_id: int, lock: bool = True
) -> Person:
    """The person, if the viewer's office runs them; NotFound otherwise (no telling who exists)."""
    stmt = select(Person).where(Person.id == person_id)
    if lock:
        stmt = stmt.with_for_update(of=Person)
    person = await session.scalar(stmt)
    if person is None:
        raise NotFound("该人员")
    await session.refresh(person, ["roles"])
    if not may_run(viewer, person):
        raise NotFound("该人员")
    return person


async def office_community(
    *, session: AsyncSession, viewer: Viewer, community_id: int | None, household_id: int | None
) -> tuple[int | None, int | None]:
    """The community and household a person is put in: a COMMUNITY_ADMIN only their own."""
    if not is_admin(viewer):
        if community_id is not None and community_id != viewer.community_id:
            raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只能管理本社区的人员")
        community_id = viewer.community_id
    if community_id is not None and await session.get(Community, community_id) is None:
        raise NotFound("该社区")
    if household_id is not None:
        household = await session.get(Household, household_id)
        if household is None or household.community_id != community_id:
            raise DomainFailure(ErrorCode.HOUSEHOLD_NOT_IN_COMMUNITY, "该住户不属于所选社区")
    return community_id, household_id


@dataclass(frozen=True)
class PersonInput:
    phone: str
    name: str
    community_id: int | None = None
    household_id: int | None = None


def _name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 100:
        raise DomainFailure(ErrorCode.INVALID_NAME, "请填写姓名（100 字以内）")
    return name


async def create_person(*, session: AsyncSession, viewer: Viewer, data: PersonInput) -> Person:
    """A resident of the community, without a password (the office issues a reset code)."""
    phone, name = normalize_phone(data.phone), _name(data.name)
    community_id, household_id = await office_community(
        session=session, viewer=viewer, community_id=data.community_id, household_id=data.household_id
    )
    person = Person(phone=phone, name=name, community_id=community_id, household_id=household_id)
    person.roles = [PersonRole(role=Role.RESIDENT.value)]
    async with savepoint(session=session, meanings=PHONE_UNIQUE):
        session.add(person)
    await _audit(session=session, action="person.create", person=person, before=None)
    return person


@dataclass(frozen=True)
class PersonChange:
    """What to change: None leaves a field as it is, but for the place, where `*_given` says a
    value (possibly none) was given."""

    name: str | None = None
    phone: str | None = None
    community_id: int | None = None
    community_given: bool = False
    household_id: int | None = None
    household_given: bool = False


async def update_person(
    *, session: AsyncSession, viewer: Viewer, person_id: int, change: PersonChange
) -> Person:
    person = await person_run_by(session=session, viewer=viewer, person_id=person_id)
    before = snapshot(person)
    if change.name is not None:
        person.name = _name(change.name)
    if change.phone is not None:
        person.phone = normalize_phone(change.phone)
    moved = False
    if change.community_given or change.household_given:
        # An office places people within its community; only ADMIN moves them between communities.
        community_id = change.community_id if change.community_given else person.community_id
        moved = community_id != person.community_id
        household_id = (
            change.household_id if change.household_given else None if moved else person.household_id
        )
        if community_id is None and set(person.role_names) & COMMUNITY_ROLES:
            raise DomainFailure(ErrorCode.ROLE_NEEDS_COMMUNITY, "持有社区岗位角色的人员必须属于一个社区")
        if moved and not is_admin(viewer):
            raise DomainFailure(ErrorCode.OTHER_COMMUNITY, "只能管理本社区的人员")
        person.community_id, person.household_id = await office_community(
            session=session, viewer=viewer, community_id=community_id, household_id=household_id
        )
    await flush_or_fail(session=session, meanings=PHONE_UNIQUE)
    if moved:  # staff rights follow the community: tokens naming the old one stop working
        await refuse_older_tokens(session=session, person=person)
    await _audit(session=session, action="person.update", person=person, before=before)
    return person


async def _active_admins_besides(session: AsyncSession, person_id: int) -> int:
    """Active ADMINs other than this person, counted under the admins' lock."""
    await session.execute(text(ADMINS_LOCK))
    return await session.scalar(
        select(func.count())
        .select_from(PersonRole)
        .join(Person, Person.id == PersonRole.person_id)
        .where(PersonRole.role == Role.ADMIN.value, Person.disabled_at.is_(None), Person.id != person_id)
    )


async def disable_person(*, session: AsyncSession, viewer: Viewer, person_id: int, now: datetime) -> Person:
    person = await person_run_by(session=session, viewer=viewer, person_id=person_id)
    if person.disabled_at is not None:
        raise DomainFailure(ErrorCode.ALREADY_DISABLED, "该账号已停用")
    if Role.ADMIN.value in person.role_names and await _active_admins_besides(session, person.id) == 0:
        raise DomainFailure(ErrorCode.LAST_ADMIN, "不能停用最后一位系统管理员")
    before = snapshot(person)
    person.disabled_at = now
    await revoke_person_sessions(session=session, person_id=person.id, reason=PERSON_DISABLED, now=now)
    await refuse_older_tokens(session=session, person=person)
    await _audit(session=session, action="person.disable", person=person, before=before)
    return person


async def enable_person(*, session: AsyncSession, viewer: Viewer, person_id: int) -> Person:
    person = await person_run_by(session=session, viewer=viewer, person_id=person_id)
    if person.disabled_at is None:
        raise DomainFailure(ErrorCode.NOT_DISABLED, "该账号未停用")
    before = snapshot(person)
    person.disabled_at = None
    await refuse_older_tokens(session=session, person=person)  # announces "enabled"
    await _audit(session=session, action="person.enable", person=person, before=before)
    return person


def _may_grant(viewer: Viewer, role: Role) -> bool:
    return is_admin(viewer) or role not in ADMIN_ONLY_ROLES


async def grant_role(*, session: AsyncSession, viewer: Viewer, person_id: int, role: Role) -> Person:
    person = await person_run_by(session=session, viewer=viewer, person_id=person_id)
    if not _may_grant(viewer, role):
        raise DomainFailure(ErrorCode.ADMIN_ONLY_ROLE, "只有系统管理员可以授予此角色")
    if role in COMMUNITY_ROLES and person.community_id is None:
        raise DomainFailure(ErrorCode.ROLE_NEEDS_COMMUNITY, "社区岗位角色须授予属于某个社区的人员")
    if role.value in person.role_names:
        raise DomainFailure(ErrorCode.ROLE_ALREADY_HELD, "该人员已有此角色")
    before = snapshot(person)
    session.add(PersonRole(person_id=person.id, role=role.value))
    await session.flush()
    await session.refresh(person, ["roles"])
    await refuse_older_tokens(session=session, person=person)
    await _audit(session=session, action="role.grant", person=person, before=before)
    return person


async def revoke_role(*, session: AsyncSession, viewer: Viewer, person_id: int, role: Role) -> Person:
    person = await person_run_by(session=session, viewer=viewer, person_id=person_id)
    if not _may_grant(viewer, role):
        raise DomainFailure(ErrorCode.ADMIN_ONLY_ROLE, "只有系统管理员可以收回此角色")
    if role.value not in person.role_names:
        raise DomainFailure(ErrorCode.ROLE_NOT_HELD, "该人员没有此角色")
    if role is Role.ADMIN and await _active_admins_besides(session, person.id) == 0:
        raise DomainFailure(ErrorCode.LAST_ADMIN, "不能收回最后一位系统管理员的角色")
    before = snapshot(person)
    await session.execute(
        delete(PersonRole).where(PersonRole.person_id == person.id, PersonRole.role == role.value)
    )
    await session.refresh(person, ["roles"])
    # Every token naming the role is refused at once; a refresh gets one without it.
    await refuse_older_tokens(session=session, person=person)
    await _audit(session=session, action="role.revoke", person=person, before=before)
    return person


@dataclass(frozen=True)
class ResetCode:
    person: Person
    code: str  # shown once
    expires_at: datetime


async def issue_reset_code(
    *, session: AsyncSession, viewer: Viewer, person_id: int, now: datetime, ttl: timedelta
) -> ResetCode:
    """A one-time code the office gives the person; any earlier unused one stops working."""
    person = await person_run_by(session=session, viewer=viewer, person_id=person_id)
    if person.disabled_at is not None:
        raise DomainFailure(ErrorCode.ALREADY_DISABLED, "该账号已停用，请先启用")
    await session.execute(
        update(PasswordResetCode)
        .where(PasswordResetCode.person_id == person.id, PasswordResetCode.used_at.is_(None))
        .values(used_at=now)
    )
    made = await _reset_code(session=session, person=person, issued_by=viewer.person_id, now=now, ttl=ttl)
    await audit.record(
        session=session,
        action="password.reset_issue",
        object_id=person_global_id(person.id),
        community_id=person.community_id,
        after={"expiresAt": made.expires_at.isoformat()},
    )
    return made


async def _reset_code(
    *, session: AsyncSession, person: Person, issued_by: int, now: datetime, ttl: timedelta
) -> ResetCode:
    """A new code for the person: only its hash is stored; the code itself is shown once."""
    code = new_reset_code()
    session.add(
        PasswordResetCode(
            person_id=person.id,
            code_hash=password_hasher.hash(code),
            issued_by=issued_by,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return ResetCode(person, code, now + ttl)


async def reset_password(
    *, session: AsyncSession, phone: str, code: str, new_password: str, now: datetime
) -> Person:
    """With the office's code, the person sets a new password; every session of theirs ends."""
    try:
        normalized = normalize_phone(phone)
    except DomainFailure:
        raise InvalidResetCode(ErrorCode.RESET_CODE_INVALID, "手机号或重置码不正确") from None
    person = await session.scalar(select(Person).where(Person.phone == normalized).with_for_update())
    codes = []
    if person is not None:
        codes = list(
            await session.scalars(
                select(PasswordResetCode)
                .where(
                    PasswordResetCode.person_id == person.id,
                    PasswordResetCode.created_at > now - timedelta(days=7),
                )
                .order_by(PasswordResetCode.created_at.desc())
                .with_for_update()
            )
        )
    given = normalize_code(code)
    matched = next((candidate for candidate in codes if _verifies(candidate.code_hash, given)), None)
    if person is None or matched is None:
        raise InvalidResetCode(ErrorCode.RESET_CODE_INVALID, "手机号或重置码不正确")
    if matched.used_at is not None:
        raise InvalidResetCode(ErrorCode.RESET_CODE_USED, "该重置码已使用或已失效，请向社区办公室重新申请")
    if matched.expires_at <= now:
        raise InvalidResetCode(ErrorCode.RESET_CODE_EXPIRED, "该重置码已过期，请向社区办公室重新申请")
    if person.disabled_at is not None:
        raise InvalidResetCode(ErrorCode.ACCOUNT_DISABLED, "该账号已停用，请联系社区办公室")
    check_password(new_password, phone=person.phone)
    matched.used_at = now
    person.password_hash = password_hasher.hash(new_password)
    await session.flush()
    await revoke_person_sessions(session=session, person_id=person.id, reason=PASSWORD_RESET, now=now)
    await refuse_older_tokens(session=session, person=person)
    await session.refresh(person, ["roles"])
    await audit.record(
        session=session,
        action="password.reset",
        object_id=person_global_id(person.id),
        community_id=person.community_id,
        actor_id=person.id,
    )
    return person


def _verifies(code_hash: str, code: str) -> bool:
    try:
        return password_hasher.verify(code_hash, code)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def change_password(
    *, session: AsyncSession, viewer: Viewer, old_password: str, new_password: str, now: datetime
) -> Person:
    """The signed-in person's own password; their other sessions end, this one goes on."""
    person = await session.scalar(select(Person).where(Person.id == viewer.person_id).with_for_update())
    if person is None or not person.password_hash or not _verifies(person.password_hash, old_password):
        raise InvalidCredentials(ErrorCode.INVALID_CREDENTIALS, "原密码不正确")
    check_password(new_password, phone=person.phone)
    if _verifies(person.password_hash, new_password):
        raise DomainFailure(ErrorCode.PASSWORD_UNCHANGED, "新密码不能与原密码相同")
    person.password_hash = password_hasher.hash(new_password)
    await session.flush()
    await revoke_person_sessions(
        session=session, person_id=person.id, reason=PASSWORD_CHANGED, now=now, keep=viewer.session_id
    )
    await session.refresh(person, ["roles"])
    await audit.record(
        session=session,
        action="password.change",
        object_id=person_global_id(person.id),
        community_id=person.community_id,
    )
    return person


# ── Reading ─────────────────────────────────────────────────────────────────


def people_run_by(viewer: Viewer) -> Select:
    stmt = select(Person)
    if is_admin(viewer):
        return stmt
    office_roles = select(PersonRole.person_id).where(PersonRole.role.in_([r.value for r in OFFICE_ROLES]))
    return stmt.where(Person.community_id == viewer.community_id, Person.id.not_in(office_roles))


async def list_people(
    *, session: AsyncSession, viewer: Viewer, search: str | None, first: int, after: Sequence | None
) -> Page[Person]:
    """The office's people by name; `search` matches a part of the name or of the phone."""
    stmt = people_run_by(viewer)
    if search:
        term = search.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        matches = [Person.name.contains(term, autoescape=True)]
        if len(digits) >= 4:  # a few digits of a phone; fewer would match nearly everyone
            matches.append(Person.phone.contains(digits, autoescape=True))
        stmt = stmt.where(or_(*matches))
    return await keyset_page(
        stmt, session=session, key_columns=[Person.name, Person.id], first=first, after=after
    )


@dataclass(frozen=True)
class AuditFilter:
    object_id: str | None = None
    actor_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_audit(
    *, session: AsyncSession, viewer: Viewer, where: AuditFilter, first: int, after: Sequence | None
) -> Page[AuditLog]:
    """Newest first: ADMIN every row, a COMMUNITY_ADMIN their community's."""
    stmt = select(AuditLog)
    if not is_admin(viewer):
        stmt = stmt.where(AuditLog.community_id == viewer.community_id)
    if where.object_id is not None:
        stmt = stmt.where(AuditLog.object_id == where.object_id)
    if where.actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == where.actor_id)
    if where.action is not None:
        stmt = stmt.where(AuditLog.action == where.action)
    if where.since is not None:
        stmt = stmt.where(AuditLog.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditLog.at < where.until)
    return await keyset_page(
        stmt,
        session=session,
        key_columns=[AuditLog.at, AuditLog.id],
        first=first,
        after=after,
        descending=True,
    )


async def first_admin(
    *, session: AsyncSession, phone: str, name: str, password: str | None, now: datetime, ttl: timedelta
) -> tuple[Person, ResetCode | None]:
    """The first ADMIN of an empty database (`linli admin create`); refused once there is one.
    Without a password, a reset code to set one with (shown once)."""
    await session.execute(text(ADMINS_LOCK))
    admins = select(func.count()).select_from(PersonRole).where(PersonRole.role == Role.ADMIN.value)
    if await session.scalar(admins):
        raise DomainFailure(ErrorCode.ADMIN_EXISTS, "已有系统管理员：请由其在社区办公室中添加人员")
    normalized = normalize_phone(phone)
    person = Person(phone=normalized, name=_name(name))
    if password is not None:
        check_password(password, phone=normalized)
        person.password_hash = password_hasher.hash(password)
    person.roles = [PersonRole(role=Role.ADMIN.value)]
    async with savepoint(session=session, meanings=PHONE_UNIQUE):
        session.add(person)
    await audit.record(
        session=session,
        action="person.create",
        object_id=person_global_id(person.id),
        after=snapshot(person),
        actor_id=person.id,
    )
    if password is not None:
        return person, None
    return person, await _reset_code(session=session, person=person, issued_by=person.id, now=now, ttl=ttl)
