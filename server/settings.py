"""Configuration from the environment (12-factor). Production refuses the development secret."""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
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
    # Connections kept open, none beyond: an overflow connection is closed as it comes back, so at
    # 64 concurrent requests a pool of 10 + 10 opened a PostgreSQL backend for every other request
    # (./bench/compare W1-c64: 489 req/s, p99 571 ms; 20 + 0: 1005 req/s, p99 169 ms).
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_statement_timeout_ms: int = 5_000  # an API answer; the slowest query we know takes ~50 ms
    # While the database is away a request fails fast (SERVICE_UNAVAILABLE) instead of hanging.
    db_connect_timeout_seconds: float = 5.0
    db_pool_timeout_seconds: float = 5.0  # waiting for a pooled connection to come free
    # A database that stops answering (frozen, partitioned) is not bounded by statement_timeout,
    # which the server itself enforces: the client gives up this long after (default: 1 s later).
    db_command_timeout_seconds: float | None = None
    # SIGTERM: requests in flight get this long to finish (under Kubernetes' default grace of 30 s).
    shutdown_grace_seconds: int = 25

    jwt_secret: str = DEVELOPMENT_SECRET
    # PEM public key of an outside identity provider; when set, tokens are verified with RS256.
    jwt_public_key: str | None = None
    jwt_issuer: str = "linli"
    jwt_audience: str = "linli-api"
    # Tokens `linli token` issues (device gateways, scripts): revocable like any session.
    token_ttl_seconds: int = 7 * 24 * 3600
    # `login`: a short-lived access token and a rotating refresh token for its session.
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    password_reset_ttl_seconds: int = 24 * 3600

    graphiql: bool | None = None  # default: on outside production
    introspection: bool | None = None  # default: on outside production

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 64 * 1024
    max_page_size: int = 100
    # A field costs 1; a connection costs `first` × its selection; other lists `list_cost_factor` ×.
    max_query_cost: int = 10_000
    list_cost_factor: int = 10
    # Automatic persisted queries: the documents each process remembers by hash (0: APQ off).
    apq_cache_size: int = Field(default=1000, ge=0)
    # A manifest of trusted documents (SHA-256 → text, read and checked at start): only they run.
    trusted_documents: Path | None = None
    _trusted_manifest: dict[str, str] | None = PrivateAttr(default=None)

    # Abuse limits, counted in the database (shared by every replica) over fixed windows.
    login_attempts_per_phone: int = 10  # per login window: password guessing on one account
    login_attempts_per_ip: int = 50
    login_window_seconds: int = 900
    code_attempts_per_person: int = 10  # pick-up PINs and check-in codes
    code_attempts_per_ip: int = 60
    code_window_seconds: int = 600
    mutations_per_person: int = 120  # per mutation window
    mutations_per_gateway: int = 3000  # device gateways push batches all day
    mutations_per_ip: int = 600
    mutation_window_seconds: int = 60
    # 有事一键找: a resident cannot flood an organisation's queue (every report counts, kept or not).
    case_reports_per_hour: int = 5
    case_reports_per_day: int = 20

    # Retention: raw readings are dropped a month partition at a time once older than this; the
    # health access log is kept at least 6 months (Cybersecurity Law art. 21).
    readings_retention_days: int = 400
    access_log_retention_days: int = 1095

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

    # Queries whose fields all have SQL declared are answered by JSON PostgreSQL builds (#19);
    # off, every query resolves field by field (the differential test compares the two).
    compiled_reads: bool = True
    # Variables of an operation seen before are coerced by a function compiled for it (#19); any
    # input it does not accept goes to graphql-core's generic coercion, errors and all.
    compiled_variables: bool = True

    # /metrics labels requests by these operation names only (trusted documents' names): any other
    # name, being the client's choice, would add series without bound.
    metrics_operations: list[str] = Field(default_factory=list)
    # When set, /metrics needs `Authorization: Bearer <token>`; unset, production does not serve it.
    metrics_token: str | None = None

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("access_log_retention_days")
    @classmethod
    def _access_log_kept_six_months(cls, value: int) -> int:
        if value < 183:
            raise ValueError("健康数据访问日志至少保留 6 个月（183 天）")
        return value

    @model_validator(mode="after")
    def _production_is_strict(self) -> "Settings":
        if self.env == "production":
            if self.jwt_public_key is None and (
                self.jwt_secret == DEVELOPMENT_SECRET or len(self.jwt_secret) < 32
            ):
                raise ValueError("生产环境必须配置 LINLI_JWT_SECRET（至少 32 个字符，且不能是开发密钥）")
        return self

    @model_validator(mode="after")
    def _load_trusted_documents(self) -> "Settings":
        # Loaded here so that a wrong file is a configuration error at start, like any other.
        if self.trusted_documents is not None:
            from server.persisted import load_manifest

            self._trusted_manifest = load_manifest(self.trusted_documents)
        return self

    @property
    def command_timeout_seconds(self) -> float:
        if self.db_command_timeout_seconds is not None:
            return self.db_command_timeout_seconds
        return self.db_statement_timeout_ms / 1000 + 1

    @property
    def password_reset_timedelta(self) -> timedelta:
        return timedelta(seconds=self.password_reset_ttl_seconds)

    @property
    def longest_token_seconds(self) -> int:
        """The longest any token lives: revocations older than this need not be remembered."""
        return max(self.token_ttl_seconds, self.access_token_ttl_seconds)

    @property
    def trusted_manifest(self) -> dict[str, str] | None:
        """SHA-256 hex → document text of LINLI_TRUSTED_DOCUMENTS; None when any document may run."""
        return self._trusted_manifest

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
