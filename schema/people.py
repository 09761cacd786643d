"""People in the graph: the signed-in viewer, communities, sign-in."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import people as people_models
from resolvers import loaders
from resolvers import people as people_service
from schema.common import (
    DomainError,
    Node,
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
    encode_global_id,
)
from schema.limits import count_attempt, forgive_attempt, login_quotas
from schema.node import register_node
from schema.permissions import signed_in

Role = strawberry.enum(people_models.Role, name="Role")


@strawberry.type
class Community(Node):
    name: str
    subdistrict: str

    @classmethod
    def from_model(cls, model: people_models.Community) -> "Community":
        return cls(id=encode_global_id("Community", model.id), name=model.name, subdistrict=model.subdistrict)


@register_node("Community")
async def fetch_community(info: Info, pk: int) -> Community | None:
    model = await community_loader(info).load(pk)
    return Community.from_model(model) if model is not None else None


def community_loader(info: Info):
    return info.context.loader(loaders.community_by_id_loader)


@strawberry.type
class Viewer:
    id: strawberry.ID
    name: str
    phone: str
    roles: list[Role]
    community_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, person: people_models.Person) -> "Viewer":
        return cls(
            id=encode_global_id("Person", person.id),
            name=person.name,
            phone=person.phone,
            roles=[Role(name) for name in person.role_names],
            community_pk=person.community_id,
        )

    @strawberry.field
    async def community(self, info: Info) -> Community | None:
        if self.community_pk is None:
            return None
        return await fetch_community(info, self.community_pk)


@strawberry.type
class CommunityEdge:
    cursor: str
    node: Community


@strawberry.type
class CommunityConnection:
    edges: list[CommunityEdge]
    page_info: PageInfo


@strawberry.type
class LoginSuccess:
    token: str
    expires_at: datetime
    viewer: Viewer


@strawberry.type
class InvalidCredentials(DomainError):
    pass


LoginResult = Annotated[LoginSuccess | InvalidCredentials, strawberry.union("LoginResult")]


async def resolve_me(info: Info) -> Viewer | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    person = await people_service.get_person(session=info.context.session, person_id=viewer.person_id)
    return Viewer.from_model(person) if person is not None else None


async def resolve_communities(
    info: Info, first: int = 20, after: str | None = strawberry.UNSET
) -> CommunityConnection:
    check_first(first, info.context.settings.max_page_size)
    page = await people_service.list_communities(
        session=info.context.session, first=first, after=decode_cursor(after or None, size=2)
    )
    edges = [
        CommunityEdge(cursor=encode_cursor(key), node=Community.from_model(model))
        for model, key in zip(page.items, page.keys, strict=True)
    ]
    return CommunityConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
    )


@strawberry.type
class PeopleQuery:
    me: Viewer | None = strawberry.field(resolver=resolve_me, description="The signed-in person, or null.")
    communities: CommunityConnection = strawberry.field(
        resolver=resolve_communities, description="The communities of Wuchang, by name."
    )


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(
        description="Sign in with phone and password; the token goes in `Authorization: Bearer`."
    )
    async def login(self, info: Info, phone: str, password: str) -> LoginResult:
        ctx = info.context
        quotas = login_quotas(ctx, phone)
        await count_attempt(ctx, quotas)
        person = await people_service.authenticate(session=ctx.session, phone=phone, password=password)
        if person is None:
            return InvalidCredentials(code="INVALID_CREDENTIALS", message="手机号或密码不正确")
        await ctx.session.commit()
        await forgive_attempt(ctx, quotas)  # only wrong passwords count
        token, expires_at = ctx.issue_token(person)
        return LoginSuccess(token=token, expires_at=expires_at, viewer=Viewer.from_model(person))


__all__ = ["PeopleMutation", "PeopleQuery", "signed_in"]
