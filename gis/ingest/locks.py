"""Guards of a parcel import's transaction: one import per survey at a time, and nothing
left running in PostgreSQL when whoever asked for it is gone.

- The survey's import lock is a transaction-level advisory lock: it ends with the
  transaction, so a rollback, a commit or a dead connection releases it; a second import
  of the same survey waits at most :data:`LOCK_WAIT_S` and is then refused (Conflict),
  never left waiting for ever.
- ``client_connection_check_interval``: PostgreSQL checks every :data:`CLIENT_CHECK_S`
  while a statement runs that its client is still connected, and cancels the statement
  otherwise (a server or CLI killed with ``kill -9`` does not leave its INSERT running,
  holding the lock).
- ``statement_timeout``: no single statement of an import runs longer than
  :data:`STATEMENT_TIMEOUT_S`.
- :func:`run_unless_abandoned`: a confirm asked over HTTP is cancelled in PostgreSQL
  (``pg_cancel_backend`` through the driver) as soon as its client disconnects.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.core.errors import Conflict

LOCK_WAIT_S = 15
STATEMENT_TIMEOUT_S = 300
CLIENT_CHECK_S = 2
IDLE_S = 1800
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
T = TypeVar("T")
LOG = logging.getLogger("gpmb.import")


def guard_import(session: Session) -> None:
    """Statement timeout and client-connection checks for the rest of the transaction, and
    room for the reading and validation done between its statements (the web app's
    connections end a transaction idle for 5 minutes; a large file under load can take
    that long)."""
    session.execute(text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_S}s'"))
    session.execute(text(f"SET LOCAL client_connection_check_interval = '{CLIENT_CHECK_S}s'"))
    session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = '{IDLE_S}s'"))


def lock_survey_import(session: Session, survey: str) -> None:
    """Take the survey's import lock for the rest of the transaction (re-entrant), waiting
    at most :data:`LOCK_WAIT_S`; refused with a Conflict when another import holds it."""
    guard_import(session)
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'"))
    try:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('gpmb-import:' || :n))"),
                        {"n": survey})
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise Conflict(f"survey {survey!r} is being imported by someone else",
                       reason="import_running",
                       message_vi="Đợt đo đạc '{survey}' đang được nhập ở nơi khác (chờ "
                       "{wait} giây chưa xong). Chưa ghi gì; hãy thử lại sau ít "
                       "phút.", params={"survey": survey, "wait": LOCK_WAIT_S}) from exc
    session.execute(text("SET LOCAL lock_timeout = '0'"))


class StatementCanceller:
    """The import's database connection, kept so that another thread can cancel the
    statement it runs (the HTTP request behind it was abandoned)."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._guard = threading.Lock()
        self.cancelled = False

    def attach(self, session: Session) -> None:
        """Remember ``session``'s connection (call from the worker, before the work)."""
        with self._guard:
            self._connection = session.connection().connection.driver_connection

    def cancel(self) -> None:
        """Ask PostgreSQL to cancel the running statement (thread-safe)."""
        with self._guard:
            connection = self._connection
        if connection is not None and not self.cancelled:
            self.cancelled = True
            LOG.warning("import abandoned by its client: cancelling its statement in "
                        "PostgreSQL (backend %s)", connection.info.backend_pid)
            getattr(connection, "cancel_safe", connection.cancel)()


async def run_unless_abandoned(work: Callable[[StatementCanceller], T],
                               abandoned: Callable[[], Awaitable[bool]],
                               poll_s: float = 0.5) -> T:
    """Run ``work`` in a worker thread; while it runs, ask ``abandoned`` (e.g. "has the
    client disconnected?") every ``poll_s`` and cancel its statement in PostgreSQL when so.
    Returns (or raises) what ``work`` does."""
    canceller = StatementCanceller()
    future = asyncio.get_running_loop().run_in_executor(None, work, canceller)
    while True:
        done, _ = await asyncio.wait({future}, timeout=poll_s)
        if done:
            return future.result()
        if not canceller.cancelled and await abandoned():
            canceller.cancel()
