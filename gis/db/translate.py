"""The database boundary: driver and pool errors turned into domain errors.

Routes never see ``sqlalchemy``/``psycopg`` exceptions for conditions a person can act on:
a server that is down or restarting, a pool with no free connection, a statement or lock
wait cut off by its time limit, or text PostgreSQL cannot store (U+0000)."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg
from sqlalchemy import exc as sa

from gis.core.errors import DatabaseBusy, DatabaseUnavailable, GpmbError, InvalidText

NUL_MESSAGE_VI = InvalidText.message_vi


def nul_refused(where: str) -> InvalidText:
    """The refusal of a text holding U+0000 (PostgreSQL cannot store it)."""
    return InvalidText(f"U+0000 in {where}", reason="nul_character", field=where)


def translate(exc: BaseException) -> GpmbError | None:
    """The domain error for a database failure, or None when it is a genuine bug."""
    if isinstance(exc, sa.TimeoutError):  # QueuePool limit reached, no connection freed
        return DatabaseBusy("connection pool exhausted", reason="pool_exhausted")
    orig = exc.orig if isinstance(exc, sa.DBAPIError) else exc
    if isinstance(orig, pg.QueryCanceled | pg.LockNotAvailable):
        return DatabaseBusy(f"{type(orig).__name__}: {orig}".strip(),
                            reason="statement_timeout" if isinstance(orig, pg.QueryCanceled)
                            else "lock_timeout")
    if isinstance(orig, psycopg.DataError) and "NUL" in str(orig):
        return nul_refused("text")
    if isinstance(orig, pg.AdminShutdown | pg.CannotConnectNow | pg.CrashShutdown):
        return DatabaseUnavailable(f"database restarting: {orig}")
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) or (
            isinstance(exc, sa.DBAPIError) and exc.connection_invalidated):
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return DatabaseUnavailable(f"database unreachable: {first}")
    return None
