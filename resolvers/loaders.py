"""Per-request DataLoaders, named by the key they load by (`<Model>By<Key>Loader`)."""

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from resolvers import people


def community_by_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await people.get_communities_by_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)
