"""One engine per process, pointing at the embedded cluster or ``DATABASE_URL``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gis.db.cluster import EmbeddedCluster
from gis.errors import ConfigurationError, DatabaseUnavailable
from gis.settings import Settings


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` / ``postgres://`` URLs and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("postgresql+psycopg://"):
        return url
    raise ConfigurationError(
        "DATABASE_URL must start with postgresql:// (e.g. postgresql://user:pass@host:5432/gpmb)",
        message_vi="DATABASE_URL phải có dạng postgresql://người_dùng:mật_khẩu@máy:5432/gpmb",
    )


def redact(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def cluster_for(settings: Settings) -> EmbeddedCluster:
    """The embedded cluster described by ``settings``."""
    return EmbeddedCluster(
        settings.data_dir,
        preferred_port=settings.db_port,
        bin_dir=settings.pg_bin_dir,
        os_user=settings.db_os_user,
        durable=settings.db_durable,
    )


def make_engine(url: str, settings: Settings) -> Engine:
    """Create the process's engine (pooled, pre-pinged, with a connect timeout)."""
    engine = create_engine(
        normalise_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "application_name": "gpmb",
        },
    )

    @event.listens_for(engine, "connect")
    def _session_defaults(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")
        dbapi_conn.commit()

    return engine


def check_connection(engine: Engine) -> None:
    """Fail fast, with a clear message and no traceback, when the server is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot connect to {redact(engine.url.render_as_string(hide_password=False))}: "
            f"{reason}"
        ) from None


@dataclass
class Database:
    """The database a process works with; starts (and later stops) the embedded cluster."""

    settings: Settings
    url: str = ""
    engine: Engine | None = None
    started_cluster: bool = False
    cluster: EmbeddedCluster | None = field(default=None, repr=False)

    def open(self) -> Engine:
        """Start the embedded cluster when needed, connect and return the engine."""
        if self.settings.uses_embedded_db:
            self.cluster = cluster_for(self.settings)
            self.url, self.started_cluster = self.cluster.ensure_running()
        else:
            assert self.settings.database_url is not None
            self.url = normalise_url(self.settings.database_url)
        self.engine = make_engine(self.url, self.settings)
        check_connection(self.engine)
        return self.engine

    def close(self, *, stop_cluster: bool | None = None) -> None:
        """Dispose the engine; stop the cluster if this process started it."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        stop = self.started_cluster if stop_cluster is None else stop_cluster
        if stop and self.cluster is not None:
            self.cluster.stop()


@contextmanager
def open_database(settings: Settings, *, keep_running: bool = True) -> Iterator[Engine]:
    """Engine for a CLI command; the embedded cluster stays up unless keep_running=False."""
    db = Database(settings)
    try:
        yield db.open()
    finally:
        db.close(stop_cluster=False if keep_running else None)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (responses read them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)
