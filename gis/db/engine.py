"""One engine per process, pointing at the embedded cluster or ``DATABASE_URL``."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gis.core.errors import ConfigurationError, DatabaseUnavailable
from gis.core.settings import Settings
from gis.db.cluster import EmbeddedCluster

log = logging.getLogger(__name__)


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


def make_engine(url: str, settings: Settings, *, serving: bool = False,
                port_of: Callable[[], int | None] | None = None) -> Engine:
    """Create the process's engine (pooled, pre-pinged, with a connect timeout).

    ``serving``: the web app's engine. A request waits at most ``db_pool_timeout_s`` for a
    connection (then it is shed with a 503, never left to stall), and every statement and
    lock wait has a server-side limit. ``port_of``: where the embedded cluster listens now,
    asked at each new connection, so the app reconnects by itself after a restart even if
    the port had to change."""
    connect_args: dict[str, object] = {
        "connect_timeout": settings.db_connect_timeout_s,
        "application_name": "gpmb",
    }
    if serving:
        connect_args["options"] = server_limits(settings)
    engine = create_engine(
        normalise_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_s if serving else 30.0,
        pool_pre_ping=True,
        connect_args=connect_args,
    )

    @event.listens_for(engine, "connect")
    def _session_defaults(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")
        dbapi_conn.commit()

    if port_of is not None:
        @event.listens_for(engine, "do_connect")
        def _current_port(_dialect, _record, _cargs, cparams):  # type: ignore[no-untyped-def]
            port = port_of()
            if port is not None:
                cparams["port"] = port

    return engine


def driver_conninfo(engine: Engine, port_of: Callable[[], int | None] | None = None) -> str:
    """The engine's URL for a plain psycopg connection, at the embedded cluster's current
    port when ``port_of`` says it (it may have moved)."""
    url = engine.url.set(drivername="postgresql")
    port = port_of() if port_of is not None else None
    if port is not None:
        url = url.set(port=port)
    return url.render_as_string(hide_password=False)


def server_limits(settings: Settings) -> str:
    """libpq ``options`` setting the web app's statement and lock time limits."""
    return (f"-c statement_timeout={settings.db_statement_timeout_s * 1000} "
            f"-c lock_timeout={settings.db_lock_timeout_s * 1000} "
            "-c idle_in_transaction_session_timeout=300000")


def forbid_event_loop_checkout(engine: Engine, *, strict: bool) -> None:
    """Guard: a connection taken on the thread running the app's event loop blocks every
    request of the process while it waits. Logged in production; raised in tests
    (``strict``). Only threads registered by :func:`serving_loop` count: other event loops
    in the process (a test's Playwright driver, say) are not the app's."""
    if engine in _GUARDED:
        return
    _GUARDED.add(engine)

    @event.listens_for(engine, "checkout")
    def _not_on_loop(_dbapi_conn, _record, _proxy):  # type: ignore[no-untyped-def]
        if threading.get_ident() not in _LOOP_THREADS:
            return  # a worker thread (or not the app's loop): fine
        if strict:
            raise BlockingCallOnEventLoop(
                "a database connection was checked out on the event loop thread")
        log.error("database connection checked out on the event loop thread",
                  stack_info=True)


_GUARDED: weakref.WeakSet[Engine] = weakref.WeakSet()
_LOOP_THREADS: set[int] = set()


@contextmanager
def serving_loop() -> Iterator[None]:
    """Mark the calling thread as one running the app's event loop, while it serves (the
    app's lifespan enters this)."""
    ident = threading.get_ident()
    _LOOP_THREADS.add(ident)
    try:
        yield
    finally:
        _LOOP_THREADS.discard(ident)


class BlockingCallOnEventLoop(RuntimeError):
    """A synchronous database call was made from a coroutine (a bug, caught in tests)."""


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

    def open(self, *, serving: bool = False) -> Engine:
        """Start the embedded cluster when needed, connect and return the engine."""
        port_of = None
        if self.settings.uses_embedded_db:
            self.cluster = cluster_for(self.settings)
            self.url, self.started_cluster = self.cluster.ensure_running()
            port_of = self.cluster.current_port
        else:
            assert self.settings.database_url is not None
            self.url = normalise_url(self.settings.database_url)
        self.engine = make_engine(self.url, self.settings, serving=serving, port_of=port_of)
        check_connection(self.engine)
        return self.engine

    def reopen(self, *, serving: bool) -> Engine:
        """Replace the engine by one built for ``serving`` (after set-up work such as the
        demo load, which must not run under the web app's statement limits)."""
        if self.engine is not None:
            self.engine.dispose()
        port_of = self.cluster.current_port if self.cluster is not None else None
        self.engine = make_engine(self.url, self.settings, serving=serving, port_of=port_of)
        return self.engine

    @property
    def port_of(self) -> Callable[[], int | None] | None:
        """The embedded cluster's current port, if GPMB runs its own cluster."""
        return self.cluster.current_port if self.cluster is not None else None

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
