"""Per-request DataLoaders, named by the key they load by (`<Model>By<Key>Loader`)."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from resolvers import facilities, makerspace, people


def community_by_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await people.get_communities_by_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def facility_by_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await facilities.get_facilities_by_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def services_by_facility_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await facilities.services_by_facility_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def opening_hours_by_facility_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await facilities.opening_hours_by_facility_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def open_status_by_facility_id_and_time_loader(*, session: AsyncSession) -> DataLoader:
    """Keys are (facility id, instant); one query per distinct instant in the batch."""

    async def load(keys: list[tuple[int, datetime]]):
        by_time: dict[datetime, list[int]] = defaultdict(list)
        for facility_id, at in keys:
            by_time[at].append(facility_id)
        status: dict[tuple[int, datetime], bool] = {}
        for at, ids in by_time.items():
            for facility_id, is_open in zip(
                ids, await facilities.open_status(session=session, ids=ids, at=at), strict=True
            ):
                status[(facility_id, at)] = is_open
        return [status[key] for key in keys]

    return DataLoader(load_fn=load)


def person_by_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await people.get_persons_by_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def maker_space_by_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await makerspace.get_spaces_by_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def resource_by_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await makerspace.get_resources_by_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)


def resources_by_space_id_loader(*, session: AsyncSession) -> DataLoader:
    async def load(ids: list[int]):
        return await makerspace.resources_by_space_ids(session=session, ids=ids)

    return DataLoader(load_fn=load)
