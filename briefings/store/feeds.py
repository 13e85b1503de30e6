"""Feeds: the subscribed RSS/Atom sources, their poll schedule and failure counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Executable, delete, or_, select

from briefings.errors import BriefingError
from briefings.intake.feeds import clamp
from briefings.store import models as m
from briefings.store import workspaces
from briefings.store.base import table, URL_MAX, StoreBase, utcnow


def feed_success(feed_id: int, *, etag: str | None, last_modified: str | None, next_poll: datetime,
                 title: str | None = None, page_error: str | None = None) -> list[Executable]:
    """The statements recording a successful poll: run alone (:meth:`FeedsMixin.feed_succeeded`) or in the
    transaction storing the feed's entries (``save_many(..., then=...)``), so the ETag never gets ahead of
    them."""
    feeds = table(m.Feed)
    values: dict[str, Any] = {"last_success": utcnow(), "consecutive_failures": 0, "next_poll": next_poll}
    if etag and len(etag) <= 500:  # a header too long to store is not worth a conditional GET
        values["etag"] = etag
    if last_modified and len(last_modified) <= 100:
        values["last_modified"] = last_modified
    title = clamp(title, 500)
    if page_error:
        values.update(last_error=page_error[:1000], last_error_at=utcnow())
    stmts: list[Executable] = [feeds.update().where(feeds.c.id == feed_id).values(**values)]
    if title:
        stmts.append(feeds.update().where(feeds.c.id == feed_id, feeds.c.title.is_(None)).values(title=title))
    return stmts


class FeedsMixin(StoreBase):
    async def add_feed(self, url: str, title: str | None = None, *, team_id: str | None = None) -> m.Feed:
        """Follow a feed for a workspace (``team_id``) or the operator (None); it is stored and fetched once."""
        feed = await self._stored_feed(url, title)
        await workspaces.follow_feed(self, feed.id, team_id)
        return feed

    async def _stored_feed(self, url: str, title: str | None) -> m.Feed:
        if len(url) > URL_MAX:
            raise BriefingError(f"that feed URL is too long (more than {URL_MAX} characters)")
        title = clamp(title, 500)
        async with self._save_lock, self.session() as s, s.begin():
            existing = (await s.execute(select(m.Feed).where(m.Feed.url == url))).scalar_one_or_none()
            if existing:
                if title and not existing.title:
                    existing.title = title
                return existing
            feed = m.Feed(url=url, title=title, consecutive_failures=0, created_at=utcnow(), next_poll=utcnow())
            s.add(feed)
        return feed

    async def remove_feed(self, url: str, *, team_id: str | None = None) -> bool:
        """The operator (None) removes a feed for everyone; a workspace stops following it (the feed goes when
        no one follows it). Stored articles stay either way."""
        if team_id:
            async with self.session() as s:
                feed_id = (await s.execute(select(m.Feed.id).where(m.Feed.url == url))).scalar_one_or_none()
            return feed_id is not None and await workspaces.unfollow_feed(self, feed_id, team_id)
        async with self._save_lock, self.session() as s, s.begin():
            result = await s.execute(delete(m.Feed).where(m.Feed.url == url))
            return (result.rowcount or 0) > 0

    async def list_feeds(self, *, team_id: str | None = None) -> list[m.Feed]:
        """All feeds, or a workspace's: those it follows and the operator's."""
        q = select(m.Feed).order_by(m.Feed.id)
        if (followed := workspaces.feed_visible(team_id)) is not None:
            q = q.where(followed)
        async with self.session() as s:
            return list((await s.execute(q)).scalars())

    async def due_feeds(self, now: datetime | None = None) -> list[m.Feed]:
        now = now or utcnow()
        async with self.session() as s:
            q = select(m.Feed).where(or_(m.Feed.next_poll.is_(None), m.Feed.next_poll <= now)).order_by(m.Feed.id)
            return list((await s.execute(q)).scalars())

    async def feed_succeeded(self, feed_id: int, *, etag: str | None, last_modified: str | None,
                             next_poll: datetime, title: str | None = None, page_error: str | None = None) -> None:
        async with self._save_lock, self.engine.begin() as conn:
            for stmt in feed_success(feed_id, etag=etag, last_modified=last_modified, next_poll=next_poll,
                                     title=title, page_error=page_error):
                await conn.execute(stmt)

    async def feed_failed(self, feed_id: int, error: str, next_poll: datetime) -> int:
        feeds = table(m.Feed)
        async with self._save_lock, self.engine.begin() as conn:
            await conn.execute(feeds.update().where(feeds.c.id == feed_id).values(
                consecutive_failures=feeds.c.consecutive_failures + 1, last_error=error[:1000],
                last_error_at=utcnow(), next_poll=next_poll))
            return (await conn.execute(select(feeds.c.consecutive_failures).where(feeds.c.id == feed_id))
                    ).scalar_one_or_none() or 0

