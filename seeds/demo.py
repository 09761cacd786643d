"""The Wuchang (五常街道) demo data. SYNTHETIC: names, phones and addresses are made up.

Community centres are plausible WGS-84 points: Nanmu sits on the Metro Line 5 depot beside
Wuchang station (WGS-84 ≈ 30.29863, 120.04034); the others lie around the subdistrict.
Loading is idempotent: every row is an upsert keyed by a natural key.
"""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.people import Community, Household, Person, Role
from resolvers import people as people_service
from seeds.affairs import seed_affairs
from seeds.childcare import seed_childcare
from seeds.eldercare import seed_eldercare
from seeds.facilities import point, seed_facilities
from seeds.makerspace import seed_maker_space

SUBDISTRICT = "五常街道"

# (name, WGS-84 lat, lng)
COMMUNITIES = [
    ("南睦未来社区", 30.2978, 120.0418),
    ("海创社区", 30.2886, 120.0321),
    ("文一社区", 30.2835, 120.0402),
    ("永福社区", 30.2762, 120.0285),
]

DEMO_PASSWORD = "linli-demo-2026"

# One documented demo account per role (README "Demo accounts").
DEMO_ACCOUNTS = [
    ("13800000001", "王晓燕", Role.RESIDENT, "南睦未来社区"),
    ("13800000002", "陈建国", Role.CARE_STAFF, "南睦未来社区"),
    ("13800000003", "李思琪", Role.CHILDCARE_STAFF, "南睦未来社区"),
    ("13800000004", "赵一鸣", Role.MAKERSPACE_STAFF, "南睦未来社区"),
    ("13800000005", "五常设备网关", Role.DEVICE_GATEWAY, None),
    ("13800000006", "周管理", Role.ADMIN, None),
    ("13800000007", "孙社区", Role.COMMUNITY_ADMIN, "南睦未来社区"),
]

HOUSEHOLDS = {
    "南睦未来社区": ["南睦苑1幢1单元302", "南睦苑3幢2单元501", "南睦苑5幢1单元1102"],
    "海创社区": ["海创园小区2幢601", "海创园小区7幢302"],
    "文一社区": ["文一西路998号3幢402"],
    "永福社区": ["永福新苑11幢201"],
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英晨曦子涵梓萱浩宇欣怡俊杰"


async def seed_communities(*, session: AsyncSession) -> dict[str, int]:
    for name, lat, lng in COMMUNITIES:
        await session.execute(
            insert(Community)
            .values(name=name, subdistrict=SUBDISTRICT, center=point(lat, lng))
            .on_conflict_do_update(index_elements=[Community.name], set_={"center": point(lat, lng)})
        )
    rows = await session.execute(select(Community.name, Community.id))
    return dict(rows.all())


async def seed_households(*, session: AsyncSession, community_ids: dict[str, int]) -> None:
    for community_name, addresses in HOUSEHOLDS.items():
        for address in addresses:
            exists = await session.scalar(select(Household.id).where(Household.address == address))
            if exists is None:
                session.add(Household(community_id=community_ids[community_name], address=address))
    await session.flush()


async def seed_demo_accounts(*, session: AsyncSession) -> list[Person]:
    return [
        await people_service.add_user(
            session=session,
            phone=phone,
            name=name,
            role=role,
            community_name=community,
            password=DEMO_PASSWORD,
        )
        for phone, name, role, community in DEMO_ACCOUNTS
    ]


async def seed_demo(*, session: AsyncSession) -> dict[str, int]:
    community_ids = await seed_communities(session=session)
    await seed_households(session=session, community_ids=community_ids)
    accounts = await seed_demo_accounts(session=session)
    facilities = await seed_facilities(session=session)
    resources = await seed_maker_space(session=session, community_ids=community_ids)
    now = datetime.now(UTC)
    sessions = await seed_childcare(session=session, community_ids=community_ids, now=now)
    eldercare = await seed_eldercare(session=session, community_ids=community_ids, now=now)
    affairs = await seed_affairs(session=session, community_ids=community_ids)
    return {
        "communities": len(community_ids),
        "demo_accounts": len(accounts),
        "facilities": facilities,
        "maker_space_resources": resources,
        "childcare_sessions_added": sessions,
        **{f"eldercare_{key}": value for key, value in eldercare.items()},
        **{f"affairs_{key}": value for key, value in affairs.items()},
    }
