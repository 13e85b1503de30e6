"""What the Slack front shares: settings, the store, the fetcher, the Web API client, background work.

Slow work never runs inside a Bolt listener: the listener acks, then hands a coroutine to
:meth:`Runtime.spawn`, which tracks it so a SIGTERM can let in-flight work finish before the process exits.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time

import aiohttp
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_sdk.http_retry.builtin_async_handlers import (AsyncConnectionErrorRetryHandler,
                                                          AsyncRateLimitErrorRetryHandler,
                                                          AsyncServerErrorRetryHandler)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from briefings.intake.fetch import Fetcher
from briefings.store.repo import Store

if TYPE_CHECKING:
    from bot.digests.scheduler import DigestScheduler

log = logging.getLogger("launchbrief.bot")


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    """429: wait exactly what Retry-After says plus a little jitter (slack_sdk's own adds up to a whole
    second to every wait, which on a 429 storm costs more than the limit itself)."""

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        if response is None:
            raise error if error is not None else RuntimeError("retry without a response or an error")
        state.next_attempt_requested = True
        value = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            seconds = float(value[0] if isinstance(value, list) else value) if value is not None else 1.0
        except (TypeError, ValueError):
            seconds = 1.0
        await asyncio.sleep(min(max(seconds, 0.0), 120.0) + random.uniform(0, 0.1))
        state.increment_current_attempt()


def make_client(settings: Settings) -> AsyncWebClient:
    """Web API client pointed at ``SLACK_API_URL``, retrying 429 (Retry-After), 5xx and connection errors.

    One shared aiohttp session (kept-alive connections): without it slack_sdk opens a new session, and a new
    connection, for every call. Call from inside the running event loop.
    """
    base = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    from bot.observability import MeteredWebClient  # counts Slack API errors by method and error code

    return MeteredWebClient(
        token=settings.slack_bot_token, base_url=base, timeout=30, session=session,
        retry_handlers=[RetryAfterHandler(max_retry_count=5),
                        AsyncServerErrorRetryHandler(max_retry_count=3),
                        AsyncConnectionErrorRetryHandler(max_retry_count=2)])


@dataclass
class Runtime:
    settings: Settings
    store: Store
    fetcher: Fetcher
    client: AsyncWebClient
    tasks: set[asyncio.Task] = field(default_factory=set)
    closing: bool = False
    # Analysis is CPU-bound and runs in a worker thread; one at a time keeps the event loop (and so every
    # ack) from fighting several threads for the GIL. Throughput is the same: the GIL allows one anyway.
    analysis_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    scheduler: DigestScheduler | None = None  # set by DigestScheduler itself, once created
    _recent: dict[str, float] = field(default_factory=dict)  # request ids seen by this process -> when

    def first_sight(self, key: str, window: float = 600.0) -> bool:
        """True the first time this process sees ``key`` within ``window`` seconds (Slack signs a request for
        5 minutes). In memory, so it costs nothing before an ack; :meth:`claim_once` covers other replicas."""
        now = time.monotonic()
        if len(self._recent) > 10_000:
            self._recent = {k: t for k, t in self._recent.items() if now - t < window}
        seen = self._recent.get(key)
        if seen is not None and now - seen < window:
            return False
        self._recent[key] = now
        return True

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        store = await Store.open(settings.database_url)  # applies migrations on start
        return cls(settings, store, Fetcher(settings), make_client(settings))

    def spawn(self, coro: Awaitable, name: str = "work") -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background %s failed", name, exc_info=t.exception())

        task.add_done_callback(done)
        return task

    async def drain(self, timeout: float = 25.0) -> None:
        """Let in-flight work finish (bounded), then cancel what is left."""
        self.closing = True
        pending = set(self.tasks)
        if pending:
            log.info("waiting for %d in-flight tasks", len(pending))
            _, still = await asyncio.wait(pending, timeout=timeout)
            for t in still:
                t.cancel()

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        await self.drain()
        await self.fetcher.aclose()
        await self.store.close()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()

    async def claim_once(self, key: str) -> bool:
        """True the first time ``key`` (an event_id, ``command:<trigger_id>``) is seen. Keys of any length fit
        the store's column: a long one is kept as its SHA-256."""
        if len(key) > 64:
            key = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return await self.store.claim_event(key)

    def is_admin(self, user_id: str | None) -> bool:
        admins = {u.strip() for u in (self.settings.admins or "").split(",") if u.strip()}
        return bool(user_id) and user_id in admins
