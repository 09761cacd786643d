"""Statement-count cases of community affairs: compounds, organisations, cases (有事一键找), notices
(通知一键达) and the office's figures.

Run by tests/perf/test_statement_counts.py (see tests/perf/cases.py for what a case is). Each case
builds its own community (a fresh one per run), so the two sizes never share rows, and varies what a
longer answer could multiply: cases with their organisations, categories, compounds, reporters,
photos and events; buildings and units; members; notices and households; months of figures.
"""

import base64
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from models.affairs import (
    Building,
    CaseCategory,
    CaseEvent,
    CasePhoto,
    CaseRoutingRule,
    CaseStatus,
    Compound,
    CompoundOrganisation,
    Notice,
    NoticeBuilding,
    NoticeReceipt,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    Residence,
    Tenure,
    Unit,
)
from models.affairs import (
    Case as CaseRow,
)
from models.notifications import NotificationKind
from models.people import Community, Household, Person, Role
from resolvers import notifications
from tests.perf.cases import AliasSetup, Case, Run, World, edges, gid, node_query

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
COMMITTEE = OrganisationKind.RESIDENTS_COMMITTEE.value
PROPERTY = OrganisationKind.PROPERTY_MANAGEMENT.value


# The rows the cases build -----------------------------------------------------


@dataclass
class Place:
    """A fresh community with its 居委会 and `compounds` compounds, each with its 物业, its buildings
    and their units."""

    community: int
    community_name: str
    committee: int
    compounds: list[int] = field(default_factory=list)
    properties: list[int] = field(default_factory=list)  # the 物业 of each compound
    buildings: dict[int, list[int]] = field(default_factory=dict)  # compound → its buildings
    units: dict[int, list[int]] = field(default_factory=dict)  # building → its units


async def add_place(w: World, compounds: int = 1, buildings: int = 1, units: int = 1) -> Place:
    name = f"共治性能社区{w.unique():03d}"
    community = Community(name=name, subdistrict="五常街道")
    w.session.add(community)
    await w.session.flush()
    committee = Organisation(community_id=community.id, kind=COMMITTEE, name=f"{name}居委会")
    w.session.add(committee)
    await w.session.flush()
    place = Place(community.id, name, committee.id)
    for _ in range(compounds):
        await add_compound(w, place, buildings, units)
    await w.commit()
    return place


async def add_compound(w: World, place: Place, buildings: int, units: int) -> int:
    number = w.unique()
    compound = Compound(community_id=place.community, name=f"性能苑{number:03d}", address="性能路1号")
    w.session.add(compound)
    await w.session.flush()
    estate = Organisation(community_id=place.community, kind=PROPERTY, name=f"性能物业{number:03d}")
    w.session.add(estate)
    await w.session.flush()
    w.session.add(
        CompoundOrganisation(
            compound_id=compound.id, kind=PROPERTY, organisation_id=estate.id, community_id=place.community
        )
    )
    rows = [Building(compound_id=compound.id, name=f"{index + 1}幢") for index in range(buildings)]
    w.session.add_all(rows)
    await w.session.flush()
    for building in rows:
        made = [Unit(building_id=building.id, name=f"1单元{101 + index}") for index in range(units)]
        w.session.add_all(made)
        await w.session.flush()
        place.units[building.id] = [unit.id for unit in made]
    place.compounds.append(compound.id)
    place.properties.append(estate.id)
    place.buildings[compound.id] = [building.id for building in rows]
    return compound.id


async def resident(w: World, place: Place, *roles: Role) -> tuple[Person, str]:
    return await w.person(*(roles or (Role.RESIDENT,)), community=place.community_name)


async def household_in(w: World, place: Place, units: list[int], person: Person | None = None) -> int:
    household = Household(community_id=place.community, address=f"性能户{w.unique():04d}")
    w.session.add(household)
    await w.session.flush()
    w.session.add_all(
        Residence(household_id=household.id, unit_id=unit, tenure=Tenure.OWNER.value) for unit in units
    )
    if person is not None:
        person.household_id = household.id
    await w.session.flush()
    return household.id


async def add_member(w: World, place: Place, organisation: int, title: str = "管家") -> Person:
    person, _ = await resident(w, place)
    w.session.add(OrganisationMember(organisation_id=organisation, person_id=person.id, title=title))
    await w.commit()
    return person


async def category_ids(w: World) -> list[int]:
    return list(await w.session.scalars(select(CaseCategory.id).order_by(CaseCategory.position)))


async def add_case(
    w: World,
    place: Place,
    reporter: Person,
    *,
    compound: int = 0,
    category: int | None = None,
    photos: int = 1,
    events: int = 1,
    status: CaseStatus = CaseStatus.REPORTED,
) -> CaseRow:
    """A case of the place's `compound`-th compound, routed to its 物业, with `events` steps."""
    category = category or (await category_ids(w))[0]
    now = w.now - timedelta(minutes=5)
    row = CaseRow(
        community_id=place.community,
        compound_id=place.compounds[compound],
        category_id=category,
        reporter_id=reporter.id,
        description="楼道灯坏了",
        organisation_id=place.properties[compound],
        reported_at=now,
        accept_due_at=now + timedelta(hours=2),
        resolve_due_at=now + timedelta(hours=48),
        status=status.value,
    )
    if status in (CaseStatus.ACCEPTED, CaseStatus.RESOLVED):
        row.accepted_at = now
    if status is CaseStatus.RESOLVED:
        row.resolved_at, row.resolution_note = now, "已修好"
    w.session.add(row)
    await w.session.flush()
    w.session.add_all(
        CaseEvent(case_id=row.id, kind="REPORTED", actor_id=reporter.id, at=now, note=f"第{index}步")
        for index in range(events)
    )
    w.session.add_all(
        CasePhoto(case_id=row.id, position=1 + index, content_type="image/jpeg", data=JPEG)
        for index in range(photos)
    )
    await w.commit()
    return row


async def add_cases(w: World, n: int, place: Place | None = None, reporter: Person | None = None):
    """n cases, each of its own compound, 物业, category and (unless given) reporter, with 2 photos
    and 2 events."""
    place = place or await add_place(w, compounds=n)
    categories = await category_ids(w)
    made = []
    for index in range(n):
        who = reporter or (await resident(w, place))[0]
        made.append(
            await add_case(
                w,
                place,
                who,
                compound=index,
                category=categories[index % len(categories)],
                photos=2,
                events=2,
            )
        )
    return place, made


async def add_notice(
    w: World, place: Place, buildings: list[int], households: list[int], acknowledge: bool = False
) -> Notice:
    admin = await w.session.scalar(select(Person.id).order_by(Person.id).limit(1))
    notice = Notice(
        community_id=place.community,
        publisher_id=admin,
        organisation_id=place.committee,
        compound_id=place.compounds[0],
        audience="ALL",
        title=f"性能通知{w.unique()}",
        body="停水通知",
        requires_acknowledgement=acknowledge,
        published_at=w.now - timedelta(minutes=w.unique()),
        households=len(households),
    )
    w.session.add(notice)
    await w.session.flush()
    w.session.add_all(NoticeBuilding(notice_id=notice.id, building_id=pk) for pk in buildings)
    w.session.add_all(NoticeReceipt(notice_id=notice.id, household_id=pk) for pk in households)
    await w.commit()
    return notice


# Query: the 小区 and its organisation -----------------------------------------

COMPOUND_FIELDS = "id name address community { name } buildings { id name units { id name } }"
COMPOUNDS = f"query($c: ID!) {{ compounds(communityId: $c) {{ {COMPOUND_FIELDS} }} }}"


async def compounds(w: World, n: int) -> Run:
    place = await add_place(w, compounds=n, buildings=2, units=2)
    return Run({"c": gid("Community", place.community)})


ORGANISATION_FIELDS = "id kind name phone community { name } compounds { name } members { name title phone }"
ORGANISATIONS = f"query($c: ID!) {{ organisations(communityId: $c) {{ {ORGANISATION_FIELDS} }} }}"


async def organisations(w: World, n: int) -> Run:
    place = await add_place(w, compounds=n)
    for organisation in (place.committee, *place.properties):
        await add_member(w, place, organisation)
    return Run({"c": gid("Community", place.community)}, token=w.tokens["RESIDENT"])


CONTACTS = "{ contacts { compound { name } organisation { name kind members { name phone } } categories } }"


async def contacts(w: World, n: int) -> Run:
    """A household living in n compounds: the contacts of each."""
    place = await add_place(w, compounds=n)
    person, token = await resident(w, place)
    for organisation in (place.committee, *place.properties):
        await add_member(w, place, organisation)
    await household_in(w, place, [place.units[place.buildings[pk][0]][0] for pk in place.compounds], person)
    await w.commit()
    return Run(token=token)


def contact_compounds(data: dict) -> int:
    return len({contact["compound"]["name"] for contact in data["contacts"]})


ROUTING_RULES = """query($c: ID!) { caseRoutingRules(compoundId: $c) {
  category organisation { name members { name } } informedOrganisation { name }
  acceptMinutes resolveMinutes } }"""


async def routing_rules(w: World, n: int) -> Run:
    """A compound with a rule for each of n categories, each to an organisation of its own."""
    place = await add_place(w, compounds=n)
    for index, category in enumerate((await category_ids(w))[:n]):
        w.session.add(
            CaseRoutingRule(
                community_id=place.community,
                compound_id=place.compounds[0],
                category_id=category,
                organisation_id=place.properties[index],
                informed_organisation_id=place.committee,
                accept_minutes=60,
                resolve_minutes=600,
            )
        )
    await w.commit()
    return Run({"c": gid("Compound", place.compounds[0])}, token=w.tokens["ADMIN"])


# Query: cases -------------------------------------------------------------------

CASE_FIELDS = """id status description overdue category { code name } organisation { name kind }
  informedOrganisation { name } compound { name } reporter { name phone } photos { id url }
  events { kind at byStaff } location { lat lng }"""
CASE_CATEGORIES = "{ caseCategories(includeRetired: true) { code name defaultKind informedKind retired } }"


async def case_categories(w: World, n: int) -> Run:
    for _ in range(n):
        number = w.unique()
        w.session.add(
            CaseCategory(
                code=f"PERF_{number:04d}",
                name=f"性能类别{number:04d}",
                default_kind=PROPERTY,
                accept_minutes=60,
                resolve_minutes=600,
                position=100 + number,
            )
        )
    await w.commit()
    return Run()


MY_CASES = f"""query {{ myCases(first: 50) {{ edges {{ cursor node {{ {CASE_FIELDS} }} }}
  pageInfo {{ hasNextPage }} }} }}"""


async def my_cases(w: World, n: int) -> Run:
    place = await add_place(w, compounds=n)
    person, token = await resident(w, place)
    await add_cases(w, n, place, person)
    return Run(token=token)


CASE_QUEUE = f"""query($c: ID!) {{ caseQueue(filter: {{communityId: $c}}, first: 50) {{
  edges {{ cursor node {{ {CASE_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""


async def case_queue(w: World, n: int) -> Run:
    place, _ = await add_cases(w, n)
    return Run({"c": gid("Community", place.community)}, token=w.tokens["ADMIN"])


CASE_FIGURES = """query($c: ID!, $from: String!, $to: String!) {
  caseFigures(communityId: $c, from: $from, to: $to) {
    month received answeredInTime medianResolutionMinutes resolved averageRating reopenRate
    organisation { name kind } } }"""


async def case_figures(w: World, n: int) -> Run:
    """n months of the figures of a community with a case in each of its organisations."""
    place, _ = await add_cases(w, 2)
    last = w.today.replace(day=1)
    first = last
    for _ in range(n - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    variables = {"c": gid("Community", place.community), "from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"}
    return Run(variables, token=w.tokens["ADMIN"])


# Query: notices -----------------------------------------------------------------

NOTICE_FIELDS = """id title audience households community { name } compound { name }
  buildings { id name } organisation { name }"""
MY_NOTICES = f"""{{ myNotices(first: 50) {{
  edges {{ cursor readAt acknowledgedAt node {{ {NOTICE_FIELDS} }} }}
  pageInfo {{ hasNextPage }} }} }}"""


async def my_notices(w: World, n: int) -> Run:
    place = await add_place(w, compounds=1, buildings=2)
    person, token = await resident(w, place)
    building = place.buildings[place.compounds[0]]
    household = await household_in(w, place, [place.units[building[0]][0]], person)
    for _ in range(n):
        await add_notice(w, place, building, [household])
    return Run(token=token)


READ_RECEIPTS = f"""query($id: ID!) {{ noticeReadReceipts(id: $id, first: 20) {{
  households read acknowledged notice {{ {NOTICE_FIELDS} }}
  edges {{ cursor node {{ householdAddress readAt readByName acknowledgedAt
    units {{ building {{ id name }} unit {{ id name }} tenure }} }} }}
  pageInfo {{ hasNextPage endCursor }} }} }}"""


async def read_receipts(w: World, n: int) -> Run:
    """A notice that reached n households, each living in a unit of a building of its own."""
    place = await add_place(w, compounds=1, buildings=n, units=2)
    buildings = place.buildings[place.compounds[0]]
    households = [await household_in(w, place, place.units[pk][:2]) for pk in buildings]
    notice = await add_notice(w, place, buildings, households)
    return Run({"id": gid("Notice", notice.id)}, token=w.tokens["ADMIN"])


# Mutations: the 小区 and its organisation ----------------------------------------------

COMPOUND_RESULT = f"__typename ... on Compound {{ {COMPOUND_FIELDS} }} ... on DomainError {{ code message }}"
COMPOUND_CREATE = (
    f"mutation($i: CompoundCreateInput!) {{ compoundCreate(input: $i) {{ {COMPOUND_RESULT} }} }}"
)


async def compound_create(w: World, n: int) -> Run:
    place = await add_place(w, compounds=0)
    buildings = [{"name": f"{index + 1}幢", "units": ["1单元101", "1单元102"]} for index in range(n)]
    variables = {
        "i": {"communityId": gid("Community", place.community), "name": "新苑", "buildings": buildings}
    }
    return Run(variables, token=w.tokens["ADMIN"])


ORGANISATION_RESULT = (
    f"__typename ... on Organisation {{ {ORGANISATION_FIELDS} }} ... on DomainError {{ code message }}"
)
ORGANISATION_CREATE = (
    f"mutation($i: OrganisationCreateInput!) {{ organisationCreate(input: $i) {{ {ORGANISATION_RESULT} }} }}"
)


async def organisation_create(w: World, n: int) -> Run:
    """A 业委会 of n compounds."""
    place = await add_place(w, compounds=n)
    variables = {
        "i": {
            "communityId": gid("Community", place.community),
            "kind": "OWNERS_COMMITTEE",
            "name": "新业委会",
            "compoundIds": [gid("Compound", pk) for pk in place.compounds],
        }
    }
    return Run(variables, token=w.tokens["ADMIN"])


MEMBER_ADD = f"""mutation($o: ID!, $p: ID!) {{
  organisationMemberAdd(organisationId: $o, personId: $p, title: "管家") {{
  {ORGANISATION_RESULT} }} }}"""
MEMBER_REMOVE = f"""mutation($o: ID!, $p: ID!) {{
  organisationMemberRemove(organisationId: $o, personId: $p) {{
  {ORGANISATION_RESULT} }} }}"""


async def member_add(w: World, n: int) -> Run:
    """An organisation with n members, and one more."""
    place = await add_place(w)
    for _ in range(n):
        await add_member(w, place, place.properties[0])
    person, _ = await resident(w, place)
    variables = {"o": gid("Organisation", place.properties[0]), "p": gid("Person", person.id)}
    return Run(variables, token=w.tokens["ADMIN"])


async def member_remove(w: World, n: int) -> Run:
    """An organisation with n + 1 members, one of whom leaves."""
    place = await add_place(w)
    for _ in range(n):
        await add_member(w, place, place.properties[0])
    person = await add_member(w, place, place.properties[0])
    variables = {"o": gid("Organisation", place.properties[0]), "p": gid("Person", person.id)}
    return Run(variables, token=w.tokens["ADMIN"])


RESIDENCE_SET = """mutation($h: ID!, $u: ID!) { residenceSet(householdId: $h, unitId: $u, tenure: TENANT) {
  __typename ... on Residence { householdId unitId tenure } ... on DomainError { code message } } }"""


async def residence_set(w: World, n: int) -> Run:
    place = await add_place(w)
    household = await household_in(w, place, [])
    await w.commit()
    unit = place.units[place.buildings[place.compounds[0]][0]][0]
    return Run({"h": gid("Household", household), "u": gid("Unit", unit)}, token=w.tokens["ADMIN"])


RESIDENCE_REMOVE = """mutation($h: ID!, $u: ID!) { residenceRemove(householdId: $h, unitId: $u) {
  __typename ... on Residence { householdId unitId tenure } ... on DomainError { code message } } }"""


async def residence_remove(w: World, n: int) -> Run:
    place = await add_place(w)
    unit = place.units[place.buildings[place.compounds[0]][0]][0]
    household = await household_in(w, place, [unit])
    await w.commit()
    return Run({"h": gid("Household", household), "u": gid("Unit", unit)}, token=w.tokens["ADMIN"])


CATEGORY_RESULT = """__typename ... on CaseCategory { categoryCode: code name defaultKind informedKind
  acceptMinutes resolveMinutes retired } ... on DomainError { code message }"""
CATEGORY_CREATE = (
    f"mutation($i: CaseCategoryCreateInput!) {{ caseCategoryCreate(input: $i) {{ {CATEGORY_RESULT} }} }}"
)
CATEGORY_UPDATE = f"""mutation($c: String!, $n: String!) {{
  caseCategoryUpdate(code: $c, input: {{name: $n, acceptMinutes: 30}}) {{
  {CATEGORY_RESULT} }} }}"""


async def category_create(w: World, n: int) -> Run:
    number = w.unique()
    variables = {
        "i": {
            "code": f"PERF_NEW_{number:04d}",
            "name": f"新类别{number:04d}",
            "defaultKind": "PROPERTY_MANAGEMENT",
            "informedKind": "RESIDENTS_COMMITTEE",
            "acceptMinutes": 60,
            "resolveMinutes": 600,
        }
    }
    return Run(variables, token=w.tokens["ADMIN"])


async def category_update(w: World, n: int) -> Run:
    code = await w.session.scalar(select(CaseCategory.code).order_by(CaseCategory.position).limit(1))
    return Run({"c": code, "n": f"改名类别{w.unique()}"}, token=w.tokens["ADMIN"])


RULE_SET = """mutation($i: CaseRoutingRuleInput!) { caseRoutingRuleSet(input: $i) { __typename
  ... on CaseRoutingRule { category organisation { name } informedOrganisation { name } acceptMinutes
    resolveMinutes } ... on DomainError { code message } } }"""


async def rule_set(w: World, n: int) -> Run:
    place = await add_place(w)
    code = await w.session.scalar(select(CaseCategory.code).order_by(CaseCategory.position).limit(1))
    variables = {
        "i": {
            "compoundId": gid("Compound", place.compounds[0]),
            "category": code,
            "organisationId": gid("Organisation", place.properties[0]),
            "informedOrganisationId": gid("Organisation", place.committee),
            "acceptMinutes": 30,
        }
    }
    return Run(variables, token=w.tokens["ADMIN"])


RULE_REMOVE = """mutation($c: ID!, $k: String!) { caseRoutingRuleRemove(compoundId: $c, category: $k) {
  __typename ... on Compound { id name } ... on DomainError { code message } } }"""


async def rule_remove(w: World, n: int) -> Run:
    """A compound's rule for a category, set first."""
    place = await add_place(w)
    category = await w.session.scalar(select(CaseCategory).order_by(CaseCategory.position).limit(1))
    w.session.add(
        CaseRoutingRule(
            community_id=place.community,
            compound_id=place.compounds[0],
            category_id=category.id,
            organisation_id=place.properties[0],
            accept_minutes=30,
            resolve_minutes=600,
        )
    )
    await w.commit()
    return Run({"c": gid("Compound", place.compounds[0]), "k": category.code}, token=w.tokens["ADMIN"])


# Mutations: cases -----------------------------------------------------------------

CASE_RESULT = f"__typename ... on Case {{ {CASE_FIELDS} }} ... on DomainError {{ code message }}"
CASE_REPORT = f"mutation($i: CaseReportInput!) {{ caseReport(input: $i) {{ {CASE_RESULT} }} }}"
CASE_ACCEPT = f"mutation($id: ID!) {{ caseAccept(id: $id) {{ {CASE_RESULT} }} }}"
CASE_RESOLVE = f'mutation($id: ID!) {{ caseResolve(id: $id, note: "已修好") {{ {CASE_RESULT} }} }}'
CASE_RATE = f'mutation($id: ID!) {{ caseRate(id: $id, rating: 5, comment: "很好") {{ {CASE_RESULT} }} }}'
CASE_REOPEN = f'mutation($id: ID!) {{ caseReopen(id: $id, comment: "又坏了") {{ {CASE_RESULT} }} }}'


async def case_report(w: World, n: int) -> Run:
    """A report with n photos, in a compound whose 物业 has n members (each told of it)."""
    place = await add_place(w)
    for _ in range(n):
        await add_member(w, place, place.properties[0])
    person, token = await resident(w, place)
    await household_in(w, place, [place.units[place.buildings[place.compounds[0]][0]][0]], person)
    await w.commit()
    code = await w.session.scalar(
        select(CaseCategory.code).where(CaseCategory.default_kind == PROPERTY).order_by(CaseCategory.position)
    )
    photo = base64.b64encode(JPEG).decode()
    variables = {
        "i": {
            "category": code,
            "description": "楼道灯坏了",
            "location": {"lat": 30.2978, "lng": 120.0418, "system": "WGS84"},
            "photos": [photo] * n,
        }
    }
    return Run(variables, token=token)


def case_step(status: CaseStatus, by_reporter: bool):
    """A case in `status` with n events (and up to 3 photos), stepped by its reporter or the office."""

    async def setup(w: World, n: int) -> Run:
        place = await add_place(w)
        person, token = await resident(w, place)
        row = await add_case(w, place, person, photos=min(n, 3), events=n, status=status)
        return Run({"id": gid("Case", row.id)}, token=token if by_reporter else w.tokens["ADMIN"])

    return setup


# Mutations: notices -----------------------------------------------------------------

NOTICE_RESULT = f"__typename ... on Notice {{ {NOTICE_FIELDS} }} ... on DomainError {{ code message }}"
NOTICE_PUBLISH = f"mutation($i: NoticePublishInput!) {{ noticePublish(input: $i) {{ {NOTICE_RESULT} }} }}"
READING_RESULT = f"""__typename ... on NoticeReading {{ readAt acknowledgedAt notice {{ {NOTICE_FIELDS} }} }}
  ... on DomainError {{ code message }}"""
NOTICE_MARK_READ = f"mutation($id: ID!) {{ noticeMarkRead(id: $id) {{ {READING_RESULT} }} }}"
NOTICE_ACKNOWLEDGE = f"mutation($id: ID!) {{ noticeAcknowledge(id: $id) {{ {READING_RESULT} }} }}"


async def notice_publish(w: World, n: int) -> Run:
    """To n buildings, a household (with a person) living in each."""
    place = await add_place(w, compounds=1, buildings=n)
    buildings = place.buildings[place.compounds[0]]
    for pk in buildings:
        person, _ = await resident(w, place)
        await household_in(w, place, [place.units[pk][0]], person)
    await w.commit()
    variables = {
        "i": {
            "title": "停水通知",
            "body": "明日停水",
            "communityId": gid("Community", place.community),
            "compoundId": gid("Compound", place.compounds[0]),
            "buildingIds": [gid("Building", pk) for pk in buildings],
            "requiresAcknowledgement": True,
        }
    }
    return Run(variables, token=w.tokens["ADMIN"])


def notice_reading(acknowledge: bool):
    """A notice to n buildings that reached the viewer's household."""

    async def setup(w: World, n: int) -> Run:
        place = await add_place(w, compounds=1, buildings=n)
        buildings = place.buildings[place.compounds[0]]
        person, token = await resident(w, place)
        household = await household_in(w, place, [place.units[buildings[0]][0]], person)
        notice = await add_notice(w, place, buildings, [household], acknowledge=acknowledge)
        return Run({"id": gid("Notice", notice.id)}, token=token)

    return setup


# Subscription -----------------------------------------------------------------------

CASE_UPDATES = f"""subscription($after: ID) {{ myCaseUpdates(after: $after) {{ notificationId
  case {{ {CASE_FIELDS} }} }} }}"""


async def case_updates(w: World, n: int) -> Run:
    """n + 1 updates of the reporter's cases, replayed after the first (a phone that reconnects)."""
    place = await add_place(w, compounds=n + 1)
    person, token = await resident(w, place)
    _, made = await add_cases(w, n + 1, place, person)
    for row in made:
        await notifications.notify(
            session=w.session,
            person_ids=[person.id],
            kind=NotificationKind.CASE_UPDATED,
            title="事项已受理",
            body="性能测试",
            subject_id=gid("Case", row.id),
        )
    await w.commit()
    from models.notifications import Notification

    ids = sorted(await w.session.scalars(select(Notification.id).where(Notification.person_id == person.id)))
    return Run({"after": gid("Notification", ids[0])}, token, messages=n)


# node(id:) -----------------------------------------------------------------------------


async def node_compound(w: World, n: int) -> Run:
    place = await add_place(w, compounds=1, buildings=n, units=2)
    return Run({"id": gid("Compound", place.compounds[0])})


async def node_building(w: World, n: int) -> Run:
    place = await add_place(w, compounds=1, buildings=1, units=n)
    return Run({"id": gid("Building", place.buildings[place.compounds[0]][0])})


async def node_unit(w: World, n: int) -> Run:
    place = await add_place(w)
    return Run({"id": gid("Unit", place.units[place.buildings[place.compounds[0]][0]][0])})


async def node_organisation(w: World, n: int) -> Run:
    place = await add_place(w, compounds=n)
    await add_member(w, place, place.committee)
    return Run({"id": gid("Organisation", place.committee)}, token=w.tokens["ADMIN"])


async def node_case(w: World, n: int) -> Run:
    place = await add_place(w)
    person, _ = await resident(w, place)
    row = await add_case(w, place, person, photos=min(n, 3), events=n)
    return Run({"id": gid("Case", row.id)}, token=w.tokens["ADMIN"])


async def node_notice(w: World, n: int) -> Run:
    place = await add_place(w, compounds=1, buildings=n)
    notice = await add_notice(w, place, place.buildings[place.compounds[0]], [])
    return Run({"id": gid("Notice", notice.id)}, token=w.tokens["ADMIN"])


# The cases ------------------------------------------------------------------------------

CASES = [
    # Query
    Case("Query.caseCategories", CASE_CATEGORIES, case_categories, edges("caseCategories")),
    Case("Query.compounds", COMPOUNDS, compounds, edges("compounds")),
    Case("Query.organisations", ORGANISATIONS, organisations, edges("organisations")),
    Case("Query.contacts", CONTACTS, contacts, contact_compounds, sizes=(1, 4)),
    Case("Query.caseRoutingRules", ROUTING_RULES, routing_rules, edges("caseRoutingRules"), sizes=(2, 6)),
    Case("Query.myCases", MY_CASES, my_cases, edges("myCases", "edges")),
    Case("Query.caseQueue", CASE_QUEUE, case_queue, edges("caseQueue", "edges")),
    Case("Query.caseFigures", CASE_FIGURES, case_figures, edges("caseFigures"), sizes=(1, 6)),
    Case("Query.myNotices", MY_NOTICES, my_notices, edges("myNotices", "edges")),
    Case(
        "Query.noticeReadReceipts",
        READ_RECEIPTS,
        read_receipts,
        edges("noticeReadReceipts", "edges"),
    ),
    Case(
        "Query.node[Compound]",
        node_query("Compound", COMPOUND_FIELDS),
        node_compound,
        edges("node", "buildings"),
    ),
    Case(
        "Query.node[Building]",
        node_query("Building", "name units { id name }"),
        node_building,
        edges("node", "units"),
    ),
    Case(
        "Query.node[Unit]",
        node_query("Unit", "name"),
        node_unit,
        None,
        sizes=(1, 1),
        why_fixed="a unit is its name; it has no list",
    ),
    Case(
        "Query.node[Organisation]",
        node_query("Organisation", ORGANISATION_FIELDS),
        node_organisation,
        edges("node", "compounds"),
    ),
    Case("Query.node[Case]", node_query("Case", CASE_FIELDS), node_case, edges("node", "events")),
    Case("Query.node[Notice]", node_query("Notice", NOTICE_FIELDS), node_notice, edges("node", "buildings")),
    # Mutation: the 小区 and its organisation
    Case("Mutation.compoundCreate", COMPOUND_CREATE, compound_create, edges("compoundCreate", "buildings")),
    Case(
        "Mutation.organisationCreate",
        ORGANISATION_CREATE,
        organisation_create,
        edges("organisationCreate", "compounds"),
    ),
    Case("Mutation.organisationMemberAdd", MEMBER_ADD, member_add, edges("organisationMemberAdd", "members")),
    Case(
        "Mutation.organisationMemberRemove",
        MEMBER_REMOVE,
        member_remove,
        edges("organisationMemberRemove", "members"),
    ),
    Case(
        "Mutation.residenceSet",
        RESIDENCE_SET,
        residence_set,
        None,
        sizes=(1, 1),
        why_fixed="a registration is one row; its answer names the household, the unit and the tenure",
    ),
    Case(
        "Mutation.caseCategoryCreate",
        CATEGORY_CREATE,
        category_create,
        None,
        sizes=(1, 1),
        why_fixed="a category is one row with no list; creating it touches no other",
    ),
    Case(
        "Mutation.caseCategoryUpdate",
        CATEGORY_UPDATE,
        category_update,
        None,
        sizes=(1, 1),
        why_fixed="a category is one row with no list; cases keep the SLAs they were reported with",
    ),
    Case(
        "Mutation.residenceRemove",
        RESIDENCE_REMOVE,
        residence_remove,
        None,
        sizes=(1, 1),
        why_fixed="a registration is one row; its answer names the household, the unit and the tenure",
    ),
    Case(
        "Mutation.caseRoutingRuleRemove",
        RULE_REMOVE,
        rule_remove,
        None,
        sizes=(1, 1),
        why_fixed="a compound has at most one rule per category; the answer is the compound alone",
    ),
    Case(
        "Mutation.caseRoutingRuleSet",
        RULE_SET,
        rule_set,
        None,
        sizes=(1, 1),
        why_fixed="a rule is one row naming two organisations; it replaces at most one other rule",
    ),
    # Mutation: cases
    Case("Mutation.caseReport", CASE_REPORT, case_report, edges("caseReport", "photos"), sizes=(1, 3)),
    Case(
        "Mutation.caseAccept",
        CASE_ACCEPT,
        case_step(CaseStatus.REPORTED, by_reporter=False),
        edges("caseAccept", "events"),
    ),
    Case(
        "Mutation.caseResolve",
        CASE_RESOLVE,
        case_step(CaseStatus.ACCEPTED, by_reporter=False),
        edges("caseResolve", "events"),
    ),
    Case(
        "Mutation.caseRate",
        CASE_RATE,
        case_step(CaseStatus.RESOLVED, by_reporter=True),
        edges("caseRate", "events"),
    ),
    Case(
        "Mutation.caseReopen",
        CASE_REOPEN,
        case_step(CaseStatus.RESOLVED, by_reporter=True),
        edges("caseReopen", "events"),
    ),
    # Mutation: notices
    Case("Mutation.noticePublish", NOTICE_PUBLISH, notice_publish, edges("noticePublish", "buildings")),
    Case(
        "Mutation.noticeMarkRead",
        NOTICE_MARK_READ,
        notice_reading(acknowledge=False),
        edges("noticeMarkRead", "notice", "buildings"),
    ),
    Case(
        "Mutation.noticeAcknowledge",
        NOTICE_ACKNOWLEDGE,
        notice_reading(acknowledge=True),
        edges("noticeAcknowledge", "notice", "buildings"),
    ),
    # Subscription (over a real WebSocket)
    Case("Subscription.myCaseUpdates", CASE_UPDATES, case_updates, len, sizes=(1, 5), transport="ws"),
]


# node(id:) asked many times in one request (aliases) ------------------------------


async def alias_compounds(w: World, k: int) -> tuple[list[int], str]:
    place = await add_place(w, compounds=k)
    return place.compounds, w.tokens["RESIDENT"]


async def alias_buildings(w: World, k: int) -> tuple[list[int], str]:
    place = await add_place(w, compounds=1, buildings=k)
    return place.buildings[place.compounds[0]], w.tokens["RESIDENT"]


async def alias_units(w: World, k: int) -> tuple[list[int], str]:
    place = await add_place(w, compounds=1, buildings=1, units=k)
    return place.units[place.buildings[place.compounds[0]][0]], w.tokens["RESIDENT"]


async def alias_organisations(w: World, k: int) -> tuple[list[int], str]:
    place = await add_place(w, compounds=k)
    return place.properties, w.tokens["RESIDENT"]


async def alias_cases(w: World, k: int) -> tuple[list[int], str]:
    _, made = await add_cases(w, k)
    return [row.id for row in made], w.tokens["ADMIN"]


async def alias_notices(w: World, k: int) -> tuple[list[int], str]:
    place = await add_place(w)
    person, token = await resident(w, place)
    household = await household_in(w, place, [place.units[place.buildings[place.compounds[0]][0]][0]], person)
    return [(await add_notice(w, place, [], [household])).id for _ in range(k)], token


NODE_ALIASES: dict[str, AliasSetup] = {
    "Compound": alias_compounds,
    "Building": alias_buildings,
    "Unit": alias_units,
    "Organisation": alias_organisations,
    "Case": alias_cases,
    "Notice": alias_notices,
}
