"""What each ErrorCode means, in the graph (the `ErrorCode` enum's descriptions) and in the README
(its error-code table is generated from here: `linli export-schema` writes both)."""

from resolvers.errors import ErrorCode

# code → when it is answered. Grouped as the README shows them.
MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.NOT_FOUND: "No such object, or not yours to see or change (the two are not told apart).",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "The idempotency key was used before for a different request.",
    ErrorCode.INVALID_CREDENTIALS: "Wrong phone or password (never says which).",
    ErrorCode.ACCOUNT_DISABLED: "The account is disabled (told only after the right password or code).",
    ErrorCode.REFRESH_TOKEN_INVALID: "`tokenRefresh`: no such refresh token; sign in again.",
    ErrorCode.REFRESH_TOKEN_EXPIRED: "`tokenRefresh`: the refresh token is past its 30 days; sign in again.",
    ErrorCode.REFRESH_TOKEN_REUSED: "`tokenRefresh`: the token was used before, so it was "
    "copied; its session has just ended everywhere.",
    ErrorCode.SESSION_REVOKED: "`tokenRefresh`: the session was ended (logout, revoked, account disabled).",
    ErrorCode.RESET_CODE_INVALID: "`passwordReset`: wrong phone or code (wrong codes count like PINs).",
    ErrorCode.RESET_CODE_USED: "`passwordReset`: the code was used or replaced; ask the office for a new "
    "one.",
    ErrorCode.RESET_CODE_EXPIRED: "`passwordReset`: the code is past its 24 hours.",
    ErrorCode.PASSWORD_TOO_SHORT: "The new password is shorter than the minimum.",
    ErrorCode.PASSWORD_IS_PHONE: "The new password contains the phone number.",
    ErrorCode.PASSWORD_TOO_COMMON: "The new password is on the list of common passwords.",
    ErrorCode.PASSWORD_UNCHANGED: "The new password is the old one.",
    ErrorCode.INVALID_PHONE: "Not a mainland mobile number.",
    ErrorCode.INVALID_NAME: "A name is blank or too long.",
    ErrorCode.NAME_REQUIRED: "`linli user add`: the name is blank.",
    ErrorCode.COMMUNITY_NOT_FOUND: "`linli user add`: no community of that name.",
    ErrorCode.PHONE_TAKEN: "Another account has this phone number.",
    ErrorCode.OTHER_COMMUNITY: "A community office or its staff may act only in their own community "
    "(people, devices, notices).",
    ErrorCode.HOUSEHOLD_NOT_IN_COMMUNITY: "The household is not in the chosen community.",
    ErrorCode.ROLE_NEEDS_COMMUNITY: "A staff role is held within a community: the person needs one.",
    ErrorCode.ADMIN_ONLY_ROLE: "Only ADMIN grants or revokes ADMIN and COMMUNITY_ADMIN.",
    ErrorCode.ROLE_ALREADY_HELD: "The person already holds that role.",
    ErrorCode.ROLE_NOT_HELD: "The person does not hold that role.",
    ErrorCode.LAST_ADMIN: "The last administrator cannot be disabled or lose the role.",
    ErrorCode.ALREADY_DISABLED: "The account is disabled already (enable it first to change it).",
    ErrorCode.NOT_DISABLED: "The account is not disabled.",
    ErrorCode.ADMIN_EXISTS: "`linli admin create`: there is an administrator already.",
    ErrorCode.NAME_TAKEN: "A community, maker space or childcare centre of that name exists already.",
    ErrorCode.MARK_READ_TARGET: "notificationsMarkRead: name 1–100 notifications (`ids`) or ask for `all`, "
    "one of the two.",
    ErrorCode.SLOT_TAKEN: "The resource is held for part of that time.",
    ErrorCode.BOOKING_SUSPENDED: "Repeated no-shows: `until` says when booking reopens.",
    ErrorCode.INVALID_CHECK_IN_CODE: "Not the kiosk's current (or previous) code; the attempt counts.",
    ErrorCode.INVALID_PERIOD: "The end is not after the start.",
    ErrorCode.NOT_SLOT_ALIGNED: "Start and end must fall on the space's slot boundaries (e.g. 09:00, 09:30).",
    ErrorCode.OUTSIDE_OPENING_HOURS: "The time is outside the space's opening hours.",
    ErrorCode.IN_THE_PAST: "The time has passed.",
    ErrorCode.TOO_FAR_AHEAD: "Beyond the booking horizon (maker space 7 days, childcare 14 days by default).",
    ErrorCode.TOO_LONG: "Longer than one booking of that kind may be.",
    ErrorCode.INVALID_PARTY_SIZE: "The party size is less than 1.",
    ErrorCode.PARTY_TOO_LARGE: "More people than the room holds.",
    ErrorCode.DAILY_CAP: "Over the desk hours a person may book in a day.",
    ErrorCode.OVERLAPPING_RESERVATION: "You hold another reservation at that time.",
    ErrorCode.CHECK_IN_TOO_EARLY: "Check-in opens 10 minutes before the start (by default).",
    ErrorCode.CHECK_IN_TOO_LATE: "Check-in closed 15 minutes after the start (by default).",
    ErrorCode.ALREADY_CHECKED_IN: "The reservation is checked in already.",
    ErrorCode.NOT_ACTIVE: "The reservation or booking is cancelled, finished or checked in.",
    ErrorCode.INVALID_CAPACITY: "A resource seats 1–500 persons, and a DESK exactly 1.",
    ErrorCode.INVALID_POSITION: "A resource's display position is 0–9999.",
    ErrorCode.RESOURCE_NAME_TAKEN: "The space has a resource of that name (retired ones keep theirs).",
    ErrorCode.RESOURCE_RETIRED: "The resource is retired: it cannot be changed, blocked or retired again.",
    ErrorCode.REASON_REQUIRED: "A reason (1–200 characters) is required: to retire or block a resource, to "
    "cancel a childcare session, to retire a device or change an elder's thresholds.",
    ErrorCode.BLOCK_OUT_OVERLAPS: "Another block-out of the resource covers part of that time.",
    ErrorCode.RESOURCE_IN_USE: "A checked-in reservation holds part of that time: end it first "
    "(`reservationCancel`).",
    ErrorCode.BLOCK_OUT_REMOVED: "The block-out was removed already.",
    ErrorCode.INVALID_OPENING_HOURS: "Opening time must be HH:MM and before closing time.",
    ErrorCode.INVALID_SLOT_MINUTES: "A slot is 5–240 minutes and divides the day (e.g. 15, 30, 60).",
    ErrorCode.HOURS_NOT_ON_SLOTS: "Opening and closing must fall on slot boundaries (counted from midnight).",
    ErrorCode.INVALID_BOOKING_HORIZON: "The booking horizon is 0–90 days.",
    ErrorCode.INVALID_DESK_MAX_MINUTES: "A desk's longest reservation is 1–1440 minutes.",
    ErrorCode.INVALID_ROOM_MAX_MINUTES: "A room's longest reservation is 1–1440 minutes.",
    ErrorCode.INVALID_DESK_DAILY_CAP: "The daily desk cap is 1–1440 minutes.",
    ErrorCode.INVALID_CHECK_IN_BEFORE: "Check-in opens 0–120 minutes before the start.",
    ErrorCode.INVALID_CHECK_IN_AFTER: "Check-in closes 1–120 minutes after the start.",
    ErrorCode.INVALID_NO_SHOW_LIMIT: "The no-show limit is 1–100.",
    ErrorCode.INVALID_NO_SHOW_WINDOW: "The no-show window is 1–365 days.",
    ErrorCode.INVALID_SUSPENSION_DAYS: "A suspension lasts 0–365 days.",
    ErrorCode.INVALID_CHECK_IN_STEP: "The kiosk's code changes every 15–600 seconds.",
    ErrorCode.CHILD_NOT_ELIGIBLE: "The child's age in months (Civil Code art. 202) on the "
    "session day is outside the class's range.",
    ErrorCode.INVALID_PICKUP_PIN: "No authorised adult of the child has that PIN (the attempt counts).",
    ErrorCode.CONSENT_REQUIRED: "A child's data needs the guardian's consent (nothing is stored without it).",
    ErrorCode.INVALID_BIRTH_DATE: "The birth date is in the future.",
    ErrorCode.NOT_UNDER_THREE: "托育 is for children under three.",
    ErrorCode.PICKUP_PERSON_EXISTS: "That phone is already a pick-up person of this child.",
    ErrorCode.SESSION_STARTED: "The childcare session has started.",
    ErrorCode.OVERLAPPING_BOOKING: "The child holds another booking or waitlist place at that time.",
    ErrorCode.NOT_CONFIRMED: "Only a confirmed booking checks in.",
    ErrorCode.NOT_SESSION_DAY: "Check-in only on the session's day.",
    ErrorCode.NOT_CHECKED_IN: "The child is not checked in (or has left).",
    ErrorCode.CHECKOUT_LOCKED: "Too many wrong PINs: staff must verify the adult and unlock.",
    ErrorCode.STAFF_ONLY: "Only childcare staff of the centre's community do this.",
    ErrorCode.NATIONAL_CLASS_RULES: "The class breaks the 2019 national rules for its kind (ages, class "
    "size, children per carer).",
    ErrorCode.INVALID_CLASS: "The youngest age is not below the oldest, or a size or ratio is not positive.",
    ErrorCode.CLASS_NAME_TAKEN: "The centre has a class of that name already.",
    ErrorCode.CLASS_SIZE_EXCEEDED: "A session or timetable entry would offer more places than its class "
    "holds.",
    ErrorCode.INVALID_TIMETABLE_ENTRY: "A timetable entry's weekday is not 1–7, it ends before it starts, "
    "or it offers no place.",
    ErrorCode.DUPLICATE_TIMETABLE_ENTRY: "Two timetable entries share weekday, care type and start.",
    ErrorCode.TIMETABLE_SESSIONS_BOOKED: "Removing or changing the entry would drop future sessions that "
    "hold confirmed or waitlisted bookings (the message names them): cancel those sessions first.",
    ErrorCode.SESSION_CANCELLED: "The childcare session is cancelled (closed).",
    ErrorCode.SESSION_ENDED: "The childcare session is over: its roster is history.",
    ErrorCode.CARER_NOT_STAFF: "A carer must hold CHILDCARE_STAFF in the centre's community (and not be "
    "disabled).",
    ErrorCode.CARER_ALREADY_ON_DUTY: "That carer is on the session's roster already.",
    ErrorCode.CARER_NOT_ON_DUTY: "That person is not on the session's roster.",
    ErrorCode.CARER_RATIO_EXCEEDED: "The carers left could not look after the confirmed children at the "
    "class's ratio (carers × children per carer).",
    ErrorCode.EMPTY_BATCH: "`readingsRecord`: no readings.",
    ErrorCode.BATCH_TOO_LARGE: "`readingsRecord`: more than 500 readings.",
    ErrorCode.NO_VALID_READINGS: "`readingsRecord`: none of the readings could be stored "
    "(each one's reason in `rejected`).",
    ErrorCode.UNKNOWN_DEVICE: "A reading: no device has that serial.",
    ErrorCode.KIND_NOT_MEASURED_BY_DEVICE: "A reading: that kind of device does not measure that.",
    ErrorCode.DEVICE_SERIAL_MISSING: "A reading: it names no device (give deviceSerial).",
    ErrorCode.DEVICE_SERIAL_GIVEN_TWICE: "A reading: both deviceSerial and the deprecated deviceId were "
    "given.",
    ErrorCode.UNKNOWN_KIND: "A reading: an unknown kind.",
    ErrorCode.INVALID_TIME: "A reading: the time has no offset.",
    ErrorCode.IN_THE_FUTURE: "A time more than 5 minutes ahead of the server's clock (a reading, a visit).",
    ErrorCode.IMPOSSIBLE_VALUE: "A reading: a vital sign without a value, or one no body can have.",
    ErrorCode.ALREADY_ACKNOWLEDGED: "The alert was acknowledged already.",
    ErrorCode.ALREADY_RESOLVED: "The alert was resolved already.",
    ErrorCode.NOTE_REQUIRED: "Resolving an alert or logging a visit needs a note.",
    ErrorCode.UNKNOWN_VISIT_KIND: "A visit is VISIT, CALL, VIDEO_CALL or ESCORT.",
    ErrorCode.COMMUNITY_REQUIRED: "ADMIN must name the community (elderRegister, deviceRegister, "
    "makerSpaceCreate, childcareCenterCreate, noticePublish, where a member of more than one 居委会 "
    "must too).",
    ErrorCode.ELDER_UNDER_SIXTY: "Elder care serves people aged 60 and over (老年人权益保障法 art. 2).",
    ErrorCode.INVALID_ADDRESS: "An address is at most 200 characters.",
    ErrorCode.INVALID_CONTACT: "At most 5 emergency contacts, each with a name, a mainland mobile "
    "and a relationship.",
    ErrorCode.CONSENT_REFERENCE_REQUIRED: "A consent needs the reference of its paper or electronic record.",
    ErrorCode.GUARDIAN_NAME_REQUIRED: "A guardian's consent names the guardian; the elder's own names none.",
    ErrorCode.CONSENT_WITHDRAWN: "The elder withdrew consent to monitoring: readings and new family "
    "links are refused until a new consent is recorded.",
    ErrorCode.CONSENT_STANDS: "consentRecord: the elder's consent already stands.",
    ErrorCode.INVALID_RELATIONSHIP: "A family member's relationship to the elder: 1–30 characters.",
    ErrorCode.ALREADY_FOLLOWING: "familyLinkAdd: that person already follows the elder.",
    ErrorCode.INVALID_COORDINATES: "A facility's latitude or longitude is out of range or not a number.",
    ErrorCode.OUTSIDE_CHINA: "A facility's point lies outside mainland China (where the coordinate systems "
    "apply).",
    ErrorCode.INVALID_HOURS: "Opening hours are not HH:MM periods on ISO weekdays 1–7 (a close at or before "
    "the open is the next day's), or a day is both closed and given hours.",
    ErrorCode.UNKNOWN_SERVICE: "No service has that code.",
    ErrorCode.FACILITY_CLOSED: "The facility is closed for good; it cannot be changed or closed again.",
    ErrorCode.INVALID_DATES: "Dates for hours exceptions: 1–31 of them, none before today (Asia/Shanghai).",
    ErrorCode.INVALID_DEVICE_SERIAL: "`deviceRegister`: a serial is 1–64 letters, digits and `-_.:`, "
    "starting with a letter or digit.",
    ErrorCode.DEVICE_SERIAL_TAKEN: "`deviceRegister`: another device has this serial (retired ones too).",
    ErrorCode.DEVICE_NOT_ASSIGNED: "The device is assigned to no elder: a reading from it is rejected; "
    "`deviceUnassign` has nothing to end.",
    ErrorCode.DEVICE_ALREADY_ASSIGNED: "`deviceAssign`: the device is assigned already (unassign it first).",
    ErrorCode.DEVICE_RETIRED: "The device is retired: it cannot be assigned, unassigned or retired again.",
    ErrorCode.ELDER_NOT_IN_DEVICE_COMMUNITY: "`deviceAssign`: the elder lives in another community than "
    "the device's.",
    ErrorCode.NOT_A_VITAL: "Thresholds are for vital signs only (not MOTION, DOOR, SOS, FALL, HEARTBEAT).",
    ErrorCode.THRESHOLD_EMPTY: "`vitalThresholdSet`: give at least one bound (to go back to the default, "
    "clear it).",
    ErrorCode.THRESHOLD_OUT_OF_RANGE: "`vitalThresholdSet`: a bound outside what a sensor can report for "
    "that vital.",
    ErrorCode.THRESHOLDS_NOT_ORDERED: "`vitalThresholdSet`: the bounds must rise: criticalLow < warningLow "
    "< warningHigh < criticalHigh.",
    ErrorCode.THRESHOLD_NOT_SET: "`vitalThresholdClear`: the elder has no band of their own for that vital.",
    ErrorCode.POLICY_INACTIVITY_HOURS: "`carePolicyUpdate`: inactivity hours are 1–24.",
    ErrorCode.POLICY_DAY_ORDER: "`carePolicyUpdate`: the day starts before it ends.",
    ErrorCode.INVALID_TIME_OF_DAY: "`carePolicyUpdate`: a time of day is HH:MM (00:00–23:59).",
    ErrorCode.POLICY_OFFLINE_MINUTES: "`carePolicyUpdate`: device offline minutes are 1–1440.",
    ErrorCode.POLICY_ESCALATION_ORDER: "`carePolicyUpdate`: escalation minutes are 1–1440, critical "
    "level 1 before level 2.",
    # community affairs
    ErrorCode.RESIDENTS_COMMITTEE_EXISTS: "`organisationCreate`: the community has its 居委会 already.",
    ErrorCode.ORGANISATION_KIND_TAKEN: "`organisationCreate`: a compound named has a 业委会 (or a 物业) "
    "already.",
    ErrorCode.ORGANISATION_COMPOUNDS: "`organisationCreate`: a 居委会 serves the whole community (no "
    "compounds); a 业委会 or 物业 needs the compounds it serves.",
    ErrorCode.COMPOUND_NOT_IN_COMMUNITY: "A compound named is not in the organisation's community.",
    ErrorCode.UNIT_NOT_IN_COMMUNITY: "`residenceSet`: a household lives in units of its own community.",
    ErrorCode.ALREADY_MEMBER: "`organisationMemberAdd`: the person acts for the organisation already.",
    ErrorCode.NOT_MEMBER: "`organisationMemberRemove`: the person is not a member.",
    ErrorCode.ALREADY_RESIDENT: "`residenceSet`: the household is registered in that unit already.",
    ErrorCode.TOO_MANY_UNITS: "`compoundCreate`: more buildings or units than one request may create.",
    ErrorCode.NO_ORGANISATION: "`caseReport`: the community has no 居委会 yet to take the case.",
    ErrorCode.UNKNOWN_CATEGORY: "No case category with that code.",
    ErrorCode.CATEGORY_RETIRED: "`caseReport`: the category is no longer offered.",
    ErrorCode.INVALID_DESCRIPTION: "`caseReport`: the description is blank or over 1000 characters.",
    ErrorCode.TOO_MANY_PHOTOS: "`caseReport`: more than three photos.",
    ErrorCode.PHOTO_TOO_LARGE: "`caseReport`: a photo is empty or over 2 MiB (decoded).",
    ErrorCode.PHOTO_TYPE_NOT_ALLOWED: "`caseReport`: a photo is not JPEG, PNG or WebP (judged by its bytes), "
    "or not valid base64.",
    ErrorCode.COMPOUND_REQUIRED: "`caseReport`: you live in more than one compound: say which.",
    ErrorCode.NOT_YOUR_COMPOUND: "`caseReport`: you report only for a compound your household lives in.",
    ErrorCode.CASE_NOT_OPEN: "`caseAccept`: the case is accepted, resolved or rated already.",
    ErrorCode.CASE_NOT_ACCEPTED: "`caseResolve`: the case is not accepted (accept it first) or is resolved.",
    ErrorCode.CASE_NOT_RESOLVED: "`caseRate`, `caseReopen`: the case is not resolved, or rated already.",
    ErrorCode.REOPEN_WINDOW_PASSED: "`caseReopen`: more than 7 days since it was resolved.",
    ErrorCode.INVALID_RATING: "`caseRate`: a rating is 1–5.",
    ErrorCode.INVALID_COMMENT: "`caseRate`, `caseReopen`: the comment is over 500 characters (a reopening "
    "needs one).",
    ErrorCode.INVALID_SLA: "Minutes to accept 1–43200, to resolve at least those and at most 129600.",
    ErrorCode.INVALID_CATEGORY: "`caseCategoryCreate`/`Update`: a code is A–Z, 0–9 and _; the organisation "
    "kinds differ.",
    ErrorCode.NOTICE_TARGET: "`noticePublish`: the compound must be of the community, and buildings of the "
    "compound named (and need one).",
    ErrorCode.INVALID_TITLE: "`noticePublish`: the title is blank or over 100 characters.",
    ErrorCode.INVALID_BODY: "`noticePublish`: the text is blank or over 2000 characters.",
    ErrorCode.NO_HOUSEHOLDS: "`noticePublish`: no household is registered where the notice is aimed.",
    ErrorCode.ACKNOWLEDGEMENT_NOT_REQUIRED: "`noticeAcknowledge`: the notice does not ask for one.",
}

README_START = "<!-- error-codes: generated by `linli export-schema` from schema/error_codes.py -->"
README_END = "<!-- /error-codes -->"


# Raised only by the `linli` command (never through the graph).
COMMAND_ONLY = (ErrorCode.NAME_REQUIRED, ErrorCode.COMMUNITY_NOT_FOUND, ErrorCode.ADMIN_EXISTS)
# Per-reading codes that a rule of another mutation answers as RuleViolation too (careVisitLog,
# deviceUnassign).
ALSO_RULE_VIOLATION = (ErrorCode.IN_THE_FUTURE, ErrorCode.DEVICE_NOT_ASSIGNED)


def answered_as(schema) -> dict[ErrorCode, list[str]]:
    """Which graph types carry each code, read from the built schema: the DomainError types whose
    failure class lists its codes; RuleViolation the rest; RejectedReading the per-reading codes."""
    from resolvers.eldercare.errors import REJECTION_CODES

    carriers: dict[ErrorCode, list[str]] = {}
    interface = schema._schema.get_type("DomainError")
    for graph_type in schema._schema.get_possible_types(interface):
        failure = schema.get_type_by_name(graph_type.name).origin.answers
        for code in failure.codes:
            carriers.setdefault(code, []).append(graph_type.name)
    for code in REJECTION_CODES:
        carriers.setdefault(code, []).append("RejectedReading")
    for code in COMMAND_ONLY:
        carriers.setdefault(code, []).append("`linli` command")
    for code in ALSO_RULE_VIOLATION:
        carriers.setdefault(code, []).append("RuleViolation")
    return {code: sorted(carriers.get(code, ["RuleViolation"])) for code in MEANINGS}


def readme_table(schema) -> str:
    """The README's table of codes: each code, the types that carry it, when it is answered."""
    rows = ["| code | answered as | when |", "|---|---|---|"]
    for code, types in answered_as(schema).items():
        rows.append(f"| `{code.value}` | {', '.join(types)} | {MEANINGS[code]} |")
    return "\n".join([README_START, *rows, README_END])


def with_readme_table(readme: str, schema) -> str:
    """The README with its generated table replaced by the current one."""
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    return readme[:start] + readme_table(schema) + readme[end:]
