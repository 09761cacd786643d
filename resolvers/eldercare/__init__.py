"""智慧养老: readings become care alerts; staff acknowledge and resolve; consenting family follow.

Alerts are raised in the same transaction as the readings that cause them. One open alert per
dedup key (elder + kind + reading kind) is a partial unique index, so concurrent batches merge
into it with INSERT … ON CONFLICT: repeats raise count and last-seen, and may raise — never
lower — the severity. Every change is an event row with a global sequence, announced by NOTIFY
at commit; an advisory transaction lock makes sequences commit in order, so a reader that has
seen sequence N has seen everything before it."""

from resolvers.eldercare.access import (
    consented_elders,
    is_care_staff_of,
    visible_elder_or_error,
    visible_elders,
    visible_elders_by_ids,
)
from resolvers.eldercare.base import (
    ACTIVITY_KINDS,
    EVENT_CHANNEL,
    EVENT_ORDER_LOCK,
    FUTURE_TOLERANCE,
    MAX_BATCH,
    POSSIBLE,
    SHANGHAI,
    UNITS,
)
from resolvers.eldercare.jobs import (
    ensure_reading_partitions,
    escalate_alerts,
    policy,
    raise_device_offline_alerts,
    raise_inactivity_alerts,
)
from resolvers.eldercare.lifecycle import acknowledge, alert_for_staff, log_visit, resolve
from resolvers.eldercare.queries import (
    AlertFilter,
    Dashboard,
    age_on,
    alerts_by_elder_ids,
    count_alerts,
    dashboard,
    devices_by_elder_ids,
    events_after,
    get_elders_by_ids,
    latest_vitals_by_elder_ids,
    list_alerts,
    list_elders,
    visible_alerts_by_ids,
    visible_visits_by_ids,
    visits_by_elder_ids,
    write_access_log,
)
from resolvers.eldercare.readings import (
    AlertCandidate,
    ReadingIn,
    RecordResult,
    Rejection,
    alert_candidates,
    append_events,
    check_reading,
    raise_alerts,
    record_readings,
    vital_summary,
)

__all__ = [
    "ACTIVITY_KINDS",
    "EVENT_CHANNEL",
    "EVENT_ORDER_LOCK",
    "FUTURE_TOLERANCE",
    "MAX_BATCH",
    "POSSIBLE",
    "SHANGHAI",
    "UNITS",
    "AlertCandidate",
    "AlertFilter",
    "Dashboard",
    "ReadingIn",
    "RecordResult",
    "Rejection",
    "acknowledge",
    "age_on",
    "alert_candidates",
    "alert_for_staff",
    "alerts_by_elder_ids",
    "append_events",
    "check_reading",
    "consented_elders",
    "count_alerts",
    "dashboard",
    "devices_by_elder_ids",
    "ensure_reading_partitions",
    "escalate_alerts",
    "events_after",
    "get_elders_by_ids",
    "is_care_staff_of",
    "latest_vitals_by_elder_ids",
    "list_alerts",
    "list_elders",
    "log_visit",
    "policy",
    "raise_alerts",
    "raise_device_offline_alerts",
    "raise_inactivity_alerts",
    "record_readings",
    "resolve",
    "visible_alerts_by_ids",
    "visible_elder_or_error",
    "visible_elders",
    "visible_elders_by_ids",
    "visible_visits_by_ids",
    "visits_by_elder_ids",
    "vital_summary",
    "write_access_log",
]
