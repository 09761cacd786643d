"""Community affairs' periodic jobs (server/jobs.py runs every domain's, each minute, on one replica).

`escalate_overdue_cases` sends each case past its SLA up to its community office once per stage
(not accepted in time; accepted but not resolved in time): one conditional UPDATE per stage, so a
second run, or a second replica, finds nothing left to escalate; a case accepted meanwhile is
not escalated for acceptance. Each escalation is an event, and the office and the reporter are told.
"""

from datetime import datetime
from itertools import groupby

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.affairs import Case, CaseEventKind, CaseStatus, Escalation
from models.notifications import NotificationKind
from resolvers import notifications
from resolvers.affairs.cases import OPEN, add_event, case_global_id, office_of

BATCH = 500  # cases escalated per stage per run; the rest wait a minute


async def _escalate(*, session: AsyncSession, now: datetime, stage: Escalation, overdue) -> list[Case]:
    due = (
        update(Case)
        .where(
            Case.id.in_(
                Case.__table__.select()
                .with_only_columns(Case.id)
                .where(overdue)
                .order_by(Case.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
        )
        .values(escalation=stage.value, escalated_at=now)
        .returning(Case)
    )
    return list(await session.scalars(due.execution_options(populate_existing=True)))


async def escalate_overdue_cases(*, session: AsyncSession, now: datetime) -> int:
    accept_late = await _escalate(
        session=session,
        now=now,
        stage=Escalation.ACCEPT_OVERDUE,
        overdue=and_(Case.status.in_(OPEN), Case.accept_due_at < now, Case.escalation.is_(None)),
    )
    resolve_late = await _escalate(
        session=session,
        now=now,
        stage=Escalation.RESOLVE_OVERDUE,
        overdue=and_(
            Case.status == CaseStatus.ACCEPTED.value,
            Case.resolve_due_at < now,
            or_(Case.escalation.is_(None), Case.escalation == Escalation.ACCEPT_OVERDUE.value),
        ),
    )
    escalated = sorted([*accept_late, *resolve_late], key=lambda row: (row.community_id, row.id))
    for row in escalated:
        late = "受理" if row.escalation == Escalation.ACCEPT_OVERDUE.value else "办结"
        await add_event(
            session=session,
            case_id=row.id,
            kind=CaseEventKind.ESCALATED,
            actor_id=None,
            at=now,
            note=f"超过{late}时限",
        )
        await notifications.notify(
            session=session,
            person_ids=[row.reporter_id],
            kind=NotificationKind.CASE_UPDATED,
            title="您反映的事项已提交社区督办",
            body=f"处理单位未在时限内{late}，社区办公室将跟进。",
            subject_id=case_global_id(row.id),
        )
    for community_id, rows in groupby(escalated, key=lambda row: row.community_id):
        rows = list(rows)
        await notifications.notify(
            session=session,
            person_ids=await office_of(session=session, community_id=community_id),
            kind=NotificationKind.CASE_ESCALATED,
            title=f"{len(rows)} 件事项超时待督办",
            body="；".join(row.description[:40] for row in rows[:5]),
            subject_id=case_global_id(rows[0].id) if len(rows) == 1 else None,
        )
    return len(escalated)


JOBS = (escalate_overdue_cases,)
