"""The authorization matrix's vocabulary: its columns (callers), its cells (outcomes), its rows.

Each domain keeps its rows beside its other tests, in `tests/<domain>/matrix_cases.py`, written in
these words; `tests/security/matrix.py` lists those modules and assembles the table.
"""

from dataclasses import dataclass

# ── Callers (the columns) ────────────────────────────────────────────────────

CALLERS: dict[str, str] = {
    "anonymous": "anonymous",
    "resident": "resident",
    "family": "family, consent given",
    "family_no_consent": "family, no consent",
    "other_guardian": "guardian of another child",
    "care_staff": "care staff, A's community",
    "care_staff_other": "care staff, other community",
    "childcare_staff": "childcare staff, X's community",
    "childcare_staff_other": "childcare staff, other community",
    "makerspace_staff": "maker-space staff, R's community",
    "makerspace_staff_other": "maker-space staff, other community",
    "community_admin": "community office, this community",
    "community_admin_other": "community office, other community",
    "org_staff": "物业 staff, case C's organisation",
    "committee_staff": "居委会 staff, community 1 (another organisation)",
    "org_staff_other": "物业 staff, other community",
    "gateway": "device gateway",
    "admin": "admin",
}

# Each signed-in caller's role and community: "one" is where the targets live (elder A, child X's
# centre, reservation R's space), "two" another community (elder B, no centre, no space).
ONE, TWO = "one", "two"
CALLER_ROLES: dict[str, tuple[str, str | None]] = {
    "resident": ("RESIDENT", ONE),
    "family": ("RESIDENT", ONE),
    "family_no_consent": ("RESIDENT", ONE),
    "other_guardian": ("RESIDENT", ONE),
    "care_staff": ("CARE_STAFF", ONE),
    "care_staff_other": ("CARE_STAFF", TWO),
    "childcare_staff": ("CHILDCARE_STAFF", ONE),
    "childcare_staff_other": ("CHILDCARE_STAFF", TWO),
    "makerspace_staff": ("MAKERSPACE_STAFF", ONE),
    "makerspace_staff_other": ("MAKERSPACE_STAFF", TWO),
    "community_admin": ("COMMUNITY_ADMIN", ONE),
    "community_admin_other": ("COMMUNITY_ADMIN", TWO),
    # Staff of an organisation (#18) act for it by membership, not by a role: residents otherwise.
    "org_staff": ("RESIDENT", ONE),
    "committee_staff": ("RESIDENT", ONE),
    "org_staff_other": ("RESIDENT", TWO),
    "gateway": ("DEVICE_GATEWAY", None),
    "admin": ("ADMIN", None),
}
# Roles whose rights do not depend on a community; every other role is a staff role scoped to one,
# and the matrix needs a caller of that role in the targets' community and one in another.
UNSCOPED_ROLES = frozenset({"RESIDENT", "DEVICE_GATEWAY", "ADMIN"})

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
REFUSED = "refused"

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
    REFUSED: "a DomainError other than NotFound: a rule of the caller's own standing says no (no community "
    "to report in, another community named)",
}

# Outcomes that let the caller read the target: a logged row then needs its access-log row.
READS_TARGET = frozenset({OK, FULL, MASKED})


# ── Rows ─────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Row:
    key: str  # names the row's runner and its tests
    operation: str  # what is asked, as the document shows it
    covers: tuple[str, ...]  # schema coordinates ("Query.elders", "Query.node:Elder", "Elder.visits")
    cells: tuple[str, ...]  # one outcome per caller, in CALLERS order
    logged: bool = False  # a read of elder A's health data: one health_access_log row per request
    child_logged: bool = False  # a read of child X's data: one child_access_log row per request
    case_logged: bool = False  # a read of case C's reporter or photos: one case_access_log row per request

    def expected(self, caller: str) -> str:
        return self.cells[list(CALLERS).index(caller)]


# The staff of community affairs' organisations are residents in every other domain: a row that
# names the resident's cell and not theirs gives them the resident's.
AS_RESIDENT = ("org_staff", "committee_staff", "org_staff_other")


def by_caller(default: str, **cells: str) -> tuple[str, ...]:
    """One outcome per caller, in CALLERS order: `default` for those not named (the staff of
    organisations: the resident's, if it is named)."""
    unknown = cells.keys() - CALLERS.keys()
    assert not unknown, f"not callers: {unknown}"
    if "resident" in cells:
        cells = {caller: cells["resident"] for caller in AS_RESIDENT} | cells
    return tuple(cells.get(caller, default) for caller in CALLERS)


def everyone(outcome: str) -> tuple[str, ...]:
    return by_caller(outcome)


def signed_in(outcome: str, anonymous: str = UNAUTH) -> tuple[str, ...]:
    return by_caller(outcome, anonymous=anonymous)


# ── Sections ─────────────────────────────────────────────────────────────────
# A domain's module gives its rows by section (`ROWS = {PUBLIC: (...), ELDER_CARE: (...)}`); the
# table shows them section by section in this order, and within a section in the order of
# `matrix.DOMAINS`. A section named nowhere here comes after these.

PUBLIC = "public data"
PUBLIC_NODES = "public data by node(id:)"
SIGNING_IN = "signing in"
OFFICE = "the community office, and sessions"
ELDER_CARE = "elder care: health data of elder A"
CHILDCARE = "childcare: child X, its bookings and pick-up adults"
MAKER_SPACE = "maker space: another person's reservation R"
AFFAIRS = "community affairs: case C of another resident, handled by its 物业"
SECTIONS = (PUBLIC, PUBLIC_NODES, SIGNING_IN, OFFICE, ELDER_CARE, CHILDCARE, MAKER_SPACE, AFFAIRS)
