"""Retention and size: pruning old article bodies, and the archive's row counts and bytes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, text

from briefings.store import models as m
from briefings.store.base import table, StoreBase, utcnow
from briefings.store.dedup import CLUSTER_WINDOW
from briefings.store.search import search_words

STATS_TABLES = ["articles", "analyses", "partner_mentions", "partner_totals", "story_clusters", "minhash_bands",
                "feeds", "subscriptions", "digest_ledger", "slack_events"]


class RetentionMixin(StoreBase):
    async def prune_bodies(self, older_than: timedelta, *, now: datetime | None = None, batch: int = 500) -> int:
        """Reduce the page body of articles fetched before ``now - older_than`` to its distinct words.

        What stays: title, brief, partner mentions, story cluster, content hash (so a re-publication is
        still recognised) and search (the full-text index is rebuilt from the remaining words by the usual
        triggers / generated column, so every word still matches; phrases and snippets become approximate).
        MinHash bands of articles past the clustering window go too: nothing can join those stories any more.
        Returns the number of articles pruned; running it again prunes nothing new.
        """
        now = now or utcnow()
        cutoff = now - older_than
        arts = table(m.Article)
        total = 0
        while True:
            async with self._save_lock, self.engine.begin() as conn:
                rows = (await conn.execute(select(arts.c.id, arts.c.text).where(
                    arts.c.fetched_at < cutoff, arts.c.pruned_at.is_(None)).order_by(arts.c.id).limit(batch))).all()
                if not rows:
                    break
                values = [{"pid": r.id, "words": search_words(r.text)} for r in rows]
                await conn.execute(arts.update().where(arts.c.id == bindparam("pid"))
                                   .values(text=bindparam("words"), pruned_at=now), values)
                ids = [r.id for r in rows]
                if older_than >= CLUSTER_WINDOW:  # younger ones may still gain near-duplicates
                    await conn.execute(delete(table(m.MinhashBand)).where(
                        table(m.MinhashBand).c.article_id.in_(ids)))
                    await conn.execute(arts.update().where(arts.c.id.in_(ids)).values(minhash=None))
                total += len(rows)
        return total

    async def db_stats(self) -> dict[str, int]:
        """Row counts of the archive's tables, pruned articles, and the database size in bytes."""
        out: dict[str, int] = {}
        async with self.engine.connect() as conn:
            for t in STATS_TABLES:
                out[t] = (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            out["articles pruned"] = (await conn.execute(select(func.count()).select_from(table(m.Article))
                                                         .where(table(m.Article).c.pruned_at.is_not(None)))
                                      ).scalar_one()
            out["article text bytes"] = (await conn.execute(
                select(func.coalesce(func.sum(func.length(table(m.Article).c.text)), 0)))).scalar_one()
            if self.dialect == "postgresql":
                out["database bytes"] = (await conn.execute(
                    text("SELECT pg_database_size(current_database())"))).scalar_one()
            else:
                pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
                size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
                out["database bytes"] = pages * size
        return out
