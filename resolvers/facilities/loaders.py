"""The life circle's per-request DataLoaders (see resolvers.batching.batch)."""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from resolvers.batching import batch
from resolvers.facilities.search import (
    get_facilities_by_ids,
    hours_exceptions_from,
    open_status,
    opening_hours_by_facility_ids,
    services_by_facility_ids,
)

facility_by_id_loader = batch(get_facilities_by_ids, "FacilityByIdLoader")
services_by_facility_id_loader = batch(services_by_facility_ids, "ServicesByFacilityIdLoader")
opening_hours_by_facility_id_loader = batch(opening_hours_by_facility_ids, "OpeningHoursByFacilityIdLoader")


def open_status_by_facility_id_and_time_loader(*, session: AsyncSession, viewer=None) -> DataLoader:
    """Keys are (facility id, instant); one query per distinct instant in the batch."""

    async def load(keys: list[tuple[int, datetime]]):
        by_time: dict[datetime, list[int]] = defaultdict(list)
        for facility_id, at in keys:
            by_time[at].append(facility_id)
        status: dict[tuple[int, datetime], bool] = {}
        for at, ids in by_time.items():
            for facility_id, is_open in zip(
                ids, await open_status(session=session, ids=ids, at=at), strict=True
            ):
                status[(facility_id, at)] = is_open
        return [status[key] for key in keys]

    return DataLoader(load_fn=load)


def hours_exceptions_by_facility_id_and_day_loader(*, session: AsyncSession, viewer=None) -> DataLoader:
    """Keys are (facility id, first day); one query per distinct first day in the batch."""

    async def load(keys: list[tuple[int, date]]):
        by_day: dict[date, list[int]] = defaultdict(list)
        for facility_id, since in keys:
            by_day[since].append(facility_id)
        found: dict[tuple[int, date], list] = {}
        for since, ids in by_day.items():
            unique = list(dict.fromkeys(ids))
            for facility_id, rows in zip(
                unique, await hours_exceptions_from(session=session, ids=unique, since=since), strict=True
            ):
                found[(facility_id, since)] = rows
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
