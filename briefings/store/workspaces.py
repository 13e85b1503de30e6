"""What each Slack workspace may see of the shared archive (issue 11).

An article is fetched and analysed once; ``team_feeds`` says which workspace follows which feed and
``team_articles`` which workspace reached which article (through a feed it follows, or a brief one of its users
asked for). A workspace sees what it reached plus the operator's (team ``''``: the terminal CLI and anything
stored before workspaces existed). A read given no team (``None`` or ``''``) sees everything, as in
single-workspace mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, DateTime, String, delete, exists, literal, select, true

from briefings.store import models as m
from briefings.store.base import dialect_insert, table as table_of

if TYPE_CHECKING:
    from briefings.store.base import StoreBase as Store

OPERATOR = ""  # the operator's team: its feeds and articles are every workspace's


def _now() -> datetime:
    return datetime.now(UTC)


def team_of(team_id: str | None) -> str:
    return team_id or OPERATOR


def visible(team_id: str | None, article_id: Any = m.Article.id) -> ColumnElement[bool] | None:
    """A WHERE clause keeping the articles this team may see, or None when the read is not scoped."""
    if not team_id:
        return None
    ta = m.TeamArticle
    return exists().where(ta.article_id == article_id, ta.team_id.in_([team_id, OPERATOR]))


# the same rule for hand-written SQL (full-text search): the article's alias must be ``a``
VISIBLE_SQL = ("AND EXISTS (SELECT 1 FROM team_articles ta WHERE ta.article_id = a.id "
               "AND ta.team_id IN (:team, '')) ")


def feed_visible(team_id: str | None) -> ColumnElement[bool] | None:
    if not team_id:
        return None
    tf = m.TeamFeed
    return exists().where(tf.feed_id == m.Feed.id, tf.team_id.in_([team_id, OPERATOR]))


def _insert(store: Store, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on either database (links are idempotent)."""
    return dialect_insert(store.dialect, table)


def _feed_links(store: Store, feed_id: int, teams: list[str] | None, articles: Any = None) -> Any:
    """team_articles rows for articles (the feed's own when ``articles`` is None, else those matching that
    clause) for the feed's teams (all, or these)."""
    tf, a, ta = m.TeamFeed.__table__, m.Article.__table__, m.TeamArticle.__table__
    q = select(tf.c.team_id, a.c.id, literal("feed", String(8)), literal(_now(), DateTime(timezone=True)))
    q = q.select_from(tf.join(a, a.c.feed_id == tf.c.feed_id if articles is None else true()))
    q = q.where(tf.c.feed_id == feed_id)
    if teams is not None:
        q = q.where(tf.c.team_id.in_(teams))
    if articles is not None:
        q = q.where(articles)
    ins = _insert(store, ta).from_select(["team_id", "article_id", "via", "created_at"], q)
    return ins.on_conflict_do_nothing()


async def link_saved(store: Store, conn: Any, feed_id: int | None, team_id: str | None,
                     article_ids: list[int]) -> None:
    """Inside the save's transaction: a feed's articles are its teams'; a brief's is its team's (the
    operator's when no team asked)."""
    if not article_ids:
        return
    if feed_id is not None:
        await conn.execute(_feed_links(store, feed_id, None, m.Article.__table__.c.id.in_(article_ids)))
    if feed_id is None or team_id:
        rows = [{"team_id": team_of(team_id), "article_id": a, "via": "brief", "created_at": _now()}
                for a in sorted(set(article_ids))]
        await conn.execute(_insert(store, m.TeamArticle.__table__).values(rows).on_conflict_do_nothing())


async def follow_feed(store: Store, feed_id: int, team_id: str | None) -> None:
    """The team follows the feed; what the feed brought in before is the team's from now on too."""
    team = team_of(team_id)
    async with store._save_lock, store.engine.begin() as conn:
        await conn.execute(_insert(store, m.TeamFeed.__table__).values(team_id=team, feed_id=feed_id,
                                                                       created_at=_now()).on_conflict_do_nothing())
        await conn.execute(_feed_links(store, feed_id, [team], None))


async def unfollow_feed(store: Store, feed_id: int, team_id: str | None) -> bool:
    """Stop following; the feed itself goes when nobody follows it any more (its articles stay archived).
    Returns whether the team followed it."""
    async with store._save_lock, store.engine.begin() as conn:
        tf = table_of(m.TeamFeed)
        gone = await conn.execute(delete(tf).where(tf.c.feed_id == feed_id, tf.c.team_id == team_of(team_id)))
        left = (await conn.execute(select(tf.c.team_id).where(tf.c.feed_id == feed_id).limit(1))).first()
        if left is None:
            feeds = table_of(m.Feed)
            await conn.execute(delete(feeds).where(feeds.c.id == feed_id))
        return (gone.rowcount or 0) > 0


async def link_articles(store: Store, team_id: str | None, article_ids: Iterable[int], via: str = "brief") -> None:
    """The team reached these articles (e.g. a user's brief of an already stored page)."""
    now = _now()
    rows = [{"team_id": team_of(team_id), "article_id": a, "via": via, "created_at": now}
            for a in sorted(set(article_ids))]
    if not rows:
        return
    async with store._save_lock, store.engine.begin() as conn:
        await conn.execute(_insert(store, m.TeamArticle.__table__).values(rows).on_conflict_do_nothing())


async def link_feed_urls(store: Store, feed_id: int, canonical_urls: Iterable[str]) -> None:
    """Entries a feed poll skipped because their page was stored already (from another feed, or a brief) are
    reached by the teams following this feed too."""
    urls = sorted(set(canonical_urls))
    async with store._save_lock, store.engine.begin() as conn:
        for start in range(0, len(urls), 500):
            await conn.execute(_feed_links(store, feed_id, None,
                                           m.Article.__table__.c.canonical_url.in_(urls[start:start + 500])))


async def feed_teams(store: Store, feed_id: int) -> list[str]:
    async with store.session() as s:
        return list((await s.execute(select(m.TeamFeed.team_id).where(m.TeamFeed.feed_id == feed_id)
                                     .order_by(m.TeamFeed.team_id))).scalars())


async def can_see(store: Store, team_id: str | None, article_id: int) -> bool:
    clause = visible(team_id, article_id)
    if clause is None:
        return True
    async with store.session() as s:
        return bool((await s.execute(select(clause))).scalar())
