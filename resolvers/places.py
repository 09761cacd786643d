"""Where services happen, created by the office (#17): communities (ADMIN), and in a community its
maker spaces and childcare centres (ADMIN, or the COMMUNITY_ADMIN of that community). With these,
an empty database becomes a working community through the graph alone. Names are unique in the
database; a taken one is answered, never checked first."""

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from models.childcare import ChildcareCenter
from models.makerspace import MakerSpace
from models.people import Community, Role
from resolvers import audit
from resolvers.actor import Viewer
from resolvers.errors import DomainFailure, ErrorCode, flush_or_fail
from resolvers.people.office import office_community


def _name(raw: str, what: str) -> str:
    name = raw.strip()
    if not name or len(name) > 100:
        raise DomainFailure(ErrorCode.INVALID_NAME, f"请填写{what}名称（100 字以内）")
    return name


def _taken(what: str):
    return lambda: DomainFailure(ErrorCode.NAME_TAKEN, f"已有同名的{what}")


async def _stored(session: AsyncSession, row, constraint: str, what: str) -> None:
    session.add(row)
    await flush_or_fail(session=session, meanings={constraint: _taken(what)})


async def create_community(
    *, session: AsyncSession, viewer: Viewer, name: str, subdistrict: str
) -> Community:
    if not viewer.has_role(Role.ADMIN.value):
        raise DomainFailure(ErrorCode.ADMIN_ONLY_ROLE, "只有系统管理员可以新建社区")
    community = Community(name=_name(name, "社区"), subdistrict=_name(subdistrict, "街道"))
    await _stored(session, community, "uq_communities_name", "社区")
    await audit.record(
        session=session,
        action="community.create",
        object_id=audit.global_id("Community", community.id),
        community_id=community.id,
        after={"name": community.name, "subdistrict": community.subdistrict},
    )
    return community


async def create_maker_space(
    *, session: AsyncSession, viewer: Viewer, name: str, community_id: int | None
) -> MakerSpace:
    """A space with the default rules (makerSpaceRulesUpdate changes them) and its own check-in secret."""
    community_id, _ = await office_community(
        session=session, viewer=viewer, community_id=community_id, household_id=None
    )
    if community_id is None:
        raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "请指定所在社区")
    space = MakerSpace(
        name=_name(name, "创客空间"), community_id=community_id, check_in_secret=pyotp.random_base32()
    )
    await _stored(session, space, "uq_maker_spaces_name", "创客空间")
    await session.refresh(space)  # the rules' server defaults
    await audit.record(
        session=session,
        action="maker_space.create",
        object_id=audit.global_id("MakerSpace", space.id),
        community_id=community_id,
        after={"name": space.name},
    )
    return space


async def create_childcare_center(
    *, session: AsyncSession, viewer: Viewer, name: str, community_id: int | None
) -> ChildcareCenter:
    community_id, _ = await office_community(
        session=session, viewer=viewer, community_id=community_id, household_id=None
    )
    if community_id is None:
        raise DomainFailure(ErrorCode.COMMUNITY_REQUIRED, "请指定所在社区")
    center = ChildcareCenter(name=_name(name, "托育机构"), community_id=community_id)
    await _stored(session, center, "uq_childcare_centers_name", "托育机构")
    await session.refresh(center)
    await audit.record(
        session=session,
        action="childcare_center.create",
        object_id=audit.global_id("ChildcareCenter", center.id),
        community_id=community_id,
        after={"name": center.name},
    )
    return center
