"""What the graph reads of community affairs that is not a rule: the lists of compounds,
organisations and categories (what it reads by reference is in resolvers.affairs.loaders)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import (
    CaseCategory,
    Compound,
    Organisation,
)


async def compounds_in(*, session: AsyncSession, community_id: int) -> list[Compound]:
    stmt = select(Compound).where(Compound.community_id == community_id).order_by(Compound.name)
    return list(await session.scalars(stmt))


async def organisations_in(*, session: AsyncSession, community_id: int) -> list[Organisation]:
    stmt = (
        select(Organisation)
        .where(Organisation.community_id == community_id)
        .order_by(Organisation.kind, Organisation.name)
    )
    return list(await session.scalars(stmt))


async def categories(*, session: AsyncSession, include_retired: bool) -> list[CaseCategory]:
    stmt = select(CaseCategory).order_by(CaseCategory.position)
    if not include_retired:
        stmt = stmt.where(CaseCategory.retired_at.is_(None))
    return list(await session.scalars(stmt))
