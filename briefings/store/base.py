"""The store's shared core: one engine and session factory per process, the write lock, and the clock.

Each concern (feeds, articles, search, partners, digests, events, ...) is a mixin over :class:`StoreBase`;
:class:`briefings.store.repo.Store` composes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from sqlalchemy import Table

from briefings.store import models as m
from briefings.store.db import make_engine, sessionmaker, upgrade

URL_MAX = 2048  # the URL columns' length


def utcnow() -> datetime:
    return datetime.now(UTC)


def table(model: type[m.Base]) -> Table:
    """A mapped class's Core table, typed as one (``__table__`` is declared as a plain FromClause)."""
    t = model.__table__
    assert isinstance(t, Table)
    return t


class Queued(Protocol):
    """A call waiting in a :class:`GroupCommit` queue: its caller awaits ``future``."""

    future: asyncio.Future[Any]


def dialect_insert(dialect: str, target: Any) -> Any:
    """INSERT with ON CONFLICT for the database in use. Each dialect is imported where used: loading
    PostgreSQL's into a SQLite process costs ~1 MB of RSS."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(target)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(target)


def settle(future: asyncio.Future[Any], value: Any = None, error: BaseException | None = None) -> None:
    """Give a queued call its result or its exception (nothing if its caller was cancelled meanwhile)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class GroupCommit:
    """Group commit: calls queued while a flush runs are written together in the next round.

    One task drains the queue; it is kept, because the loop holds a task only weakly (an unreferenced flush
    could be garbage-collected mid-flight, its callers waiting forever), and :meth:`StoreBase.close` awaits it.
    ``run`` writes a batch and settles each call's future; ``take`` picks the next batch off the queue (all of it
    by default). If the flush dies (cancelled with the loop), every call still waiting hears it.
    """

    def __init__(self, run: Callable[[list[Any]], Awaitable[None]],
                 take: Callable[[list[Any]], list[Any]] | None = None):
        self._run = run
        self._take = take or _take_all
        self.queue: list[Any] = []
        self.task: asyncio.Future[None] | None = None

    async def submit(self, call: Queued) -> Any:
        self.queue.append(call)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._flush())
        return await call.future

    async def _flush(self) -> None:
        batch: list[Any] = []
        try:
            while self.queue:
                batch = self._take(self.queue)
                await self._run(batch)
        except BaseException:
            for call in batch + self.queue:
                settle(call.future, error=RuntimeError("the store closed before this write ran"))
            self.queue.clear()
            raise

    async def wait(self) -> None:
        """Until the queued calls are written (close() waits for this)."""
        task, self.task = self.task, None
        if task is not None and not task.done():
            await task


def _take_all(queue: list[Any]) -> list[Any]:
    batch = queue[:]
    queue.clear()
    return batch


class StoreBase:
    """Engine, session factory and locks shared by every part of the store."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine)
        # Saving decides duplicates and clusters by reading what is stored, so saves are serialised: in this
        # process by a lock, across processes (replicas on PostgreSQL) by a transaction-scoped advisory lock.
        self._save_lock = asyncio.Lock()  # also taken by every other write: SQLite has one writer at a time
        # article saves, and digest-ledger writes, each written by group commit (articles.py, digests.py)
        self._saves = GroupCommit(self._save_round, self._next_save_batch)
        self._ledger_writes = GroupCommit(self._ledger_round)
        # group commits get a connection of their own, so a burst of reads never queues the ledger writes
        self._group_engine = make_engine(url, pool_size=1, max_overflow=0)

    # written by the mixins (articles.py, digests.py)
    async def _save_round(self, batch: list[Any]) -> None:
        raise NotImplementedError

    def _next_save_batch(self, queue: list[Any]) -> list[Any]:
        raise NotImplementedError

    async def _ledger_round(self, batch: list[Any]) -> None:
        raise NotImplementedError

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Self:
        store = cls(url)
        if migrate:
            await upgrade(store.engine)
        return store

    async def close(self) -> None:
        await self._saves.wait()  # queued saves and ledger writes commit before the engines go
        await self._ledger_writes.wait()
        await self.engine.dispose()
        await self._group_engine.dispose()
