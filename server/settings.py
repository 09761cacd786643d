"""Configuration from the environment (12-factor). Production refuses the development secret."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "linli-development-secret-change-me-0123456789"
DEFAULT_DATABASE_URL = "postgresql+asyncpg://linli:linli@127.0.0.1:5432/linli"


def normalize_database_url(url: str) -> str:
    """Accept postgresql://, postgres:// and postgresql+asyncpg:// and return the asyncpg form."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL 必须以 postgresql:// 或 postgresql+asyncpg:// 开头，收到：{url!r}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINLI_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_statement_timeout_ms: int = 15_000

    jwt_secret: str = DEVELOPMENT_SECRET
    # PEM public key of an outside identity provider; when set, tokens are verified with RS256.
    jwt_public_key: str | None = None
    jwt_issuer: str = "linli"
    jwt_audience: str = "linli-api"
    token_ttl_seconds: int = 7 * 24 * 3600

    graphiql: bool | None = None  # default: on outside production
    introspection: bool | None = None  # default: on outside production

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 64 * 1024
    max_page_size: int = 100

    # Browsers: the web origins allowed to call the API (CORS; none by default: the apps are
    # native and the kiosk is same-origin), and HSTS seconds when served behind TLS (0: off).
    cors_origins: list[str] = Field(default_factory=list)
    hsts_seconds: int = 0

    # Walking minutes = ceil(straight-line metres × detour ÷ pace), until a street network is loaded.
    walking_pace_adult_m_per_min: float = 60.0  # the planning convention: 15 min ≈ 900 m
    walking_pace_elderly_m_per_min: float = 48.0  # older pedestrians: about 0.8–0.9 m/s
    walking_detour_factor: float = 1.2  # network ÷ straight line (Newell)

    # Periodic jobs (no-show release, …) in this process; one replica at a time runs them.
    jobs_enabled: bool = True

    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @model_validator(mode="after")
    def _production_is_strict(self) -> "Settings":
        if self.env == "production":
            if self.jwt_public_key is None and (
                self.jwt_secret == DEVELOPMENT_SECRET or len(self.jwt_secret) < 32
            ):
                raise ValueError("生产环境必须配置 LINLI_JWT_SECRET（至少 32 个字符，且不能是开发密钥）")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_production) if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return (not self.is_production) if self.introspection is None else self.introspection


@lru_cache
def get_settings() -> Settings:
    return Settings()
