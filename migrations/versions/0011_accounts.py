"""Accounts a community can run: disabling people and refusing their older tokens, the
COMMUNITY_ADMIN role, sign-in sessions with rotating refresh tokens, password reset codes, and
the append-only audit trail.

Revision ID: 0011_accounts
Revises: 0010_access_log_client_id
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_accounts"
down_revision = "0010_access_log_client_id"
branch_labels = None
depends_on = None

ROLES = "'RESIDENT', 'CARE_STAFF', 'CHILDCARE_STAFF', 'MAKERSPACE_STAFF', 'DEVICE_GATEWAY', 'COMMUNITY_ADMIN', 'ADMIN'"
OLD_ROLES = "'RESIDENT', 'CARE_STAFF', 'CHILDCARE_STAFF', 'MAKERSPACE_STAFF', 'DEVICE_GATEWAY', 'ADMIN'"

# Append-only, whoever connects (the application's role may be a superuser in development, which
# privileges would not stop): no UPDATE, no TRUNCATE, and no DELETE of a row younger than the
# six months every log is kept (the retention job deletes only older ones).
AUDIT_GUARD = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.at < now() - interval '183 days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    op.add_column("persons", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("persons", sa.Column("tokens_valid_after", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint("ck_person_roles_role_known", "person_roles", type_="check")
    op.create_check_constraint("role_known", "person_roles", f"role IN ({ROLES})")

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.CheckConstraint("kind IN ('PASSWORD', 'ISSUED')", name=op.f("ck_auth_sessions_kind_known")),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_reason IS NULL)",
            name=op.f("ck_auth_sessions_revoked_with_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_auth_sessions_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    op.create_index(op.f("ix_auth_sessions_person_id"), "auth_sessions", ["person_id"])
    op.create_index(
        "ix_auth_sessions_revoked",
        "auth_sessions",
        ["expires_at"],
        postgresql_where=sa.text("revoked_at IS NOT NULL"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"])
    op.create_table(
        "password_reset_codes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_password_reset_codes_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["persons.id"], name=op.f("fk_password_reset_codes_issued_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_codes")),
    )
    op.create_index(op.f("ix_password_reset_codes_person_id"), "password_reset_codes", ["person_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=True),
        sa.Column("community_id", sa.BigInteger(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at_id", "audit_log", ["at", "id"])
    op.create_index("ix_audit_log_object_at", "audit_log", ["object_id", "at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor_id", "at"])
    op.create_index("ix_audit_log_community_at", "audit_log", ["community_id", "at"])
    for statement in AUDIT_GUARD:  # one command per statement (asyncpg prepares each)
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("password_reset_codes")
    op.drop_table("refresh_tokens")
    op.drop_table("auth_sessions")
    op.drop_constraint("ck_person_roles_role_known", "person_roles", type_="check")
    op.create_check_constraint("role_known", "person_roles", f"role IN ({OLD_ROLES})")
    op.drop_column("persons", "tokens_valid_after")
    op.drop_column("persons", "disabled_at")
