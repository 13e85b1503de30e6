"""Digest subscriptions, the digest ledger (claimed before posting; written by group commit) and digest rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from briefings.store import models as m
from briefings.store import workspaces
from briefings.store.rows import StoredBrief, stored_brief
from briefings.store.base import table, StoreBase, settle, utcnow

GroupWork = Callable[[AsyncConnection], Awaitable[Any]]


@dataclass
class _LedgerWrite:
    work: GroupWork
    future: asyncio.Future[Any]


class DigestsMixin(StoreBase):
    # ---------------------------------------------------------------- subscriptions
    async def subscriptions(self, team_id: str | None = None) -> list[m.Subscription]:
        async with self.session() as s:
            q = select(m.Subscription).order_by(m.Subscription.id)
            if team_id:
                q = q.where(m.Subscription.team_id == team_id)
            return list((await s.execute(q)).scalars())

    async def upsert_subscription(self, team_id: str, channel_id: str, *, cron: str, timezone: str, text: str,
                                  created_by: str | None = None) -> m.Subscription:
        """Create or reschedule a channel's digest. A new one starts with the last week's stories."""
        async with self._save_lock, self.session() as s, s.begin():
            sub = (await s.execute(select(m.Subscription).where(m.Subscription.team_id == team_id,
                                                                m.Subscription.channel_id == channel_id))
                   ).scalar_one_or_none()
            if sub is None:
                week_ago = utcnow() - timedelta(days=7)
                cursor = (await s.execute(select(func.max(m.Article.id)).where(m.Article.fetched_at < week_ago))
                          ).scalar_one() or 0
                sub = m.Subscription(team_id=team_id, channel_id=channel_id, cron=cron, timezone=timezone,
                                     schedule_text=text, filters=None, post_when_empty=False,
                                     cursor_article_id=cursor, created_by=created_by, created_at=utcnow())
                s.add(sub)
            else:
                sub.cron, sub.timezone, sub.schedule_text, sub.last_error = cron, timezone, text, None
        return sub

    async def update_subscription(self, sub_id: int, **values: Any) -> m.Subscription | None:
        async with self._save_lock, self.session() as s, s.begin():
            sub = await s.get(m.Subscription, sub_id)
            if sub is None:
                return None
            for k, v in values.items():
                setattr(sub, k, v)
        return sub

    async def delete_subscription(self, team_id: str, channel_id: str) -> int | None:
        async with self._save_lock, self.session() as s, s.begin():
            sub = (await s.execute(select(m.Subscription).where(m.Subscription.team_id == team_id,
                                                                m.Subscription.channel_id == channel_id))
                   ).scalar_one_or_none()
            if sub is None:
                return None
            await s.execute(delete(m.DigestLedger).where(m.DigestLedger.subscription_id == sub.id))
            await s.delete(sub)
            return sub.id

    async def subscription(self, team_id: str | None = None, channel_id: str | None = None,
                           sub_id: int | None = None) -> m.Subscription | None:
        async with self.session() as s:
            if sub_id is not None:
                return await s.get(m.Subscription, sub_id)
            q = select(m.Subscription).where(m.Subscription.channel_id == channel_id)
            if team_id:
                q = q.where(m.Subscription.team_id == team_id)
            return (await s.execute(q)).scalars().first()

    async def newest_article_id(self) -> int:
        """The highest article id stored (0 when empty): a digest built before it may be out of date."""
        async with self.session() as s:
            return (await s.execute(select(func.max(m.Article.id)))).scalar() or 0

    # ---------------------------------------------------------------- group commit
    async def _group_commit(self, work: GroupWork) -> Any:
        """Run ``work(conn)`` in a transaction shared with every other call queued meanwhile (group commit).

        Many digests due at once each claim and confirm a ledger row; one transaction per batch instead of
        one per row keeps the fan-out from queueing on the database. Each call still gets its own result,
        or its own exception.
        """
        return await self._ledger_writes.submit(_LedgerWrite(work, asyncio.get_running_loop().create_future()))

    async def _ledger_round(self, batch: list[Any]) -> None:
        """One transaction for the batch; each call in a savepoint, so a failing call rolls back only itself."""
        results: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            async with self._save_lock, self._group_engine.begin() as conn:
                for call in batch:
                    try:
                        async with conn.begin_nested():
                            results.append((call.future, await call.work(conn), None))
                    except IntegrityError as exc:
                        results.append((call.future, None, exc))
        except Exception as exc:  # the whole batch failed to commit: every caller hears it
            results = [(call.future, None, exc) for call in batch]
        for future, value, error in results:
            settle(future, value, error)

    # ---------------------------------------------------------------- the ledger
    async def claim_slot(self, sub: m.Subscription, slot_key: str, slot_at: datetime, run_id: str, *,
                         state: str = "claimed", catching_up: bool = False, note: str | None = None
                         ) -> m.DigestLedger | None:
        """Insert the ledger row for (subscription, slot); None when another run claimed it first."""
        now = utcnow()
        values = {"subscription_id": sub.id, "slot_key": slot_key, "slot_at": slot_at, "run_id": run_id,
                  "state": state, "catching_up": catching_up, "channel_id": sub.channel_id, "claimed_at": now,
                  "updated_at": now, "note": note}

        async def work(conn: AsyncConnection) -> int:
            return (await conn.execute(insert(m.DigestLedger).returning(m.DigestLedger.id), values)).scalar_one()

        try:
            row_id = await self._group_commit(work)
        except IntegrityError:
            return None
        return m.DigestLedger(id=row_id, **values)

    async def ledger_done(self, row_id: int, *, state: str, message_ts: str | None = None,
                          cursor_to: int | None = None, note: str | None = None) -> None:
        """Record the outcome; a posted digest moves the subscription's cursor in the same transaction."""
        ledger = table(m.DigestLedger)
        subs = table(m.Subscription)
        values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
        if message_ts:
            values["message_ts"] = message_ts
        if note:
            values["note"] = note
        if cursor_to is not None:
            values["cursor_to"] = cursor_to

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(ledger.update().where(ledger.c.id == row_id).values(**values))
            if cursor_to is not None:
                sub_id = select(ledger.c.subscription_id).where(ledger.c.id == row_id).scalar_subquery()
                await conn.execute(subs.update().where(subs.c.id == sub_id, subs.c.cursor_article_id < cursor_to)
                                   .values(cursor_article_id=cursor_to))

        await self._group_commit(work)

    async def stale_claims(self, lease: timedelta) -> list[m.DigestLedger]:
        async with self.session() as s:
            return list((await s.execute(select(m.DigestLedger).where(
                m.DigestLedger.state == "claimed", m.DigestLedger.claimed_at < utcnow() - lease))).scalars())

    async def take_over(self, row: m.DigestLedger) -> bool:
        """Compare-and-swap on claimed_at: of several replicas recovering one claim, exactly one wins."""
        async with self._save_lock, self.session() as s, s.begin():
            result = await s.execute(
                table(m.DigestLedger).update()
                .where(m.DigestLedger.id == row.id, m.DigestLedger.state == "claimed",
                       m.DigestLedger.claimed_at == row.claimed_at)
                .values(claimed_at=utcnow()))
            return (result.rowcount or 0) == 1

    async def ledger(self, sub_id: int | None = None, limit: int = 50) -> list[m.DigestLedger]:
        async with self.session() as s:
            q = select(m.DigestLedger).order_by(m.DigestLedger.id.desc()).limit(limit)
            if sub_id is not None:
                q = q.where(m.DigestLedger.subscription_id == sub_id)
            return list((await s.execute(q)).scalars())

    async def slot_keys(self, sub_id: int) -> set[str]:
        async with self.session() as s:
            return set((await s.execute(select(m.DigestLedger.slot_key).where(
                m.DigestLedger.subscription_id == sub_id))).scalars())

    # ---------------------------------------------------------------- digest rows
    async def digest_rows(self, cursor: int, limit: int = 200, *, team_id: str | None = None
                          ) -> list[StoredBrief]:
        """Relevant analysed articles stored after ``cursor`` (article id), oldest first; a workspace's digest
        only those it reached (and the operator's)."""
        q = (select(m.Article, m.Analysis.brief).join(m.Analysis, m.Analysis.article_id == m.Article.id)
             # `|| ''` keeps the planner off the label index (as in latest): walking articles after the cursor
             # stops after a few hundred rows, where label-first read every relevant article of the archive.
             # The cursor is on both sides of the join: PostgreSQL's generic plan (asyncpg prepares, and from a
             # statement's 6th run may reuse a plan made without the cursor's value) otherwise walked analyses
             # in article order from the start, filtering every one (at 100,000 articles: 0.8 -> 105 ms)
             .where(m.Article.id > cursor, m.Analysis.article_id > cursor,
                    (m.Analysis.relevance_label + "") == "launch-policy")
             .order_by(m.Article.id).limit(limit))
        if (seen := workspaces.visible(team_id)) is not None:
            q = q.where(seen)
        async with self.session() as s:
            rows = (await s.execute(q)).all()
            return [stored_brief(a, b) for a, b in rows]
