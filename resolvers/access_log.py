"""Access logs of sensitive data (PIPL art. 28): one row per person read per request — who, when,
whose, what — written with one statement for all of a request's reads."""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(table: str, subject: str):
    return text(
        f"INSERT INTO {table} (person_id, {subject}, what, request_id, client_request_id) "
        "SELECT :person_id, u.subject, string_to_array(u.what, ','), :request_id, :client_request_id "
        "FROM unnest(CAST(:subjects AS bigint[]), CAST(:what AS text[])) AS u(subject, what)"
    )


HEALTH = _insert("health_access_log", "elder_id")  # elders' health data
CHILDREN = _insert("child_access_log", "child_id")  # children's data
CASES = _insert("case_access_log", "case_id")  # who reported a case, its photos


async def write_reads(
    *,
    session: AsyncSession,
    log,
    person_id: int,
    request_id: str | None,
    reads: dict[int, set[str]],
    client_request_id: str | None = None,
) -> None:
    if reads:
        await session.execute(
            log,
            {
                "person_id": person_id,
                "request_id": request_id,
                "client_request_id": client_request_id,
                "subjects": list(reads),
                "what": [",".join(sorted(what)) for what in reads.values()],
            },
        )


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
