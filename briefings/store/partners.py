"""Partner history: mentions per partner, a partner's articles, partners seen before a digest's cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from briefings.store import models as m
from briefings.store import workspaces
from briefings.store.rows import PartnerArticle
from briefings.store.base import StoreBase, dialect_insert, table

_TOTALS_CHUNK = 1000  # partner rows per upsert statement (8 parameters each)


@dataclass
class PartnerStat:
    entity: str
    kind: str
    country: str | None
    tier: str | None
    mentions: int
    first_seen: date | None
    last_seen: date | None
    latest_title: str | None
    latest_url: str | None


def _batch_totals(mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch's mentions summed per partner (entity, kind, country or ''), as partner_totals rows."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for mt in mentions:
        key = (mt["entity"], mt["kind"], mt["country"] or "")
        day, aid = mt["mentioned_on"], mt["article_id"]
        t = out.get(key)
        if t is None:
            out[key] = {"entity": key[0], "kind": key[1], "country": key[2], "tier": mt["tier"], "mentions": 1,
                        "first_seen": day, "last_seen": day, "latest_article_id": aid, "first_article_id": aid}
            continue
        t["mentions"] += 1
        t["first_article_id"] = min(t["first_article_id"], aid)
        t["tier"] = max((x for x in (t["tier"], mt["tier"]) if x), default=None)
        days = [x for x in (t["first_seen"], day) if x is not None]
        t["first_seen"] = min(days, default=None)
        if (day or date.min, aid) > (t["last_seen"] or date.min, t["latest_article_id"]):
            t["last_seen"], t["latest_article_id"] = day, aid
    return list(out.values())


async def add_to_totals(conn: AsyncConnection, mentions: list[dict[str, Any]]) -> None:
    """Inside the save's transaction: add newly inserted mentions to partner_totals (an upsert per partner)."""
    rows = _batch_totals(mentions)
    pg = conn.dialect.name == "postgresql"
    t = table(m.PartnerTotal)
    for start in range(0, len(rows), _TOTALS_CHUNK):
        ins = dialect_insert(conn.dialect.name, t).values(rows[start:start + _TOTALS_CHUNK])
        ex = ins.excluded
        if pg:  # GREATEST / LEAST skip NULLs
            tier, first, last = (func.greatest(t.c.tier, ex.tier), func.least(t.c.first_seen, ex.first_seen),
                                 func.greatest(t.c.last_seen, ex.last_seen))
        else:  # SQLite's two-argument min / max return NULL when either is
            tier = func.nullif(func.max(func.coalesce(t.c.tier, ""), func.coalesce(ex.tier, "")), "")
            first = func.min(func.coalesce(t.c.first_seen, ex.first_seen), func.coalesce(ex.first_seen, t.c.first_seen))
            last = func.max(func.coalesce(t.c.last_seen, ex.last_seen), func.coalesce(ex.last_seen, t.c.last_seen))
        newer = tuple_(ex.last_seen, ex.latest_article_id) > tuple_(t.c.last_seen, t.c.latest_article_id)
        await conn.execute(ins.on_conflict_do_update(
            index_elements=[t.c.entity, t.c.kind, t.c.country],
            set_={"mentions": t.c.mentions + ex.mentions, "tier": tier, "first_seen": first, "last_seen": last,
                  "first_article_id": func.coalesce(t.c.first_article_id, ex.first_article_id),
                  "latest_article_id": case((newer, ex.latest_article_id), else_=t.c.latest_article_id)}))


class PartnersMixin(StoreBase):
    async def partner_stats(self, *, since: date | None = None, name: str | None = None,
                            team_id: str | None = None) -> list[PartnerStat]:
        """Mentions per partner, with its latest article -- one query. Unscoped and undated (the whole
        archive, or one partner of it), it reads the running totals (one row per partner); otherwise it
        aggregates the mentions in range (the latest article is an indexed top-1 lookup per partner inside it,
        not a query per partner)."""
        if since is None and workspaces.visible(team_id) is None:
            return await self._partner_totals(name)
        pm = m.PartnerMention
        seen = workspaces.visible(team_id, pm.article_id)
        latest_id = self._latest_in_group(pm, team_id)
        agg = (select(pm.entity, pm.kind, pm.country, func.max(pm.tier).label("tier"),
                      func.count().label("n"), func.min(pm.mentioned_on).label("first"),
                      func.max(pm.mentioned_on).label("last"), latest_id.label("latest_id"))
               .group_by(pm.entity, pm.kind, pm.country))
        if since:
            agg = agg.where(pm.mentioned_on >= since)
        if name:
            agg = agg.where(func.lower(pm.entity) == name.lower())
        if seen is not None:
            agg = agg.where(seen)
        sub = agg.subquery()
        # the latest article's title and url looked up per partner row (a primary-key seek each), not joined:
        # PostgreSQL overestimated the groups and merge-joined them with every article in id order (profiled at
        # 100,000 articles, --since the last 30 days: 30 of its 48 ms, growing with the archive)
        a1, a2 = aliased(m.Article), aliased(m.Article)
        title = select(a1.title).where(a1.id == sub.c.latest_id).scalar_subquery()
        url = select(a2.url).where(a2.id == sub.c.latest_id).scalar_subquery()
        q = select(sub, title.label("title"), url.label("url"))
        async with self.session() as s:
            rows = (await s.execute(q)).all()
        stats = [PartnerStat(r.entity, r.kind, r.country, r.tier, r.n, r.first, r.last, r.title, r.url)
                 for r in rows]
        stats.sort(key=lambda x: (-x.mentions, x.entity))
        return stats

    def _latest_in_group(self, pm: Any, team_id: str | None) -> Any:
        """Each partner group's newest mention's article. mentioned_on is the article's published date, and the
        newest mention overall is also the newest in any date range that holds one of the partner's mentions."""
        if self.dialect == "postgresql":
            # in the same pass over the mentions in range: PostgreSQL cannot seek an index on the correlated
            # lookup's `country IS NOT DISTINCT FROM`, so that scanned every mention of the partner per group
            # (profiled at 100,000 articles: 300 ms for the last 30 days)
            from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

            return func.array_agg(aggregate_order_by(pm.article_id, pm.mentioned_on.desc().nulls_last(),
                                                     pm.article_id.desc()), type_=ARRAY(Integer))[1]
        # SQLite seeks the covering index (entity, kind, country, mentioned_on, article_id, tier) per group
        p2 = aliased(m.PartnerMention)
        latest_q = select(p2.article_id).where(p2.entity == pm.entity, p2.kind == pm.kind,
                                               p2.country.is_not_distinct_from(pm.country))
        if (seen_latest := workspaces.visible(team_id, p2.article_id)) is not None:
            latest_q = latest_q.where(seen_latest)  # a workspace counts only the articles it reached
        return (latest_q.order_by(p2.mentioned_on.desc().nulls_last(), p2.article_id.desc()).limit(1)
                .correlate(pm).scalar_subquery())

    async def _partner_totals(self, name: str | None) -> list[PartnerStat]:
        pt = m.PartnerTotal
        # plain columns, not mapped objects: building ORM instances was most of the time for ~2,500 partners
        q = (select(pt.entity, pt.kind, pt.country, pt.tier, pt.mentions, pt.first_seen, pt.last_seen,
                    m.Article.title, m.Article.url)
             .join(m.Article, m.Article.id == pt.latest_article_id, isouter=True))
        if name:
            q = q.where(func.lower(pt.entity) == name.lower())
        async with self.session() as s:
            rows = (await s.execute(q)).all()
        stats = [PartnerStat(r.entity, r.kind, r.country or None, r.tier, r.mentions, r.first_seen, r.last_seen,
                             r.title, r.url) for r in rows]
        stats.sort(key=lambda x: (-x.mentions, x.entity))
        return stats

    async def partner_articles(self, name: str, *, since: date | None = None, limit: int = 20,
                               team_id: str | None = None) -> list[PartnerArticle]:
        """Articles naming this partner (case-insensitively), newest first, with its role in each."""
        async with self.session() as s:
            q = (select(m.Article.id, m.Article.title, m.Article.url, m.Article.published, m.PartnerMention.role)
                 .join(m.PartnerMention, m.PartnerMention.article_id == m.Article.id)
                 .where(func.lower(m.PartnerMention.entity) == name.lower())
                 .order_by(m.Article.published.desc(), m.Article.id.desc()).limit(limit))
            if since:
                q = q.where(m.Article.published >= since)
            if (seen := workspaces.visible(team_id)) is not None:
                q = q.where(seen)
            return [PartnerArticle(*r) for r in (await s.execute(q)).all()]

    async def partners_seen_before(self, cursor: int, names: list[str]) -> set[str]:
        """Which of these partners were named in an article stored at or before ``cursor`` (a digest's "new"
        mark): the running totals' first article, not a scan of every mention of a much-named partner."""
        if not names:
            return set()
        pt = m.PartnerTotal
        async with self.session() as s:
            return set((await s.execute(select(pt.entity).distinct().where(
                pt.first_article_id <= cursor, pt.entity.in_(names)))).scalars())
