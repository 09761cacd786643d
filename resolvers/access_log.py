"""Access logs of sensitive data (PIPL art. 28): one row per person read per request — who, when,
whose, what — written with one statement for all of a request's reads."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(table: str, subject: str):
    return text(
        f"INSERT INTO {table} (person_id, {subject}, what, request_id) "
        "SELECT :person_id, u.subject, string_to_array(u.what, ','), :request_id "
        "FROM unnest(CAST(:subjects AS bigint[]), CAST(:what AS text[])) AS u(subject, what)"
    )


HEALTH = _insert("health_access_log", "elder_id")  # elders' health data
CHILDREN = _insert("child_access_log", "child_id")  # children's data


async def write_reads(
    *, session: AsyncSession, log, person_id: int, request_id: str | None, reads: dict[int, set[str]]
) -> None:
    if reads:
        await session.execute(
            log,
            {
                "person_id": person_id,
                "request_id": request_id,
                "subjects": list(reads),
                "what": [",".join(sorted(what)) for what in reads.values()],
            },
        )
