"""Watchlists in the archive (issue 13): watches, the articles to check against them, and the alert ledger.

Functions take the :class:`~briefings.store.repo.Store` (its engine, session and write lock) so the archive
class itself stays as it is. Exactly once: :func:`claim_alerts` inserts the unique (watch, article) rows
*before* anything is posted; a row another replica (or an earlier run) already holds is simply not returned.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from briefings.store import models as m
from briefings.store.repo import Store, utcnow
from briefings.store.rows import StoredBrief, stored_brief


async def add_watch(store: Store, *, team_id: str, channel_id: str | None, user_id: str | None, terms: list[dict],
                    label: str, created_by: str | None) -> m.Watch:
    """A new watch starts after the newest stored article: only what is stored from now on alerts."""
    async with store._save_lock, store.session() as s, s.begin():
        cursor = (await s.execute(select(func.max(m.Article.id)))).scalar() or 0
        watch = m.Watch(team_id=team_id, channel_id=channel_id, user_id=user_id, terms=terms, label=label,
                        cursor_article_id=cursor, created_by=created_by, created_at=utcnow())
        s.add(watch)
    return watch


async def watches(store: Store, team_id: str | None = None, *, channel_id: str | None = None,
                  user_id: str | None = None, active: bool = False) -> list[m.Watch]:
    """Watches of a workspace: those set in ``channel_id`` (channel alerts) and/or ``user_id``'s own (DM)."""
    async with store.session() as s:
        q = select(m.Watch).order_by(m.Watch.id)
        if team_id is not None:
            q = q.where(m.Watch.team_id == team_id)
        if channel_id is not None or user_id is not None:
            conds: list[ColumnElement[bool]] = []
            if channel_id is not None:
                conds.append((m.Watch.channel_id == channel_id) & m.Watch.user_id.is_(None))
            if user_id is not None:
                conds.append(m.Watch.user_id == user_id)
            from sqlalchemy import or_

            q = q.where(or_(*conds))
        if active:
            q = q.where(m.Watch.paused_at.is_(None))
        return list((await s.execute(q)).scalars())


async def delete_watch(store: Store, watch_id: int) -> None:
    async with store._save_lock, store.session() as s, s.begin():
        await s.execute(delete(m.WatchAlert).where(m.WatchAlert.watch_id == watch_id))
        await s.execute(delete(m.Watch).where(m.Watch.id == watch_id))


async def set_paused(store: Store, watch_ids: list[int], paused: bool) -> None:
    """Pausing stops alerts; resuming starts after the newest stored article (no backlog of alerts)."""
    if not watch_ids:
        return
    async with store._save_lock, store.session() as s, s.begin():
        values: dict = {"paused_at": utcnow() if paused else None}
        if not paused:
            values["cursor_article_id"] = (await s.execute(select(func.max(m.Article.id)))).scalar() or 0
        await s.execute(update(m.Watch).where(m.Watch.id.in_(watch_ids)).values(**values))


async def articles_after(store: Store, cursor: int, limit: int = 500) -> list[StoredBrief]:
    """Analysed articles stored after ``cursor`` (article id), oldest first, whatever their relevance."""
    async with store.session() as s:
        rows = (await s.execute(
            select(m.Article, m.Analysis.brief).join(m.Analysis, m.Analysis.article_id == m.Article.id)
            .where(m.Article.id > cursor).order_by(m.Article.id).limit(limit))).all()
        return [stored_brief(a, b) for a, b in rows]


async def phrase_matches(store: Store, phrase: str, article_ids: list[int]) -> set[int]:
    """Which of these articles match ``phrase`` in the full-text index (FTS5 phrase / tsquery phrase)."""
    words = re.findall(r"\w+", phrase)
    if not words or not article_ids:
        return set()
    ids = sorted(set(article_ids))
    async with store.session() as s:
        if store.dialect == "sqlite":
            q = '"' + " ".join(w.replace('"', "") for w in words) + '"'
            sql = (f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q "
                   f"AND rowid IN ({','.join(str(int(i)) for i in ids)})")
        else:
            q = " ".join(words)
            sql = (f"SELECT a.id FROM articles a WHERE a.search @@ phraseto_tsquery('english', :q) "
                   f"AND a.id IN ({','.join(str(int(i)) for i in ids)})")
        return {int(r[0]) for r in (await s.execute(text(sql), {"q": q})).all()}


async def move_cursor(store: Store, watch_id: int, cursor: int) -> None:
    async with store._save_lock, store.session() as s, s.begin():
        await s.execute(update(m.Watch).where(m.Watch.id == watch_id, m.Watch.cursor_article_id < cursor)
                        .values(cursor_article_id=cursor))


async def claim_alerts(store: Store, pairs: list[tuple[int, int]], *, run_id: str, target: str
                       ) -> list[tuple[int, int]]:
    """Insert the ledger rows for (watch, article) pairs; returns the pairs this call claimed (the others were
    alerted, or are being alerted, by another run)."""
    claimed: list[tuple[int, int]] = []
    now = utcnow()
    async with store._save_lock, store.session() as s, s.begin():
        for watch_id, article_id in sorted(set(pairs)):  # one order for all: two replicas never deadlock
            try:
                async with s.begin_nested():
                    await s.execute(insert(m.WatchAlert).values(
                        watch_id=watch_id, article_id=article_id, run_id=run_id, target=target, state="claimed",
                        claimed_at=now, updated_at=now))
                claimed.append((watch_id, article_id))
            except IntegrityError:
                continue
    return claimed


async def alerts_done(store: Store, run_id: str, *, state: str, message_ts: str | None = None,
                      note: str | None = None) -> None:
    """Record the outcome of one alert message; a posted one stamps its watches' last alert time."""
    now = utcnow()
    async with store._save_lock, store.session() as s, s.begin():
        await s.execute(update(m.WatchAlert).where(m.WatchAlert.run_id == run_id)
                        .values(state=state, message_ts=message_ts, note=note, updated_at=now))
        if state == "posted":
            ids = select(m.WatchAlert.watch_id).where(m.WatchAlert.run_id == run_id)
            await s.execute(update(m.Watch).where(m.Watch.id.in_(ids)).values(last_alert_at=now))


async def alerts(store: Store, *, run_id: str | None = None, state: str | None = None) -> list[m.WatchAlert]:
    async with store.session() as s:
        q = select(m.WatchAlert).order_by(m.WatchAlert.id)
        if run_id is not None:
            q = q.where(m.WatchAlert.run_id == run_id)
        if state is not None:
            q = q.where(m.WatchAlert.state == state)
        return list((await s.execute(q)).scalars())


async def stale_runs(store: Store, lease: timedelta) -> list[str]:
    """Run ids of alert messages claimed longer than ``lease`` ago and never confirmed (a crash mid-post)."""
    async with store.session() as s:
        return list((await s.execute(select(m.WatchAlert.run_id).distinct().where(
            m.WatchAlert.state == "claimed", m.WatchAlert.claimed_at < utcnow() - lease))).scalars())


async def take_over_run(store: Store, run_id: str, seen_claimed_before: datetime) -> bool:
    """Compare-and-swap on claimed_at: of several replicas recovering one alert, exactly one wins."""
    async with store._save_lock, store.session() as s, s.begin():
        result = await s.execute(update(m.WatchAlert).where(
            m.WatchAlert.run_id == run_id, m.WatchAlert.state == "claimed",
            m.WatchAlert.claimed_at < seen_claimed_before).values(claimed_at=utcnow()))
        return (result.rowcount or 0) > 0
