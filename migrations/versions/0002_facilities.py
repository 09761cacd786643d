"""Facilities: places, services, weekly hours and exceptions, life-circle requirements.

Revision ID: 0002_facilities
Revises: 0001_foundation
Create Date: 2026-11-27
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0002_facilities"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

CATEGORIES = [
    "NEIGHBORHOOD_CENTER",
    "SELF_SERVICE_KIOSK",
    "METRO_STATION",
    "BUS_STOP",
    "HEALTH_CENTER",
    "HEALTH_STATION",
    "CHILDCARE",
    "KINDERGARTEN",
    "ELDER_DAY_CARE",
    "FRESH_MARKET",
    "PARK",
    "MAKER_SPACE",
    "MIDDLE_SCHOOL",
    "PRIMARY_SCHOOL",
    "SPORTS_CENTER",
    "SPORTS_GROUND",
    "OUTDOOR_FITNESS",
    "NURSING_HOME",
    "CULTURAL_CENTER",
    "CULTURAL_STATION",
    "SUBDISTRICT_SERVICE_CENTER",
    "SUBDISTRICT_OFFICE",
    "COMMUNITY_SERVICE_STATION",
    "COMMUNITY_CANTEEN",
    "POLICE_STATION",
    "SHOPPING_MALL",
    "POST_OFFICE",
    "BANK",
    "RESTAURANT",
    "SUPERMARKET",
    "PHARMACY",
    "PUBLIC_TOILET",
]
CATEGORIES_SQL = ", ".join(f"'{name}'" for name in CATEGORIES)

# GB 50180-2018 appendix B as best recalled (DOMAIN.md): (tier, category, also satisfied by, label).
REQUIREMENTS = [
    (15, "MIDDLE_SCHOOL", [], "初中"),
    (15, "SPORTS_CENTER", [], "体育馆/全民健身中心"),
    (15, "HEALTH_CENTER", [], "社区卫生服务中心"),
    (15, "NURSING_HOME", [], "养老院"),
    (15, "CULTURAL_CENTER", [], "文化活动中心"),
    (15, "SUBDISTRICT_SERVICE_CENTER", ["NEIGHBORHOOD_CENTER"], "街道级社区服务中心"),
    (15, "SUBDISTRICT_OFFICE", [], "街道办事处"),
    (15, "POLICE_STATION", [], "派出所"),
    (15, "SHOPPING_MALL", [], "商场"),
    (15, "POST_OFFICE", [], "邮政营业场所"),
    (15, "BANK", [], "银行"),
    (15, "METRO_STATION", [], "轨道交通站点"),
    (10, "PRIMARY_SCHOOL", [], "小学"),
    (10, "FRESH_MARKET", [], "菜市场或生鲜超市"),
    (10, "SPORTS_GROUND", [], "中型多功能运动场地"),
    (10, "RESTAURANT", ["COMMUNITY_CANTEEN"], "餐饮设施"),
    (5, "COMMUNITY_SERVICE_STATION", [], "社区服务站（居委会）"),
    (5, "COMMUNITY_CANTEEN", [], "社区食堂"),
    (5, "CULTURAL_STATION", [], "文化活动站"),
    (5, "OUTDOOR_FITNESS", [], "室外综合健身场地"),
    (5, "KINDERGARTEN", [], "幼儿园"),
    (5, "CHILDCARE", [], "托儿所/托育"),
    (5, "ELDER_DAY_CARE", [], "老年人日间照料中心"),
    (5, "HEALTH_STATION", ["HEALTH_CENTER"], "社区卫生服务站"),
    (5, "SUPERMARKET", ["PHARMACY"], "社区商业网点（超市/药店）"),
    (5, "BUS_STOP", [], "公交车站"),
    (5, "PUBLIC_TOILET", [], "公共厕所"),
]

# Is a facility open at an instant? Asia/Shanghai wall time; the day's exceptions replace its weekly
# periods; yesterday's periods that run past midnight count too. One definition for filter and field.
IS_OPEN_FUNCTION = """
CREATE FUNCTION facility_is_open(p_facility_id bigint, p_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH local_time AS (
    SELECT (p_at AT TIME ZONE 'Asia/Shanghai') AS t
  ), candidate AS (
    SELECT t::date AS day, EXTRACT(epoch FROM t - t::date) / 60 AS minute FROM local_time
    UNION ALL
    SELECT t::date - 1, EXTRACT(epoch FROM t - t::date) / 60 + 1440 FROM local_time
  )
  SELECT EXISTS (
    SELECT 1 FROM candidate c
      JOIN facility_hours_exceptions e ON e.facility_id = p_facility_id AND e.day = c.day
     WHERE c.minute >= e.open_minute AND c.minute < e.close_minute
  ) OR EXISTS (
    SELECT 1 FROM candidate c
      JOIN facility_opening_hours h
        ON h.facility_id = p_facility_id AND h.weekday = EXTRACT(isodow FROM c.day)
     WHERE c.minute >= h.open_minute AND c.minute < h.close_minute
       AND NOT EXISTS (
         SELECT 1 FROM facility_hours_exceptions x WHERE x.facility_id = p_facility_id AND x.day = c.day
       )
  )
$$
"""


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column(
            "location",
            geoalchemy2.types.Geography(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeogFromText",
                name="geography",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("lat", sa.Float(), sa.Computed("ST_Y(location::geometry)", persisted=True), nullable=False),
        sa.Column("lng", sa.Float(), sa.Computed("ST_X(location::geometry)", persisted=True), nullable=False),
        sa.Column("accessibility", sa.Text(), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("seed_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            f"category IN ({CATEGORIES_SQL})",
            name=op.f("ck_facilities_category_known"),
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_facilities_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("seed_key", name=op.f("uq_facilities_seed_key")),
    )
    op.create_table(
        "life_circle_requirements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("tier_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("also_satisfied_by", sa.ARRAY(sa.String(length=40)), server_default="{}", nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("position", sa.SmallInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            f"category IN ({CATEGORIES_SQL})",
            name=op.f("ck_life_circle_requirements_category_known"),
        ),
        sa.CheckConstraint("tier_minutes > 0", name=op.f("ck_life_circle_requirements_tier_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_life_circle_requirements")),
        sa.UniqueConstraint("tier_minutes", "category", name="uq_life_circle_requirements_tier_category"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]*$'", name=op.f("ck_services_code_upper_snake")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("code", name=op.f("uq_services_code")),
        sa.UniqueConstraint("name", name=op.f("uq_services_name")),
    )
    op.create_table(
        "facility_hours_exceptions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open_minute", sa.SmallInteger(), nullable=True),
        sa.Column("close_minute", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint(
            "(open_minute IS NULL AND close_minute IS NULL) OR (open_minute BETWEEN 0 AND 1439 "
            "AND close_minute > open_minute AND close_minute <= open_minute + 1440)",
            name=op.f("ck_facility_hours_exceptions_closed_or_period"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_hours_exceptions_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_hours_exceptions")),
    )
    op.create_table(
        "facility_opening_hours",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("open_minute", sa.SmallInteger(), nullable=False),
        sa.Column("close_minute", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "close_minute > open_minute AND close_minute <= open_minute + 1440",
            name=op.f("ck_facility_opening_hours_close_after_open"),
        ),
        sa.CheckConstraint(
            "open_minute BETWEEN 0 AND 1439", name=op.f("ck_facility_opening_hours_open_within_day")
        ),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_facility_opening_hours_weekday_iso")),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_opening_hours_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_opening_hours")),
    )
    op.create_index(
        op.f("ix_facility_opening_hours_facility_id"), "facility_opening_hours", ["facility_id"], unique=False
    )
    op.create_table(
        "facility_services",
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_services_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_facility_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("facility_id", "service_id", name=op.f("pk_facility_services")),
    )
    op.create_index(
        op.f("ix_facility_services_service_id"), "facility_services", ["service_id"], unique=False
    )
    op.create_index("ix_facilities_location", "facilities", ["location"], postgresql_using="gist")
    # btree_gist: nearest-of-a-category (life circle) walks one index.
    op.create_index(
        "ix_facilities_category_location", "facilities", ["category", "location"], postgresql_using="gist"
    )
    op.execute("CREATE INDEX ix_facilities_name_trgm ON facilities USING gin (name gin_trgm_ops)")
    op.execute("CREATE INDEX ix_facilities_address_trgm ON facilities USING gin (address gin_trgm_ops)")
    op.execute("CREATE INDEX ix_services_name_trgm ON services USING gin (name gin_trgm_ops)")
    op.create_index(
        "ix_facility_hours_exceptions_facility_day", "facility_hours_exceptions", ["facility_id", "day"]
    )
    op.execute(IS_OPEN_FUNCTION)
    requirements = sa.table(
        "life_circle_requirements",
        sa.column("tier_minutes", sa.SmallInteger),
        sa.column("category", sa.String),
        sa.column("also_satisfied_by", sa.ARRAY(sa.String)),
        sa.column("label", sa.String),
        sa.column("position", sa.SmallInteger),
    )
    op.bulk_insert(
        requirements,
        [
            {
                "tier_minutes": tier,
                "category": category,
                "also_satisfied_by": also,
                "label": label,
                "position": index,
            }
            for index, (tier, category, also, label) in enumerate(REQUIREMENTS)
        ],
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION facility_is_open(bigint, timestamptz)")
    op.drop_index(op.f("ix_facility_services_service_id"), table_name="facility_services")
    op.drop_table("facility_services")
    op.drop_index(op.f("ix_facility_opening_hours_facility_id"), table_name="facility_opening_hours")
    op.drop_table("facility_opening_hours")
    op.drop_table("facility_hours_exceptions")
    op.drop_table("services")
    op.drop_table("life_circle_requirements")
    op.drop_table("facilities")
