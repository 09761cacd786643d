"""智慧养老: readings become care alerts; staff acknowledge and resolve; consenting family follow.

Alerts are raised in the same transaction as the readings that cause them. One open alert per
dedup key (elder + kind + reading kind) is a partial unique index, so concurrent batches merge
into it with INSERT … ON CONFLICT: repeats raise count and last-seen, and may raise — never
lower — the severity. Every change is an event row with a global sequence, announced by NOTIFY
at commit; an advisory transaction lock makes sequences commit in order, so a reader that has
seen sequence N has seen everything before it."""

from resolvers.eldercare.base import (
    EVENT_CHANNEL,
    MAX_BATCH,
    UNITS,
)
from resolvers.eldercare.feed import (
    Delivery,
    FeedReader,
)
from resolvers.eldercare.lifecycle import (
    acknowledge,
    log_visit,
    resolve,
)
from resolvers.eldercare.queries import (
    AlertFilter,
    age_on,
    count_alerts,
    dashboard,
    list_alerts,
    list_elders,
)
from resolvers.eldercare.readings import (
    ReadingIn,
    record_readings,
)

__all__ = [
    "EVENT_CHANNEL",
    "MAX_BATCH",
    "UNITS",
    "AlertFilter",
    "Delivery",
    "FeedReader",
    "ReadingIn",
    "acknowledge",
    "age_on",
    "count_alerts",
    "dashboard",
    "list_alerts",
    "list_elders",
    "log_visit",
    "record_readings",
    "resolve",
]
