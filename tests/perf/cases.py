"""What a statement-count case is made of, shared by every domain's cases.

Each domain keeps its cases beside its other tests, in `tests/<domain>/statement_counts.py`: its
`CASES` (one `Case` per root field it owns, one per Node type for `node(id:)`) and its
`NODE_ALIASES` (a setup per Node type for the aliased `node(id:)` test), with the queries and the
builders of its rows. `tests/perf/test_statement_counts.py` lists those modules, runs their cases
and checks that together they cover the schema.

A domain's builders are functions of the `World` (`add_space(w, 3)`); the `World` itself only
knows time, people and communities, which every domain builds on.
"""

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models.people import Community, Person, Role, SessionKind
from resolvers import people as people_service
from schema.common import encode_global_id
from server.auth import TokenService

SHANGHAI = ZoneInfo("Asia/Shanghai")
NANMU = "南睦未来社区"


# ── The data each case builds ────────────────────────────────────────────────


class World:
    """Builds rows inside the test's transaction (rolled back after the test)."""

    def __init__(self, session, settings, clock, tokens) -> None:
        self.session = session
        self.token_service = TokenService(settings)
        self.clock = clock
        self.tokens = tokens
        self._unique = itertools.count(1)
        # What a domain's builders keep for the rest of the test (a staff member, a PIN's hash).
        self.memo: dict = {}

    # time

    @property
    def now(self) -> datetime:
        return self.clock.now

    @property
    def today(self) -> date:
        return self.now.astimezone(SHANGHAI).date()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), SHANGHAI)

    def unique(self) -> int:
        return next(self._unique)

    async def commit(self) -> None:
        await self.session.commit()

    async def count(self, model, *where) -> int:
        return await self.session.scalar(select(func.count()).select_from(model).where(*where))

    # people

    async def community_id(self, name: str = NANMU) -> int:
        return await self.session.scalar(select(Community.id).where(Community.name == name))

    async def new_community(self) -> int:
        community = Community(name=f"性能测试社区{self.unique():03d}", subdistrict="五常街道")
        self.session.add(community)
        await self.session.flush()
        return community.id

    async def person(
        self, *roles: Role, community: str | None = NANMU, password: str | None = None
    ) -> tuple[Person, str]:
        phone = f"1990{self.unique():07d}"
        person = None
        for index, role in enumerate(roles or (Role.RESIDENT,)):
            person = await people_service.add_user(
                session=self.session,
                phone=phone,
                name=f"性能{phone[-4:]}",
                role=role,
                community_name=community,
                password=password if index == 0 else None,
            )
        await self.commit()
        return person, self.token_service.issue(person)[0]

    async def signed_in(self, person: Person, sessions: int = 1) -> tuple[str, list[int], str | None]:
        """`sessions` sign-ins of the person: a token of the first, their ids and its refresh token."""
        opened = []
        for _ in range(sessions):
            opened.append(
                await people_service.open_session(
                    session=self.session,
                    person=person,
                    kind=SessionKind.PASSWORD,
                    now=self.now,
                    expires_at=self.now + timedelta(days=30),
                )
            )
        await self.commit()
        first = opened[0]
        token = self.token_service.issue(person, session_id=first.session.id)[0]
        return token, [issued.session.id for issued in opened], first.refresh_token


# ── Cases ────────────────────────────────────────────────────────────────────


@dataclass
class Run:
    variables: dict = field(default_factory=dict)
    token: str | None = None
    messages: int = 0  # WebSocket cases: how many `next` messages to wait for
    # What grew, counted in the database after the operation, for an answer that cannot show it.
    count: Callable[[], Awaitable[int]] | None = None


@dataclass(frozen=True)
class Case:
    id: str  # "Query.elders", or "Query.node[Elder]" for one of several cases of a field
    query: str
    setup: Callable[[World, int], Awaitable[Run]]
    # How many items the answer holds (to prove the two sizes were reached); None for one object.
    size: Callable[[dict], int] | None
    sizes: tuple[int, int] = (2, 12)
    transport: str = "http"
    # Why nothing about this operation can grow; such a case runs twice at one size.
    why_fixed: str | None = None

    @property
    def field(self) -> str:
        return self.id.split("[")[0]


# The setup of the aliased node(id:) test for one Node type: `k` objects' ids and a token that may
# see them.
AliasSetup = Callable[[World, int], Awaitable[tuple[list[int], str]]]


def gid(type_name: str, pk: int) -> str:
    return encode_global_id(type_name, pk)


NODE = "query($id: ID!) {{ node(id: $id) {{ __typename id ... on {type} {{ {fields} }} }} }}"


def node_query(type_name: str, fields: str) -> str:
    return NODE.format(type=type_name, fields=fields)


def edges(*path: str) -> Callable[[dict], int]:
    """The length of the list at `path` in the answer."""

    def size(data: dict) -> int:
        value = data
        for key in path:
            value = value[key]
        return len(value)

    return size
