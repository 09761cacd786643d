"""The community office in the graph: its people, their roles and password codes, and the audit
trail; a person's own password (reset with the office's code, or changed)."""

from datetime import datetime
from typing import Annotated, ClassVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from models import people as people_models
from resolvers import people as people_service
from resolvers.errors import DomainFailure
from resolvers.people import errors as people_failures
from resolvers.people import office
from schema.abuse import CountsAttempts, answer_is, code_quotas, reset_quotas
from schema.common import (
    DomainError,
    NotFound,
    PageInfo,
    RuleViolation,
    check_first,
    decode_cursor,
    decode_time_cursor,
    encode_cursor,
    encode_global_id,
    mutation_result,
    pk_of,
)
from schema.people.base import Community, InvalidCredentials, Role, fetch_community
from schema.permissions import has_role, signed_in

OFFICE = (people_models.Role.ADMIN, people_models.Role.COMMUNITY_ADMIN)


@strawberry.type(description="A person as the community office sees them (phone masked but your own).")
class Person:
    id: strawberry.ID = strawberry.field(
        description="The person's global ID (for personUpdate, roleGrant …)."
    )
    name: str = strawberry.field(description="The person's name.")
    phone: str = strawberry.field(description="Mobile number, masked (138****0001) unless it is your own.")
    roles: list[Role] = strawberry.field(description="The roles the person holds.")
    disabled_at: datetime | None = strawberry.field(
        description="When the account was disabled (it cannot sign in); null while it is active."
    )
    created_at: datetime = strawberry.field(description="When the person was added.")
    model: strawberry.Private[people_models.Person]

    @classmethod
    def shown(cls, info: Info, model: people_models.Person) -> "Person":
        viewer = info.context.viewer
        own = viewer is not None and viewer.person_id == model.id
        return cls(
            id=encode_global_id("Person", model.id),
            name=model.name,
            phone=model.phone if own else people_service.mask_phone(model.phone),
            roles=[Role(name) for name in model.role_names],
            disabled_at=model.disabled_at,
            created_at=model.created_at,
            model=model,
        )

    @strawberry.field(description="The community the person belongs to; null for none.")
    async def community(self, info: Info) -> Community | None:
        if self.model.community_id is None:
            return None
        return await fetch_community(info, self.model.community_id)


@strawberry.type(description="A person in a page of people.")
class PersonEdge:
    cursor: str = strawberry.field(description="Opaque; pass it as `after` for the people after this one.")
    node: Person = strawberry.field(description="The person.")


@strawberry.type(description="A page of people, by name.")
class PersonConnection:
    edges: list[PersonEdge] = strawberry.field(description="This page's people, by name.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")


@strawberry.type(
    description="One change, as it was committed: who, when, in which request, before and after."
)
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's global ID.")
    at: datetime = strawberry.field(description="When the change was made (the time of its transaction).")
    actor_id: strawberry.ID | None = strawberry.field(
        description="The Person who acted (null: nobody signed in)."
    )
    request_id: str | None = strawberry.field(
        description="The server's ID of the request that made the change (its `X-Request-ID` response header "
        "and log line); null when no request made it (e.g. the command line)."
    )
    action: str = strawberry.field(
        description="What was done, as `object.verb`: e.g. person.create, person.update, role.grant, "
        "password.reset_issue, session.open."
    )
    object_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the object changed (e.g. a Person or a Session); null if none."
    )
    before: JSON | None = strawberry.field(
        description="What the object was before (phones masked; never a password, hash or code); null if "
        "nothing is kept (e.g. on create)."
    )
    after: JSON | None = strawberry.field(
        description="What the object became (phones masked; never a password, hash or code); null if nothing "
        "is kept."
    )


@strawberry.type(description="An entry in a page of the audit log.")
class AuditEntryEdge:
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` for the entries after (older than) this one."
    )
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the audit log, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="This page's entries, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")


@strawberry.input(description="A new person, a RESIDENT without a password (issue a reset code next).")
class PersonCreateInput:
    phone: str = strawberry.field(
        description="Mainland mobile number, e.g. 13800000001 (spaces, dashes and +86 are ignored); not yet "
        "registered (else PHONE_TAKEN)."
    )
    name: str = strawberry.field(description="The person's name: 1–100 characters (trimmed).")
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="ADMIN only; the office's own community otherwise."
    )
    household_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A Household of that community (else HOUSEHOLD_NOT_IN_COMMUNITY); null or omitted: none.",
    )


@strawberry.input(description="Only what is given changes; communityId and householdId move the person.")
class PersonUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new name: 1–100 characters (trimmed); omitted or null: unchanged.",
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new mainland mobile number (not registered to anyone else, else PHONE_TAKEN); omitted "
        "or null: unchanged.",
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Move the person to this community (ADMIN only; else OTHER_COMMUNITY); null: to none "
        "(not for holders of community roles: ROLE_NEEDS_COMMUNITY); omitted: unchanged. A move clears the "
        "household unless householdId is given, and refuses the person's tokens until refreshed.",
    )
    household_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A Household of the person's community (else HOUSEHOLD_NOT_IN_COMMUNITY); null: none; "
        "omitted: unchanged.",
    )


@strawberry.type(description="A password reset code issued for a person.")
class PasswordResetIssued:
    person: Person = strawberry.field(description="The person the code is for.")
    reset_code: str = strawberry.field(
        description="Shown once: give it to the person; only its hash is kept."
    )
    code: str = strawberry.field(
        description="The same as resetCode.",
        deprecation_reason="Use resetCode: `code` clashes with DomainError.code (an ErrorCode) when a query "
        "selects both on this union.",
    )
    expires_at: datetime = strawberry.field(
        description="When the code stops working (24 hours after issue by default)."
    )


@strawberry.type(description="The password was set.")
class PasswordSet:
    at: datetime = strawberry.field(description="When it was set.")


@strawberry.type(description="RESET_CODE_INVALID, RESET_CODE_USED, RESET_CODE_EXPIRED or ACCOUNT_DISABLED.")
class InvalidResetCode(DomainError):
    answers: ClassVar[type[DomainFailure]] = people_failures.InvalidResetCode


PersonResult = Annotated[
    Person | RuleViolation | NotFound,
    strawberry.union(
        "PersonResult",
        description="The person as changed; or the rule that said no; or NotFound (no such person, or not "
        "one your office runs).",
    ),
]
PasswordResetIssueResult = Annotated[
    PasswordResetIssued | RuleViolation | NotFound,
    strawberry.union(
        "PasswordResetIssueResult",
        description="The code; or RuleViolation ALREADY_DISABLED; or NotFound (no such person, or not one "
        "your office runs).",
    ),
]
PasswordResetResult = Annotated[
    PasswordSet | InvalidResetCode | RuleViolation,
    strawberry.union(
        "PasswordResetResult",
        description="The password set; or the code refused; or the new password refused (RuleViolation).",
    ),
]
PasswordChangeResult = Annotated[
    PasswordSet | InvalidCredentials | RuleViolation,
    strawberry.union(
        "PasswordChangeResult",
        description="The password set; or InvalidCredentials (wrong old password); or the new password "
        "refused (RuleViolation).",
    ),
]


def optional_pk(global_id: str | None, type_name: str) -> int | None:
    return pk_of(global_id, type_name) if global_id else None


def given(value):
    return value is not strawberry.UNSET


async def resolve_people(
    info: Info,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="A part of the name, or 4 or more digits of the phone number; null or omitted: "
            "everyone."
        ),
    ] = None,
    first: Annotated[int, strawberry.argument(description="How many people to return: 0–100.")] = 20,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="Continue after this cursor (`pageInfo.endCursor` of the previous page)."
        ),
    ] = strawberry.UNSET,
) -> PersonConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    page = await office.list_people(
        session=ctx.session,
        viewer=ctx.viewer,
        search=search,
        first=first,
        after=decode_cursor(after or None, size=2),
    )
    edges = [
        PersonEdge(cursor=encode_cursor(key), node=Person.shown(info, model))
        for model, key in zip(page.items, page.keys, strict=True)
    ]
    return PersonConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
    )


async def resolve_audit_log(
    info: Info,
    object_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only changes of this object (its global ID, e.g. a Person's)."),
    ] = None,
    actor_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only changes made by this person (a Person ID)."),
    ] = None,
    action: Annotated[
        str | None, strawberry.argument(description="Only this action, exactly (e.g. role.grant).")
    ] = None,
    from_: Annotated[
        datetime | None,
        strawberry.argument(name="from", description="Only changes at or after this moment (inclusive)."),
    ] = None,
    to: Annotated[
        datetime | None, strawberry.argument(description="Only changes before this moment (exclusive).")
    ] = None,
    first: Annotated[int, strawberry.argument(description="How many entries to return: 0–100.")] = 20,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="Continue after this cursor (`pageInfo.endCursor` of the previous page)."
        ),
    ] = strawberry.UNSET,
) -> AuditEntryConnection:
    ctx = info.context
    check_first(first, ctx.settings.max_page_size)
    where = office.AuditFilter(
        object_id=object_id,
        actor_id=optional_pk(actor_id, "Person"),
        action=action,
        since=from_,
        until=to,
    )
    page = await office.list_audit(
        session=ctx.session,
        viewer=ctx.viewer,
        where=where,
        first=first,
        after=decode_time_cursor(after or None),
    )
    edges = [
        AuditEntryEdge(
            cursor=encode_cursor([at.isoformat(), pk]),
            node=AuditEntry(
                id=encode_global_id("AuditEntry", row.id),
                at=row.at,
                actor_id=encode_global_id("Person", row.actor_id) if row.actor_id else None,
                request_id=row.request_id,
                action=row.action,
                object_id=row.object_id,
                before=row.before,
                after=row.after,
            ),
        )
        for row, (at, pk) in zip(page.items, page.keys, strict=True)
    ]
    return AuditEntryConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next=page.has_next, after=after or None),
    )


async def change_role(info: Info, change, person_id: strawberry.ID, role: Role):
    """roleGrant and roleRevoke: `change` is office.grant_role or office.revoke_role."""
    ctx = info.context
    work = change(
        session=ctx.session,
        viewer=ctx.viewer,
        person_id=pk_of(person_id, "Person"),
        role=people_models.Role(role.value),
    )
    return await mutation_result(info, work, lambda person: Person.shown(info, person))


@strawberry.type
class OfficeQuery:
    people: PersonConnection = strawberry.field(
        resolver=resolve_people,
        extensions=has_role(*OFFICE),
        description="The people the office runs, by name; `search` finds a part of a name or 4+ digits "
        "of a phone. ADMIN: everyone; COMMUNITY_ADMIN: the people of their community who hold no office role "
        "(ADMIN, COMMUNITY_ADMIN). Phones masked but your own.",
    )
    audit_log: AuditEntryConnection = strawberry.field(
        resolver=resolve_audit_log,
        extensions=has_role(*OFFICE),
        description="Changes, newest first: ADMIN all of them, a COMMUNITY_ADMIN their community's. Rows are "
        "kept at least six months.",
    )


@strawberry.type
class OfficeMutation:
    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A new resident (no password yet: issue a code). ADMIN in any community; COMMUNITY_ADMIN "
        "in their own.",
    )
    async def person_create(
        self,
        info: Info,
        input: Annotated[PersonCreateInput, strawberry.argument(description="Who to add, and where.")],
    ) -> PersonResult:
        ctx = info.context
        data = office.PersonInput(
            phone=input.phone,
            name=input.name,
            community_id=optional_pk(input.community_id, "Community"),
            household_id=optional_pk(input.household_id, "Household"),
        )
        work = office.create_person(session=ctx.session, viewer=ctx.viewer, data=data)
        return await mutation_result(info, work, lambda person: Person.shown(info, person))

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Change a person's name, phone, community or household. ADMIN, or the COMMUNITY_ADMIN of "
        "the person's community (not for office holders; only ADMIN moves people between communities).",
    )
    async def person_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The Person's ID.")],
        input: Annotated[PersonUpdateInput, strawberry.argument(description="What to change.")],
    ) -> PersonResult:
        ctx = info.context
        change = office.PersonChange(
            name=input.name if given(input.name) else None,
            phone=input.phone if given(input.phone) else None,
            community_id=optional_pk(input.community_id, "Community") if given(input.community_id) else None,
            community_given=given(input.community_id),
            household_id=optional_pk(input.household_id, "Household") if given(input.household_id) else None,
            household_given=given(input.household_id),
        )
        work = office.update_person(
            session=ctx.session, viewer=ctx.viewer, person_id=pk_of(id, "Person"), change=change
        )
        return await mutation_result(info, work, lambda person: Person.shown(info, person))

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="The person can no longer sign in; their sessions end and their tokens stop working at "
        "once. The last active ADMIN cannot be disabled (LAST_ADMIN). ADMIN, or the COMMUNITY_ADMIN of the "
        "person's community.",
    )
    async def person_disable(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The Person's ID.")]
    ) -> PersonResult:
        ctx = info.context
        work = office.disable_person(
            session=ctx.session, viewer=ctx.viewer, person_id=pk_of(id, "Person"), now=ctx.clock()
        )
        return await mutation_result(info, work, lambda person: Person.shown(info, person))

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A disabled person may sign in again (with a new sign-in; old tokens stay refused). "
        "ADMIN, or the COMMUNITY_ADMIN of the person's community.",
    )
    async def person_enable(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The Person's ID.")]
    ) -> PersonResult:
        ctx = info.context
        work = office.enable_person(session=ctx.session, viewer=ctx.viewer, person_id=pk_of(id, "Person"))
        return await mutation_result(info, work, lambda person: Person.shown(info, person))

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="Staff roles hold in the person's community; only ADMIN grants ADMIN, COMMUNITY_ADMIN "
        "and DEVICE_GATEWAY. The person's tokens are refused until refreshed. ADMIN, or the COMMUNITY_ADMIN "
        "of the person's community.",
    )
    async def role_grant(
        self,
        info: Info,
        person_id: Annotated[strawberry.ID, strawberry.argument(description="The Person's ID.")],
        role: Annotated[Role, strawberry.argument(description="The role to grant.")],
    ) -> PersonResult:
        return await change_role(info, office.grant_role, person_id, role)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="The role stops working at once on every replica, open subscriptions included. Only "
        "ADMIN revokes ADMIN, COMMUNITY_ADMIN and DEVICE_GATEWAY, and never the last active ADMIN's "
        "(LAST_ADMIN). ADMIN, or the COMMUNITY_ADMIN of the person's community.",
    )
    async def role_revoke(
        self,
        info: Info,
        person_id: Annotated[strawberry.ID, strawberry.argument(description="The Person's ID.")],
        role: Annotated[Role, strawberry.argument(description="The role to take away.")],
    ) -> PersonResult:
        return await change_role(info, office.revoke_role, person_id, role)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A one-time code (valid 24 h) for the person to set a password with `passwordReset`; "
        "any earlier unused code stops working. ADMIN, or the COMMUNITY_ADMIN of the person's community.",
    )
    async def password_reset_issue(
        self,
        info: Info,
        person_id: Annotated[strawberry.ID, strawberry.argument(description="The Person's ID.")],
    ) -> PasswordResetIssueResult:
        ctx = info.context
        work = office.issue_reset_code(
            session=ctx.session,
            viewer=ctx.viewer,
            person_id=pk_of(person_id, "Person"),
            now=ctx.clock(),
            ttl=ctx.settings.password_reset_timedelta,
        )
        return await mutation_result(
            info,
            work,
            lambda made: PasswordResetIssued(
                person=Person.shown(info, made.person),
                reset_code=made.code,
                code=made.code,
                expires_at=made.expires_at,
            ),
        )

    @strawberry.mutation(
        # Only a password set gives its attempt back (as before #16: a weak new password counts too).
        extensions=[
            CountsAttempts(quotas=reset_quotas, counts=lambda answer: not isinstance(answer, PasswordSet))
        ],
        description="Set a new password with the office's code; every session of the account ends (sign in "
        "again). Public (needs no token); failed attempts are rate-limited per phone and per address "
        "(RATE_LIMITED).",
    )
    async def password_reset(
        self,
        info: Info,
        phone: Annotated[
            str,
            strawberry.argument(
                description="The account's mobile number (spaces, dashes and +86 are ignored)."
            ),
        ],
        code: Annotated[
            str,
            strawberry.argument(
                description="The office's one-time code (10 characters; case, spaces and dashes are ignored)."
            ),
        ],
        new_password: Annotated[
            str,
            strawberry.argument(
                description="At least 10 characters, not containing the phone number, not a common password."
            ),
        ],
    ) -> PasswordResetResult:
        ctx = info.context
        now = ctx.clock()
        work = office.reset_password(
            session=ctx.session, phone=phone, code=code, new_password=new_password, now=now
        )
        return await mutation_result(info, work, lambda _person: PasswordSet(at=now))

    @strawberry.mutation(
        extensions=[CountsAttempts(quotas=code_quotas, counts=answer_is(InvalidCredentials)), *signed_in()],
        description="Your own password (the old one is required); your other sessions end, this one goes on. "
        "Signed in; wrong old passwords are rate-limited (RATE_LIMITED).",
    )
    async def password_change(
        self,
        info: Info,
        old_password: Annotated[str, strawberry.argument(description="Your current password.")],
        new_password: Annotated[
            str,
            strawberry.argument(
                description="At least 10 characters, not containing your phone number, not a common "
                "password, not the current one."
            ),
        ],
    ) -> PasswordChangeResult:
        ctx = info.context
        now = ctx.clock()
        work = office.change_password(
            session=ctx.session,
            viewer=ctx.viewer,
            old_password=old_password,
            new_password=new_password,
            now=now,
        )
        return await mutation_result(info, work, lambda _person: PasswordSet(at=now))


__all__ = ["OfficeMutation", "OfficeQuery", "Person"]
