"""Facilities of the 15-minute life circle: where they are, when they open, what they offer."""

from datetime import date, datetime
from enum import StrEnum

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import func

from models.base import Base, created_at_column, id_column


class FacilityCategory(StrEnum):
    """GB 50180-2018 appendix B's 5/10/15-minute facilities, plus kiosk, maker space, park, metro, bus."""

    NEIGHBORHOOD_CENTER = "NEIGHBORHOOD_CENTER"  # 邻里中心
    SELF_SERVICE_KIOSK = "SELF_SERVICE_KIOSK"  # 24小时自助服务终端
    METRO_STATION = "METRO_STATION"  # 轨道交通站点
    BUS_STOP = "BUS_STOP"  # 公交车站
    HEALTH_CENTER = "HEALTH_CENTER"  # 社区卫生服务中心
    HEALTH_STATION = "HEALTH_STATION"  # 社区卫生服务站
    CHILDCARE = "CHILDCARE"  # 托儿所/托育
    KINDERGARTEN = "KINDERGARTEN"  # 幼儿园
    ELDER_DAY_CARE = "ELDER_DAY_CARE"  # 老年人日间照料中心
    FRESH_MARKET = "FRESH_MARKET"  # 菜市场或生鲜超市
    PARK = "PARK"  # 公园
    MAKER_SPACE = "MAKER_SPACE"  # 创客空间
    MIDDLE_SCHOOL = "MIDDLE_SCHOOL"  # 初中
    PRIMARY_SCHOOL = "PRIMARY_SCHOOL"  # 小学
    SPORTS_CENTER = "SPORTS_CENTER"  # 体育馆/全民健身中心
    SPORTS_GROUND = "SPORTS_GROUND"  # 中型多功能运动场地
    OUTDOOR_FITNESS = "OUTDOOR_FITNESS"  # 室外综合健身场地
    NURSING_HOME = "NURSING_HOME"  # 养老院
    CULTURAL_CENTER = "CULTURAL_CENTER"  # 文化活动中心
    CULTURAL_STATION = "CULTURAL_STATION"  # 文化活动站
    SUBDISTRICT_SERVICE_CENTER = "SUBDISTRICT_SERVICE_CENTER"  # 街道级社区服务中心
    SUBDISTRICT_OFFICE = "SUBDISTRICT_OFFICE"  # 街道办事处
    COMMUNITY_SERVICE_STATION = "COMMUNITY_SERVICE_STATION"  # 社区服务站（居委会）
    COMMUNITY_CANTEEN = "COMMUNITY_CANTEEN"  # 社区食堂
    POLICE_STATION = "POLICE_STATION"  # 派出所
    SHOPPING_MALL = "SHOPPING_MALL"  # 商场
    POST_OFFICE = "POST_OFFICE"  # 邮政营业场所
    BANK = "BANK"  # 银行
    RESTAURANT = "RESTAURANT"  # 餐饮设施
    SUPERMARKET = "SUPERMARKET"  # 超市/便利店
    PHARMACY = "PHARMACY"  # 药店
    PUBLIC_TOILET = "PUBLIC_TOILET"  # 公共厕所


CATEGORY_VALUES = ", ".join(f"'{category.value}'" for category in FacilityCategory)
MINUTES_PER_DAY = 1440


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    location = mapped_column(Geography("POINT", srid=4326, spatial_index=False), nullable=False)
    # WGS-84 coordinates as plain numbers, kept by Postgres in step with `location`.
    lat: Mapped[float] = mapped_column(Float, Computed("ST_Y(location::geometry)", persisted=True))
    lng: Mapped[float] = mapped_column(Float, Computed("ST_X(location::geometry)", persisted=True))
    accessibility: Mapped[str | None] = mapped_column(Text)
    # Demo and benchmark data say so; surveyed data sets it false.
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=True)
    # The natural key of rows a seed loads, so loading again updates them (IDs stay stable).
    seed_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The community whose office runs it (COMMUNITY_ADMIN); null: the subdistrict's (ADMIN only).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    # Closed for good: the row stays (history, audit, links), search and the life circle skip it.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # Where an import found it: (source, source_id) is unique, so importing again updates the row.
    source: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(f"category IN ({CATEGORY_VALUES})", name="category_known"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        CheckConstraint(
            "(closed_at IS NULL AND closed_reason IS NULL) OR "
            "(closed_at IS NOT NULL AND length(btrim(closed_reason)) BETWEEN 1 AND 200)",
            name="closed_with_reason",
        ),
        CheckConstraint(
            "(source IS NULL AND source_id IS NULL) OR "
            "(length(btrim(source)) > 0 AND length(btrim(source_id)) > 0)",
            name="source_key_whole",
        ),
        UniqueConstraint("source", "source_id"),
        Index("ix_facilities_location", "location", postgresql_using="gist"),
        # btree_gist: the nearest facility of a category walks one index.
        Index("ix_facilities_category_location", "category", "location", postgresql_using="gist"),
        Index(
            "ix_facilities_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        ),
        Index(
            "ix_facilities_address_trgm",
            "address",
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        ),
    )


class Service(Base):
    """A service people come for (医保参保登记, 社保卡申领 …), offered by one or more facilities."""

    __tablename__ = "services"

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    __table_args__ = (
        CheckConstraint("code ~ '^[A-Z][A-Z0-9_]*$'", name="code_upper_snake"),
        Index(
            "ix_services_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        ),
    )


class FacilityService(Base):
    __tablename__ = "facility_services"

    facility_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OpeningPeriod(Base):
    """One weekly period in Asia/Shanghai minutes of the day; a close past 1440 ends the next day."""

    __tablename__ = "facility_opening_hours"

    id: Mapped[int] = id_column()
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # ISO: 1 = Monday … 7 = Sunday
    open_minute: Mapped[int] = mapped_column(SmallInteger)
    close_minute: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("open_minute BETWEEN 0 AND 1439", name="open_within_day"),
        CheckConstraint(
            "close_minute > open_minute AND close_minute <= open_minute + 1440", name="close_after_open"
        ),
    )


class HoursException(Base):
    """A dated exception (holiday): its periods replace the weekly ones that day; none = closed."""

    __tablename__ = "facility_hours_exceptions"

    id: Mapped[int] = id_column()
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    open_minute: Mapped[int | None] = mapped_column(SmallInteger)
    close_minute: Mapped[int | None] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(Text)  # 国庆节, 台风停业 …

    __table_args__ = (
        CheckConstraint(
            "(open_minute IS NULL AND close_minute IS NULL) OR (open_minute BETWEEN 0 AND 1439 "
            "AND close_minute > open_minute AND close_minute <= open_minute + 1440)",
            name="closed_or_period",
        ),
        CheckConstraint("reason IS NULL OR length(reason) <= 200", name="reason_short"),
        Index("ix_facility_hours_exceptions_facility_day", "facility_id", "day"),
    )


class LifeCircleRequirement(Base):
    """What each life-circle tier should offer (GB 50180-2018 appendix B), as data a community can edit."""

    __tablename__ = "life_circle_requirements"

    id: Mapped[int] = id_column()
    tier_minutes: Mapped[int] = mapped_column(SmallInteger)
    category: Mapped[str] = mapped_column(String(40))
    # Other categories that also meet it (e.g. a pharmacy for 社区商业网点（超市/药店）).
    also_satisfied_by: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)

    __table_args__ = (
        UniqueConstraint("tier_minutes", "category", name="uq_life_circle_requirements_tier_category"),
        CheckConstraint("tier_minutes > 0", name="tier_positive"),
        CheckConstraint(f"category IN ({CATEGORY_VALUES})", name="category_known"),
    )
