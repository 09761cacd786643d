"""communityCreate, makerSpaceCreate, childcareCenterCreate: the places an empty database needs."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from models.people import Role
from resolvers import places
from schema.childcare.types import ChildcareCenter
from schema.common import NotFound, RuleViolation, mutation_result
from schema.eldercare.types import optional_pk
from schema.makerspace import MakerSpace
from schema.people.base import Community
from schema.permissions import has_role

OFFICE = (Role.COMMUNITY_ADMIN, Role.ADMIN)
NAME = strawberry.argument(description="1–100 characters, unique (else NAME_TAKEN).")
IN_COMMUNITY = strawberry.argument(
    description="The Community's global ID: ADMIN must name it; a COMMUNITY_ADMIN may omit it (their own) "
    "and may name no other (OTHER_COMMUNITY)."
)

CommunityResult = Annotated[
    Community | RuleViolation, strawberry.union("CommunityResult", description="The community, or why not.")
]
MakerSpaceResult = Annotated[
    MakerSpace | RuleViolation | NotFound,
    strawberry.union("MakerSpaceResult", description="The space, or why not (nothing is stored then)."),
]
ChildcareCenterResult = Annotated[
    ChildcareCenter | RuleViolation | NotFound,
    strawberry.union("ChildcareCenterResult", description="The centre, or why not (nothing is stored then)."),
]


@strawberry.type
class PlacesMutation:
    @strawberry.mutation(extensions=has_role(Role.ADMIN), description="A new community. ADMIN only.")
    async def community_create(
        self,
        info: Info,
        name: Annotated[str, NAME],
        subdistrict: Annotated[
            str, strawberry.argument(description="Its subdistrict (街道), e.g. 五常街道.")
        ],
    ) -> CommunityResult:
        ctx = info.context
        work = places.create_community(
            session=ctx.session, viewer=ctx.viewer, name=name, subdistrict=subdistrict
        )
        return await mutation_result(info, work, Community.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A new maker space with the default rules (change them with makerSpaceRulesUpdate); add "
        "desks and rooms with resourceCreate. ADMIN, or the community office of its community.",
    )
    async def maker_space_create(
        self,
        info: Info,
        name: Annotated[str, NAME],
        community_id: Annotated[strawberry.ID | None, IN_COMMUNITY] = None,
    ) -> MakerSpaceResult:
        ctx = info.context
        work = places.create_maker_space(
            session=ctx.session,
            viewer=ctx.viewer,
            name=name,
            community_id=optional_pk(community_id, "Community"),
        )
        return await mutation_result(info, work, MakerSpace.from_model)

    @strawberry.mutation(
        extensions=has_role(*OFFICE),
        description="A new childcare centre with the default rules; add classes with childcareClassCreate. "
        "ADMIN, or the community office of its community.",
    )
    async def childcare_center_create(
        self,
        info: Info,
        name: Annotated[str, NAME],
        community_id: Annotated[strawberry.ID | None, IN_COMMUNITY] = None,
    ) -> ChildcareCenterResult:
        ctx = info.context
        work = places.create_childcare_center(
            session=ctx.session,
            viewer=ctx.viewer,
            name=name,
            community_id=optional_pk(community_id, "Community"),
        )
        return await mutation_result(info, work, ChildcareCenter.from_model)
