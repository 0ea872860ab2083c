"""Sessions recently found valid, with their user and scope, kept in memory for the tile
endpoint (a map view asks for dozens of tiles at once; one database check per tile would
cost more than the tile).

An entry is trusted for ``ttl_s`` while this process hears the database's announcements
(``LISTEN gpmb_auth``, revision 0011: a token revoked, an account disabled or its
assignment changed), and only ``fallback_ttl_s`` while it does not. An announcement drops
the user's entries at once, so a signed-out or disabled user stops getting tiles as soon
as the change is committed, whichever process made it (the API, the CLI, another worker).
A check that was running while an announcement arrived is not kept (it may have read the
state before the change).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from gis.access.scope import Scope

log = logging.getLogger(__name__)

CHANNEL = "gpmb_auth"
TTL_S = 15.0
FALLBACK_TTL_S = 2.0
MAX_ENTRIES = 10_000
RETRY_S = 1.0


@dataclass(frozen=True)
class CachedSession:
    """A session found valid at ``checked`` (``time.monotonic``)."""

    user_id: int
    scope: Scope
    checked: float


def token_key(token: str) -> str:
    """What the cache is keyed by (never the token itself)."""
    return hashlib.blake2b(token.encode(), digest_size=16).hexdigest()


class SessionCache:
    """Token key -> the session's user and scope, invalidated by ``gpmb_auth``."""

    def __init__(self, ttl_s: float = TTL_S, fallback_ttl_s: float = FALLBACK_TTL_S) -> None:
        self.ttl_s = ttl_s
        self.fallback_ttl_s = fallback_ttl_s
        self.listening = False  # set by ``listen`` while LISTEN is active
        self.generation = 0  # bumped by every invalidation
        self._entries: dict[str, CachedSession] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> CachedSession | None:
        """The cached session, if it was checked recently enough."""
        entry = self._entries.get(token_key(token))
        ttl = self.ttl_s if self.listening else self.fallback_ttl_s
        if entry is None or time.monotonic() - entry.checked > ttl:
            return None
        return entry

    def put(self, token: str, user_id: int, scope: Scope, generation: int) -> None:
        """Remember a session checked against the database; ``generation`` read before the
        check (a check overtaken by an invalidation is not kept)."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_key(token)] = CachedSession(user_id, scope, time.monotonic())

    def forget_user(self, user_id: int) -> None:
        """Drop every session of ``user_id`` (signed out, disabled, scope changed)."""
        with self._lock:
            self.generation += 1
            for key in [k for k, e in self._entries.items() if e.user_id == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def cache_of(holder: Any) -> SessionCache:
    """The session cache kept on ``holder`` (the app's state), made on first use."""
    cache: SessionCache | None = getattr(holder, "session_cache", None)
    if cache is None:
        cache = holder.session_cache = SessionCache()
    return cache


def _user_id(payload: str) -> int | None:
    try:
        return int(payload)
    except ValueError:
        return None


async def listen(conninfo: Callable[[], str], cache: SessionCache, *,
                 retry_s: float = RETRY_S) -> None:
    """Apply ``gpmb_auth`` announcements to ``cache`` until cancelled, reconnecting after
    any failure (the cache is cleared then: announcements may have been missed).
    ``conninfo`` is asked again at each connection (the database may have moved)."""
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(
                conninfo(), autocommit=True, application_name="gpmb-auth-listener")
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                cache.clear()  # anything cached before LISTEN may be stale
                cache.listening = True
                async for note in conn.notifies():
                    user_id = _user_id(note.payload)
                    if user_id is None:
                        cache.clear()
                    else:
                        cache.forget_user(user_id)
        except asyncio.CancelledError:
            cache.listening = False
            raise
        except Exception as exc:  # any failure: fall back to the short TTL and retry
            log.warning("session announcements unavailable (%s); retrying", exc)
        cache.listening = False
        cache.clear()
        await asyncio.sleep(retry_s)


@contextlib.asynccontextmanager
async def listening(conninfo: Callable[[], str], cache: SessionCache
                    ) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``listen`` in the background for the duration of the block."""
    task = asyncio.create_task(listen(conninfo, cache))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
