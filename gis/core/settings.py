"""Settings, by concern, from the environment (prefix ``GPMB_``) plus ``DATABASE_URL``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "var"


class Settings(BaseSettings):
    """Everything GPMB reads from its environment, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="GPMB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"

    # -- database ----------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "GPMB_DATABASE_URL"),
        description="postgresql://… of an existing server; unset = embedded cluster",
    )
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="runtime state (gitignored)")
    db_port: int = Field(default=54329, ge=1024, le=65535, description="preferred local port")
    pg_bin_dir: Path | None = Field(default=None, description="PostgreSQL server binaries")
    db_os_user: str = Field(default="postgres", description="runs the server when we are root")
    db_connect_timeout_s: int = Field(default=5, ge=1, le=60)
    db_pool_size: int = Field(default=10, ge=1, le=100)
    db_pool_timeout_s: float = Field(
        default=3.0, gt=0, le=60,
        description="how long a request waits for a free connection before a 503")
    db_statement_timeout_s: int = Field(
        default=60, ge=0, le=3600,
        description="server-side limit for one statement of the web app (0 = none)")
    db_lock_timeout_s: int = Field(
        default=10, ge=0, le=600,
        description="server-side limit for waiting on a row or table lock (0 = none)")
    db_durable: bool = Field(default=True, description="fsync on; tests turn it off")

    # -- web ------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str | None = Field(default=None, description="signs sessions; required in prod")
    import_max_mb: int = Field(default=200, ge=1, le=4096, description="largest import upload")
    web_workers: int = Field(
        default=12, ge=2, le=200,
        description="requests worked on at once (threads); more wait, at most queue_wait_s")
    queue_wait_s: float = Field(
        default=2.0, gt=0, le=60,
        description="longest wait for a worker before the request is shed with a 503")
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses of reverse proxies whose X-Forwarded-For/"
        "-Proto headers are believed; empty = none (the peer address is the client)")
    tile_cache_tiles: int = Field(default=4096, ge=0, description="vector tiles kept; 0 = none")

    # -- demo -----------------------------------------------------------------------
    demo_parcels: int = Field(default=5000, ge=100)
    demo_seed: int = 20250331

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.environment == "production":
            if not self.secret_key or len(self.secret_key) < 32:
                raise ValueError(
                    "GPMB_SECRET_KEY must be set (≥ 32 characters) when GPMB_ENVIRONMENT=production"
                )
            if self.database_url is None:
                raise ValueError("DATABASE_URL must point at a managed server in production")
        return self

    @property
    def uses_embedded_db(self) -> bool:
        """True when GPMB runs its own private PostgreSQL cluster under ``data_dir``."""
        return self.database_url is None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
