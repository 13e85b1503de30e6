"""The store's shared core: one engine and session factory per process, the write lock, and the clock.

Each concern (feeds, articles, search, partners, digests, events, ...) is a mixin over :class:`StoreBase`;
:class:`briefings.store.repo.Store` composes them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Self

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


class StoreBase:
    """Engine, session factory and locks shared by every part of the store."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine)
        # Saving decides duplicates and clusters by reading what is stored, so saves are serialised: in this
        # process by a lock, across processes (replicas on PostgreSQL) by a transaction-scoped advisory lock.
        self._save_lock = asyncio.Lock()  # also taken by every other write: SQLite has one writer at a time
        self._save_queue: list[Any] = []  # article saves waiting for the next shared transaction
        self._save_task: asyncio.Future[None] | None = None  # the running save flush, if any
        self._group_queue: list[Any] = []
        self._group_running = False
        self._group_task: asyncio.Future[None] | None = None  # the running group-commit flush, if any
        # group commits get a connection of their own, so a burst of reads never queues the ledger writes
        self._group_engine = make_engine(url, pool_size=1, max_overflow=0)

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
        for task in (self._save_task, self._group_task):
            if task is not None and not task.done():  # let queued saves and ledger writes commit first
                await task
        self._save_task = self._group_task = None
        await self.engine.dispose()
        await self._group_engine.dispose()
