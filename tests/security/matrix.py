"""The authorization matrix: every root field and every sensitive nested field × every kind of caller.

The table is data: `test_authorization_matrix.py` runs each cell over HTTP (WebSocket for
subscriptions), and `docs/SECURITY.md` carries its Markdown rendering between the matrix markers
(a test keeps the two equal). Rewrite the document's section with

    .venv/bin/python -m tests.security.matrix

Cells say what the *intended policy* demands (DOMAIN.md, README and the issue's principles), not
what the code happens to do.
"""

from dataclasses import dataclass
from pathlib import Path

# ── Callers (the columns) ────────────────────────────────────────────────────

CALLERS: dict[str, str] = {
    "anonymous": "anonymous",
    "resident": "resident",
    "family": "family, consent given",
    "family_no_consent": "family, no consent",
    "other_guardian": "guardian of another child",
    "care_staff": "care staff, A's community",
    "care_staff_other": "care staff, other community",
    "childcare_staff": "childcare staff",
    "makerspace_staff": "maker-space staff",
    "gateway": "device gateway",
    "admin": "admin",
}

# ── Outcomes (the cells) ─────────────────────────────────────────────────────

OK = "ok"
OWN = "own"
EMPTY = "empty"
NULL = "null"
FULL = "full"
MASKED = "masked"
UNAUTH = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"

OUTCOMES: dict[str, str] = {
    OK: "answered with the target (a list includes it, an action on it succeeds)",
    OWN: "only the caller's own: their own object is answered (phones whole), the target — "
    "someone else's — is null or NOT_FOUND; a list holds exactly the caller's own objects",
    EMPTY: "answered, with nothing of the target (at most what else the caller may see)",
    NULL: "`node(id:)` (or `me`) answers null",
    FULL: "answered, phone numbers whole",
    MASKED: "answered, phone numbers masked (`138****0001`)",
    UNAUTH: "top-level error `UNAUTHENTICATED` (WebSocket: an `error` message)",
    FORBIDDEN: "top-level error `FORBIDDEN`",
    NOT_FOUND: "a `NotFound` result, or a top-level error `NOT_FOUND`: as if the target did not exist",
}

# Outcomes that let the caller read the target: a logged row then needs its access-log row.
READS_TARGET = frozenset({OK, FULL, MASKED})


@dataclass(frozen=True)
class Row:
    key: str  # names the row's runner and its tests
    operation: str  # what is asked, as the document shows it
    covers: tuple[str, ...]  # schema coordinates ("Query.elders", "Query.node:Elder", "Elder.visits")
    cells: tuple[str, ...]  # one outcome per caller, in CALLERS order
    logged: bool = False  # a read of elder A's health data: one health_access_log row per request

    def expected(self, caller: str) -> str:
        return self.cells[list(CALLERS).index(caller)]


def everyone(outcome: str) -> tuple[str, ...]:
    return (outcome,) * len(CALLERS)


def signed_in(outcome: str, anonymous: str = UNAUTH) -> tuple[str, ...]:
    return (anonymous,) + (outcome,) * (len(CALLERS) - 1)


# Column order:  anonymous, resident, family, family_no_consent, other_guardian, care_staff,
#                care_staff_other, childcare_staff, makerspace_staff, gateway, admin
# Health data of elder A: A's care staff, A's consenting family, admin.
ELDER_A_NODE = (NULL, NULL, OK, NULL, NULL, OK, NULL, NULL, NULL, NULL, OK)
ELDER_A_LIST = (UNAUTH, EMPTY, OK, EMPTY, EMPTY, OK, EMPTY, EMPTY, EMPTY, EMPTY, OK)
# Acting on elder A's care: A's care staff and admin; staff elsewhere find nothing to act on.
CARE_ACTION = (UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND) + (FORBIDDEN,) * 3 + (OK,)
# Writing readings: device gateways and admin.
GATEWAY_ONLY = (UNAUTH,) + (FORBIDDEN,) * 8 + (OK, OK)
# Child X's data: childcare staff and admin; the other guardian sees only their own child.
CHILD_X_NODE = (NULL, NULL, NULL, NULL, OWN, NULL, NULL, OK, NULL, NULL, OK)
CHILDCARE_STAFF_ONLY = (UNAUTH,) + (FORBIDDEN,) * 6 + (OK, FORBIDDEN, FORBIDDEN, OK)
# What only a guardian does for their own child (naming pick-up adults, booking).
GUARDIAN_ACT = (UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, OWN) + (NOT_FOUND,) * 6
# A space's reservations: its staff and admin (phones masked); everyone else only their own.
MAKERSPACE_STAFF_ONLY = (UNAUTH,) + (FORBIDDEN,) * 7 + (OK, FORBIDDEN, OK)
OWN_RESERVATION = (UNAUTH,) + (OWN,) * 7 + (OK, OWN, OK)

ROWS: tuple[Row, ...] = (
    # Public data, and signing in
    Row("communities", "`communities`", ("Query.communities",), everyone(OK)),
    Row("nearby_facilities", "`nearbyFacilities`", ("Query.nearbyFacilities",), everyone(OK)),
    Row("life_circle", "`lifeCircle`", ("Query.lifeCircle",), everyone(OK)),
    Row("maker_spaces", "`makerSpaces`", ("Query.makerSpaces",), everyone(OK)),
    Row("resource_availability", "`resourceAvailability`", ("Query.resourceAvailability",), everyone(OK)),
    Row("childcare_centers", "`childcareCenters`", ("Query.childcareCenters",), everyone(OK)),
    Row(
        "childcare_sessions",
        "`childcareSessions` without a child",
        ("Query.childcareSessions",),
        everyone(OK),
    ),
    Row("node_community", "`node` → Community", ("Query.node:Community",), everyone(OK)),
    Row("node_facility", "`node` → Facility", ("Query.node:Facility",), everyone(OK)),
    Row("node_maker_space", "`node` → MakerSpace", ("Query.node:MakerSpace",), everyone(OK)),
    Row("node_resource", "`node` → Resource", ("Query.node:Resource",), everyone(OK)),
    Row("node_childcare_center", "`node` → ChildcareCenter", ("Query.node:ChildcareCenter",), everyone(OK)),
    Row("node_childcare_class", "`node` → ChildcareClass", ("Query.node:ChildcareClass",), everyone(OK)),
    Row(
        "node_childcare_session", "`node` → ChildcareSession", ("Query.node:ChildcareSession",), everyone(OK)
    ),
    Row("login", "`login`", ("Mutation.login",), everyone(OK)),
    Row("me", "`me { phone }`", ("Query.me", "Viewer.phone"), signed_in(OWN, anonymous=NULL)),
    Row("server_time", "`serverTime` (WebSocket)", ("Subscription.serverTime",), signed_in(OK)),
    Row(
        "node_not_a_node",
        "`node` → a Person's or a Device's id (not Node types)",
        ("Query.node",),
        everyone(NULL),
    ),
    # Elder care: health data of elder A
    Row("elders", "`elders`: elder A", ("Query.elders",), ELDER_A_LIST, logged=True),
    Row("care_alerts", "`careAlerts`: A's alert", ("Query.careAlerts",), ELDER_A_LIST, logged=True),
    Row(
        "care_dashboard",
        "`careDashboard` of A's community",
        ("Query.careDashboard",),
        (UNAUTH,) + (FORBIDDEN,) * 4 + (OK, EMPTY) + (FORBIDDEN,) * 3 + (OK,),
    ),
    Row("node_elder", "`node` → Elder A", ("Query.node:Elder",), ELDER_A_NODE, logged=True),
    Row(
        "elder_latest_vitals", "`Elder.latestVitals` of A", ("Elder.latestVitals",), ELDER_A_NODE, logged=True
    ),
    Row("elder_alerts", "`Elder.alerts` of A", ("Elder.alerts",), ELDER_A_NODE, logged=True),
    Row("elder_visits", "`Elder.visits` of A", ("Elder.visits",), ELDER_A_NODE, logged=True),
    Row("elder_devices", "`Elder.devices` of A", ("Elder.devices",), ELDER_A_NODE, logged=True),
    Row("node_care_alert", "`node` → CareAlert of A", ("Query.node:CareAlert",), ELDER_A_NODE, logged=True),
    Row("node_care_visit", "`node` → CareVisit of A", ("Query.node:CareVisit",), ELDER_A_NODE, logged=True),
    Row(
        "care_alert_events",
        "`careAlertEvents` (WebSocket): A's events",
        ("Subscription.careAlertEvents",),
        ELDER_A_LIST,
        logged=True,
    ),
    Row("readings_record", "`readingsRecord` for A's wristband", ("Mutation.readingsRecord",), GATEWAY_ONLY),
    Row(
        "alerts_raised",
        "`readingsRecord { alertsRaised }`",
        ("ReadingsRecorded.alertsRaised",),
        GATEWAY_ONLY,
        logged=True,
    ),
    Row(
        "alerts_raised_elder",
        "`readingsRecord { alertsRaised { elder { latestVitals visits } } }`",
        ("CareAlert.elder",),
        (UNAUTH,) + (FORBIDDEN,) * 8 + (FORBIDDEN, OK),
        logged=True,
    ),
    Row(
        "care_alert_acknowledge",
        "`careAlertAcknowledge` of A's alert",
        ("Mutation.careAlertAcknowledge",),
        CARE_ACTION,
        logged=True,
    ),
    Row(
        "care_alert_resolve",
        "`careAlertResolve` of A's alert",
        ("Mutation.careAlertResolve",),
        CARE_ACTION,
        logged=True,
    ),
    Row("care_visit_log", "`careVisitLog` for A", ("Mutation.careVisitLog",), CARE_ACTION, logged=True),
    # Childcare: child X, its bookings and pick-up adults
    Row(
        "my_children",
        "`myChildren { bookings pickupPersons { phone } }`",
        ("Query.myChildren",),
        signed_in(OWN),
    ),
    Row(
        "childcare_sessions_for_child",
        "`childcareSessions` with `childId` X",
        ("Query.childcareSessions",),
        (UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, OWN, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK),
    ),
    Row(
        "childcare_session_roster",
        "`childcareSessionRoster` of X's session",
        ("Query.childcareSessionRoster",),
        CHILDCARE_STAFF_ONLY,
    ),
    Row(
        "roster_pickup_phones",
        "`childcareSessionRoster { child { pickupPersons { phone } } }`",
        ("PickupPerson.phone",),
        (UNAUTH,) + (FORBIDDEN,) * 6 + (FULL, FORBIDDEN, FORBIDDEN, MASKED),
    ),
    Row("node_child", "`node` → Child X", ("Query.node:Child",), CHILD_X_NODE),
    Row("child_bookings", "`Child.bookings` of X", ("Child.bookings",), CHILD_X_NODE),
    Row(
        "child_pickup_phones",
        "`Child.pickupPersons { phone }` of X",
        ("Child.pickupPersons", "PickupPerson.phone"),
        (NULL, NULL, NULL, NULL, OWN, NULL, NULL, FULL, NULL, NULL, MASKED),
    ),
    Row(
        "node_childcare_booking",
        "`node` → ChildcareBooking of X",
        ("Query.node:ChildcareBooking",),
        CHILD_X_NODE,
    ),
    Row("child_register", "`childRegister`", ("Mutation.childRegister",), signed_in(OK)),
    Row(
        "child_pickup_person_add",
        "`childPickupPersonAdd` for X",
        ("Mutation.childPickupPersonAdd",),
        GUARDIAN_ACT,
    ),
    Row(
        "childcare_booking_create",
        "`childcareBookingCreate` for X",
        ("Mutation.childcareBookingCreate",),
        GUARDIAN_ACT,
    ),
    Row(
        "childcare_booking_cancel",
        "`childcareBookingCancel` of X's booking",
        ("Mutation.childcareBookingCancel",),
        (UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, OWN, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK),
    ),
    Row("child_check_in", "`childCheckIn` of X's booking", ("Mutation.childCheckIn",), CHILDCARE_STAFF_ONLY),
    Row(
        "child_check_out", "`childCheckOut` of X's booking", ("Mutation.childCheckOut",), CHILDCARE_STAFF_ONLY
    ),
    Row(
        "child_check_out_unlock",
        "`childCheckOutUnlock` of X's booking",
        ("Mutation.childCheckOutUnlock",),
        CHILDCARE_STAFF_ONLY,
    ),
    # Maker space: another person's reservation R
    Row(
        "my_reservations", "`myReservations { holder { phone } }`", ("Query.myReservations",), signed_in(OWN)
    ),
    Row(
        "maker_space_check_in_code",
        "`makerSpaceCheckInCode`",
        ("Query.makerSpaceCheckInCode",),
        MAKERSPACE_STAFF_ONLY,
    ),
    Row(
        "maker_space_reservations",
        "`makerSpaceReservations { holder { phone } }`: R",
        ("Query.makerSpaceReservations", "ReservationHolder.phone"),
        (UNAUTH,) + (FORBIDDEN,) * 7 + (MASKED, FORBIDDEN, MASKED),
    ),
    Row(
        "node_reservation",
        "`node` → R `{ holder { phone } }`",
        ("Query.node:Reservation", "Reservation.holder", "ReservationHolder.phone"),
        (NULL,) + (OWN,) * 7 + (MASKED, OWN, MASKED),
    ),
    Row("reservation_create", "`reservationCreate`", ("Mutation.reservationCreate",), signed_in(OK)),
    Row("reservation_cancel", "`reservationCancel` of R", ("Mutation.reservationCancel",), OWN_RESERVATION),
    Row(
        "reservation_check_in", "`reservationCheckIn` of R", ("Mutation.reservationCheckIn",), OWN_RESERVATION
    ),
)

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
community 1, and one reservation of each signed-in caller. Staff belong to community 1 unless said
otherwise; the device gateway and the admin to none.

The policy the cells follow:

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
  `profile` (who is in care, age, living alone), `alerts`, `vitals`, `visits`, `devices`.
- **Children** (the child, its bookings, pick-up adults, session rosters): the child's guardians,
  childcare staff and admin. Only a guardian books for a child or names its pick-up adults.
- **Reservations**: the holder; the space's maker-space staff and admin see and manage all of
  the space's reservations. Other residents do not.
- **Phone numbers**: `Viewer.phone` is the caller's own. `PickupPerson.phone` is whole for the
  child's guardians and for childcare staff (they verify the adult at the gate), masked for admin.
  `ReservationHolder.phone` is whole for the holder, masked for maker-space staff and admin.
- A refusal never tells whether the object exists: `node(id:)` answers null and an action answers
  `NOT_FOUND`, as for an id that names nothing; `FORBIDDEN` is for a role that may never call the
  field at all.
"""


def render_markdown() -> str:
    """The matrix section of docs/SECURITY.md (what lies between the markers)."""
    lines = [INTRO, "Outcomes:", ""]
    lines += [f"- `{outcome}` — {meaning}" for outcome, meaning in OUTCOMES.items()]
    lines += ["", "| operation | " + " | ".join(CALLERS.values()) + " | log |"]
    lines.append("|---" * (len(CALLERS) + 2) + "|")
    for row in ROWS:
        cells = " | ".join(f"`{cell}`" for cell in row.cells)
        lines.append(f"| {row.operation} | {cells} | {'yes' if row.logged else ''} |")
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
