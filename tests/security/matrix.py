"""The authorization matrix: every root field and every sensitive nested field × every kind of caller.

The table is data: each domain gives its rows in `tests/<domain>/matrix_cases.py` (with their
runners), written in the vocabulary of `tests/security/rows.py`; `DOMAINS` below lists those
modules and `ROWS` is the table they make. `test_authorization_matrix.py` runs each cell over HTTP
(WebSocket for subscriptions), and `docs/SECURITY.md` carries its Markdown rendering between the
matrix markers (a test keeps the two equal). Rewrite the document's section with

    .venv/bin/python -m tests.security.matrix

Cells say what the *intended policy* demands (DOMAIN.md, README and the issue's principles), not
what the code happens to do.
"""

from pathlib import Path

from tests.affairs import matrix_cases as affairs
from tests.childcare import matrix_cases as childcare
from tests.eldercare import matrix_cases as eldercare
from tests.facilities import matrix_cases as facilities
from tests.makerspace import matrix_cases as makerspace
from tests.people import matrix_cases as people
from tests.security.rows import CALLERS, OUTCOMES, SECTIONS, Row

# Each module's ROWS (by section), RUNNERS (by row key) and SENSITIVE (the nested fields of its
# types that need a row).
DOMAINS = [people, facilities, makerspace, childcare, eldercare, affairs]


def table(domains: list) -> tuple[Row, ...]:
    """The domains' rows section by section (SECTIONS first, then any other a domain names), and
    within a section in the order of `domains`."""
    sections = dict.fromkeys([*SECTIONS, *(section for domain in domains for section in domain.ROWS)])
    return tuple(row for section in sections for domain in domains for row in domain.ROWS.get(section, ()))


ROWS: tuple[Row, ...] = table(DOMAINS)

# ── The written form ─────────────────────────────────────────────────────────

DOC = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"

INTRO = """\
## Authorization matrix

Who may read or do what, for every root field and every sensitive nested field. The table is
generated from `tests/security/matrix.py`; `tests/security/test_authorization_matrix.py` runs every
cell over HTTP (subscriptions over the WebSocket endpoint) and a test keeps this section equal to
the table (`.venv/bin/python -m tests.security.matrix` rewrites it).

The world the cells run in: elder **A** in community 1 (a consenting family member, and one whose
consent was revoked) and elder B in community 2, each with devices, readings, an open alert and a
care visit; child **X** of another guardian with bookings and pick-up adults, and child Y of the
"guardian of another child"; reservation **R** of another resident in the maker space of
community 1, and one reservation and one sign-in session of each signed-in caller (their token is
that session's). Every staff role has two callers: one
of community 1, where the targets are, and one of community 2, which has elder B but no childcare
centre and no maker space (a structure test fails when a community-scoped role lacks either). The
device gateway and the admin belong to no community. Community affairs (#18): 矩阵小区 in
community 1, where R's holder's household lives, with its 物业 and the community's 居委会, and
矩阵二小区 in community 2 with its own; case **C** of R's holder (reported, with a photo, routed to
the 物业) and a resolved one; notice **N** of the 居委会, which reached the holder's household.
Three callers act for an organisation by membership (they are residents otherwise, and in every
other row get the resident's cell unless it names them): the staff of C's 物业, of community 1's
居委会 (another organisation), and of community 2's 物业 (another community).

The policy the cells follow:

- **Sessions**: each person sees and ends only their own (`mySessions`, `logout`,
  `sessionRevoke`: another's session is `NOT_FOUND`); `tokenRefresh` needs no token, the refresh
  token being the credential; so is the office's reset code for `passwordReset`.
- **The community office**: ADMIN runs everyone; a `COMMUNITY_ADMIN` runs the people of their own
  community who hold no office role (`people`, `personCreate`/`Update`/`Disable`/`Enable`,
  `roleGrant`/`Revoke` of the staff and resident roles, `passwordResetIssue`) and reads their
  community's `auditLog`; another community's office finds no such person (`NOT_FOUND`). The office
  has no right over the domains' data (elders, children, reservations) — but for the elder-care
  office below.
- **The elder-care office**: devices (`deviceRegister`, `deviceAssign`, `deviceUnassign`,
  `deviceRetire`) and an elder's own vital bands (`vitalThresholdSet`/`Clear`): the care staff and
  the `COMMUNITY_ADMIN` of the device's or elder's community, and admin; another community's find
  no such device or elder (`NOT_FOUND`). An answer naming the elder who has a device, or showing
  an elder's band and why it changed, is a logged read (`devices`, `thresholds`). The care policy
  (`carePolicyUpdate`) is admin's alone. Elders themselves (`elderRegister`, `elderUpdate`,
  `consentWithdraw`, `consentRecord`, `familyLinkAdd`/`Remove`) are run by the same people; their
  answers show who the elder is and the consent monitoring stands on, never health data.
  The histories the office keeps — an elder's bands (`Elder.thresholdHistory`) and who had a
  device when (`Device.assignments`) — are read by the same people: the care staff (through the
  elder) and admin; the `COMMUNITY_ADMIN`, who sees no elder, in the device mutations' answers; a
  family member who sees the elder gets null for them (`empty`). Each read is logged (`thresholds`,
  and `devices` of every elder a history names), as `tests/eldercare/test_histories.py` checks:
  the **log** column cannot, the family's cell reading the elder itself.
- **The places**: `communityCreate` is admin's; a maker space or a childcare centre is created by
  admin or by the `COMMUNITY_ADMIN` in their own community (`makerSpaceCreate`,
  `childcareCenterCreate`). Facilities (`facilityCreate`/`Update`/`Close`,
  `facilityHoursExceptionsSet`) are run by admin and by the office of the facility's community;
  another community's office finds no such facility (`NOT_FOUND`) or changes none of them.
- **The inbox**: each person reads, marks and follows only their own notifications
  (`myNotifications`, `notificationsMarkRead`, `myNotificationEvents`): another's is never listed,
  and marking it is `NOT_FOUND`.
- **Anonymous** callers get public data only — communities, the life circle and facilities,
  childcare centres and sessions (no child data), maker spaces and their free slots — and `login`;
  everything else is `UNAUTHENTICATED`, and `node(id:)` of anything else is null.
- **Health data** (elders, readings and vitals, alerts, visits, devices, the dashboard): care staff
  of the elder's community, family members while the elder's consent stands, admin. Nobody else:
  not care staff of another community, not family without consent, not residents, childcare or
  maker-space staff, not the device gateway (it writes readings and is told which alerts they
  raised, but a request that follows an alert to the elder is refused before it writes). The
  dashboard is the care staff's board: family follow their elder through `elders` and `node`.
  Acting on an alert or logging a visit is for the care staff of the elder's community and admin.
- **Every read of health data**, on any path, writes one `health_access_log` row per elder per
  request (who, when, whose, what). Rows marked *yes* under **log** check it: a cell that reads A
  finds exactly one row for the caller, A and the request; any other cell finds none for A. What
  is logged:
  `profile` (who is in care, age, living alone), `alerts`, `vitals`, `visits`, `devices`,
  `thresholds` (an elder's own vital bands, in the answers of their changes). A count
  or an existence answer is such a read too: `totalCount` of alerts logs the elders counted,
  `hasNextPage` the elder of the next item, the dashboard the elders its counts are made of.
- **Children** (the child, its bookings, pick-up adults, session rosters): the child's guardians;
  childcare staff of a community where the child has a booking (of any status) at a centre — the
  child, its bookings at their community's centres and its pick-up adults, and their centres'
  rosters; admin. Childcare staff of any other community see nothing of the child. Only a guardian
  books for a child or names its pick-up adults. Every read of a child's data writes one
  `child_access_log` row per child per request: rows marked *yes* under **child log** check it
  for child X as the **log** column does for elder A.
- **Running a childcare centre** (classes, the timetable, cancelling a session, the carers on
  duty): the childcare staff of the centre's community and admin; childcare staff of another
  community find no such class or session (`NOT_FOUND`). Who is on duty (`ChildcareSession.carers`, names)
  is theirs too: on the public session anyone else gets null (`empty`).
- **Reservations**: the holder; the space's maker-space staff and admin see and manage all of
  the space's reservations. Other residents do not.
- **Running a maker space** (its resources, rules and block-outs): the space's maker-space staff
  and admin; maker-space staff of another community find no such space or resource (`NOT_FOUND`). The
  block-outs it lists (`MakerSpace.blockOuts`) are theirs too: on the public space anyone else gets
  null (`empty`).
- **Phone numbers**: `Viewer.phone` is the caller's own. `PickupPerson.phone` is whole for the
  child's guardians and for childcare staff (they verify the adult at the gate), masked for admin.
  `ReservationHolder.phone` is whole for the holder, masked for maker-space staff and admin.
- **Community affairs**: compounds, organisations, buildings, units and the case categories are
  public; `Organisation.members` shows names to the signed-in, phones whole to the office of the
  organisation's community and admin, masked to everyone else. A case is seen by its reporter, the
  members of the organisation it was routed to, the office of its community and admin; the members
  of an organisation only informed of it see the case without its reporter or photos; nobody else
  (`node` null, actions `NOT_FOUND`). Only the organisation's members, the office and admin accept
  and resolve it; only the reporter rates or reopens it. Reading a case's reporter or photos (in
  the graph or `GET /affairs/photos/<id>`) by anyone but the reporter writes one
  `case_access_log` row per case per request (the **case log** column). Any signed-in person with a
  community may report (`caseReport`; the device gateway may not; the admin, with no community,
  is refused). A notice is seen by the households it reached, the office and the 居委会 it was
  published for; only they read its receipts; only the office and that community's 居委会 members
  publish. Compounds, organisations, members, residences and routing rules are the office's (its
  own community's), the category list admin's.
- A refusal never tells whether the object exists: `node(id:)` answers null and an action answers
  `NOT_FOUND`, as for an id that names nothing; `FORBIDDEN` is for a role that may never call the
  field at all.
"""


def render_markdown() -> str:
    """The matrix section of docs/SECURITY.md (what lies between the markers)."""
    lines = [INTRO, "Outcomes:", ""]
    lines += [f"- `{outcome}` — {meaning}" for outcome, meaning in OUTCOMES.items()]
    lines += ["", "| operation | " + " | ".join(CALLERS.values()) + " | log | child log | case log |"]
    lines.append("|---" * (len(CALLERS) + 4) + "|")
    for row in ROWS:
        cells = " | ".join(f"`{cell}`" for cell in row.cells)
        flags = (row.logged, row.child_logged, row.case_logged)
        logs = " | ".join("yes" if flag else "" for flag in flags)
        lines.append(f"| {row.operation} | {cells} | {logs} |")
    return "\n".join(lines) + "\n"


def section_of(text: str) -> str:
    """The text between the matrix markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n") + "\n"


def write_section(path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(f"{text[:start]}\n{render_markdown()}{text[end:]}", encoding="utf-8")


if __name__ == "__main__":
    write_section()
