"""The Nanmu 天空创客厅 (SYNTHETIC layout): 24 desks, 8 by the window; rooms of 6, 8 and 12; a video room.

Idempotent: the space is keyed by name and its resources by (space, name); its check-in secret is
made once and kept, so the kiosk's codes do not change when the seed runs again.
"""

import pyotp
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.facilities import Facility
from models.makerspace import MakerSpace, Resource

SPACE_NAME = "南睦天空创客厅"
COMMUNITY_NAME = "南睦未来社区"

# (name, kind, capacity, features)
RESOURCES = (
    [(f"窗边工位 W{n:02d}", "DESK", 1, ["WINDOW", "POWER"]) for n in range(1, 9)]
    + [(f"工位 D{n:02d}", "DESK", 1, ["POWER", "MONITOR"]) for n in range(1, 9)]
    + [(f"工位 D{n:02d}", "DESK", 1, ["POWER"]) for n in range(9, 17)]
    + [
        ("会议室 小（6人）", "MEETING_ROOM", 6, ["WHITEBOARD", "SCREEN"]),
        ("会议室 中（8人）", "MEETING_ROOM", 8, ["WHITEBOARD", "SCREEN"]),
        ("会议室 大（12人）", "MEETING_ROOM", 12, ["WHITEBOARD", "SCREEN"]),
        ("视频会议室", "VIDEO_ROOM", 6, ["VIDEO_CONFERENCE", "SCREEN", "WHITEBOARD"]),
    ]
)


async def seed_maker_space(*, session: AsyncSession, community_ids: dict[str, int]) -> int:
    facility_id = await session.scalar(select(Facility.id).where(Facility.name == SPACE_NAME).limit(1))
    values = {"name": SPACE_NAME, "community_id": community_ids[COMMUNITY_NAME], "facility_id": facility_id}
    await session.execute(
        insert(MakerSpace)
        .values(**values, check_in_secret=pyotp.random_base32())
        .on_conflict_do_update(index_elements=[MakerSpace.name], set_=values)
    )
    space_id = await session.scalar(select(MakerSpace.id).where(MakerSpace.name == SPACE_NAME))
    for position, (name, kind, capacity, features) in enumerate(RESOURCES):
        # A resource the staff retired stays retired when the seed runs again (active is not reset).
        row = {"kind": kind, "capacity": capacity, "features": features, "position": position}
        await session.execute(
            insert(Resource)
            .values(space_id=space_id, name=name, **row)
            .on_conflict_do_update(constraint="uq_resources_space_name", set_=row)
        )
    return len(RESOURCES)
