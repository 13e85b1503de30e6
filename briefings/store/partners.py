"""Partner history: mentions per partner, a partner's articles, partners seen before a digest's cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from briefings.store import models as m
from briefings.store import workspaces
from briefings.store.rows import PartnerArticle
from briefings.store.base import StoreBase


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


class PartnersMixin(StoreBase):
    async def partner_stats(self, *, since: date | None = None, name: str | None = None,
                            team_id: str | None = None) -> list[PartnerStat]:
        """Mentions per partner, with its latest article -- one query (the latest article is an indexed
        top-1 lookup per partner inside it, not a query per partner)."""
        pm, p2 = m.PartnerMention, aliased(m.PartnerMention)
        # mentioned_on is the article's published date, so the newest mention is the newest article; the
        # covering index (entity, kind, country, mentioned_on, article_id, tier) serves the GROUP BY in order
        # and each group's top-1 seek
        seen, seen_latest = workspaces.visible(team_id, pm.article_id), workspaces.visible(team_id, p2.article_id)
        latest_q = select(p2.article_id).where(p2.entity == pm.entity, p2.kind == pm.kind,
                                               p2.country.is_not_distinct_from(pm.country))
        if seen_latest is not None:  # a workspace counts only the articles it reached (and the operator's)
            latest_q = latest_q.where(seen_latest)
        latest_id = (latest_q
                     .order_by(p2.mentioned_on.desc().nulls_last(), p2.article_id.desc()).limit(1)
                     .correlate(pm).scalar_subquery())
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
        q = (select(sub, m.Article.title, m.Article.url)
             .join(m.Article, m.Article.id == sub.c.latest_id, isouter=True))
        async with self.session() as s:
            rows = (await s.execute(q)).all()
        stats = [PartnerStat(r.entity, r.kind, r.country, r.tier, r.n, r.first, r.last, r.title, r.url)
                 for r in rows]
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
        if not names:
            return set()
        async with self.session() as s:
            return set((await s.execute(select(m.PartnerMention.entity).distinct().where(
                m.PartnerMention.article_id <= cursor, m.PartnerMention.entity.in_(names)))).scalars())
