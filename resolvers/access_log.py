"""Access logs of sensitive data (PIPL art. 28): one row per person read per request — who, when,
whose, what — written with one statement for all of a request's reads."""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util.concurrency import greenlet_spawn

# (table, subject column) of each log, in the order request_reads_statement takes their reads.
LOGS = (("health_access_log", "elder_id"), ("child_access_log", "child_id"), ("case_access_log", "case_id"))


def request_reads_statement(present: tuple[bool, bool, bool]) -> str:
    """One statement writing a request's reads into each log that has some (a data-modifying CTE
    per log): atomic as one transaction, in one round trip. Parameters: $1 person, $2 request id,
    $3 client request id, then subjects and whats of each log present, in LOGS order."""
    inserts, number = [], 4
    for (table, subject), wanted in zip(LOGS, present, strict=True):
        if not wanted:
            continue
        inserts.append(
            f"log_{len(inserts)} AS (INSERT INTO {table} (person_id, {subject}, what, request_id, "
            f"client_request_id) SELECT $1::bigint, u.subject, string_to_array(u.what, ','), $2::text, "
            f"$3::text FROM unnest(${number}::bigint[], ${number + 1}::text[]) AS u(subject, what))"
        )
        number += 2
    return f"WITH {', '.join(inserts)} SELECT 1"


def request_reads_arguments(
    *, person_id: int, request_id: str | None, client_request_id: str | None, logs: tuple[dict, dict, dict]
) -> tuple:
    arguments: list = [person_id, request_id, client_request_id]
    for reads in logs:
        if reads:
            arguments += [list(reads), [",".join(sorted(what)) for what in reads.values()]]
    return tuple(arguments)


async def write_request_reads(
    *,
    session_factory,
    person_id: int,
    request_id: str | None,
    client_request_id: str | None,
    logs: tuple[dict, dict, dict],
) -> None:
    """A request's reads (health, children, cases: subject → what), one statement in a transaction
    of its own: on a served process straight on a pooled connection (one round trip, not BEGIN, the
    statement and COMMIT); a test's session bound to its connection writes through the session,
    inside the test's transaction."""
    statement = request_reads_statement(tuple(bool(reads) for reads in logs))
    arguments = request_reads_arguments(
        person_id=person_id, request_id=request_id, client_request_id=client_request_id, logs=logs
    )
    bind = session_factory.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        pooled = await bind.raw_connection()
        try:
            await pooled.driver_connection.execute(statement, *arguments)
        finally:
            await greenlet_spawn(pooled.close)
        return
    async with session_factory() as session:
        await (await session.connection()).exec_driver_sql(statement, arguments)
        await session.commit()


@dataclass(frozen=True)
class Read:
    """One row of an access log: who read what of whose data, in which request."""

    person_id: int
    subject: int
    what: frozenset[str]
    request_id: str | None
    client_request_id: str | None = None


def _insert_for_many(table: str, subject: str):
    return text(
        f"INSERT INTO {table} (person_id, {subject}, what, request_id, client_request_id) "
        "SELECT u.person_id, u.subject, string_to_array(u.what, ','), u.request_id, u.client_request_id "
        "FROM unnest(CAST(:people AS bigint[]), CAST(:subjects AS bigint[]), CAST(:what AS text[]), "
        "CAST(:request_ids AS text[]), CAST(:client_request_ids AS text[])) "
        "AS u(person_id, subject, what, request_id, client_request_id)"
    )


HEALTH_FOR_MANY = _insert_for_many("health_access_log", "elder_id")


async def write_many(*, session: AsyncSession, log, reads: list[Read]) -> None:
    """The reads of many people (a live-feed wake-up's subscribers) in one statement."""
    if reads:
        await session.execute(
            log,
            {
                "people": [read.person_id for read in reads],
                "subjects": [read.subject for read in reads],
                "what": [",".join(sorted(read.what)) for read in reads],
                "request_ids": [read.request_id for read in reads],
                "client_request_ids": [read.client_request_id for read in reads],
            },
        )
