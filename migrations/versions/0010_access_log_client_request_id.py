"""The access logs keep the server's request id, and the client's own id apart from it.

The request id in an audit row is the server's (the client cannot choose it); a client's
X-Request-ID, up to 64 printable characters, is kept beside it for correlation.

Revision ID: 0010_access_log_client_id
Revises: 0009_child_access_log
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_access_log_client_id"
down_revision = "0009_child_access_log"
branch_labels = None
depends_on = None

LOGS = ("health_access_log", "child_access_log")


def upgrade() -> None:
    for table in LOGS:
        op.add_column(table, sa.Column("client_request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in LOGS:
        op.drop_column(table, "client_request_id")
