"""Articles: saving (each at most once, joined to its story cluster) and reading stored briefs.

One transaction per batch, so a process killed at any point leaves only whole articles behind (and the unique
constraints turn a replay into a no-op).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from briefings import ENGINE_VERSION
from briefings.intake.feeds import canonical_url, clamp, content_hash, not_in_future
from briefings.models import Article as ArticleModel
from briefings.models import Brief
from briefings.store import models as m
from briefings.store import partners, workspaces
from briefings.store.base import table, URL_MAX, StoreBase, settle, utcnow
from briefings.store.rows import LatestStory, StoredArticle, StoredBrief, brief_of, stored_brief
from briefings.store.dedup import BandIndex, band_candidates, best_candidate, insert_bands, lsh_bands, minhash_of

SAVE_LOCK_KEY = 0x1A0C_B41E  # PostgreSQL advisory lock id for article saves


@dataclass
class SaveItem:
    article: ArticleModel
    brief: Brief | None
    entry_id: str | None = None
    summary: str | None = None


@dataclass
class SaveResult:
    article_id: int
    created: bool
    cluster_id: int | None
    reason: str = "new"  # new | same-url | same-entry | same-content | near-duplicate


@dataclass
class _Prepared:
    """An item to save with its identity: canonical URL, content hash, MinHash signature and LSH bands."""

    item: SaveItem
    feed_id: int | None
    url: str
    canon: str
    chash: str
    sig: list[int]
    bands: list[int]


@dataclass
class _SaveRequest:
    """One caller's batch waiting for the next shared save transaction (see :meth:`ArticlesMixin.save_many`)."""

    prepared: list[_Prepared]
    feed_id: int | None
    team_id: str | None
    then: Sequence[Executable]
    future: asyncio.Future[list[SaveResult]]


@dataclass
class _Known:
    """What the archive already holds of a batch: by canonical URL, by (feed, entry id), by content hash."""

    by_url: dict[str, Any]
    by_entry: dict[tuple[int, str], Any]  # (feed id, entry id)
    by_hash: dict[str, int | None]


@dataclass
class _NewRow:
    index: int  # the item's position in the batch
    item: SaveItem
    reason: str
    row: dict[str, Any]
    bands: list[int]


@dataclass
class _Plan:
    """The batch's outcome before any insert: results of known items, rows to insert, new stories."""

    results: list[SaveResult | None]
    new_rows: list[_NewRow] = field(default_factory=list)
    new_clusters: list[str] = field(default_factory=list)  # signature prefix of each new story
    # items repeating a URL (or feed entry) met earlier in the same batch: (index, that earlier new row)
    repeats: list[tuple[int, _NewRow]] = field(default_factory=list)


def _canonical(it: SaveItem, url: str, chash: str, feed_id: int | None) -> str:
    if it.article.url and it.article.url.startswith(("http://", "https://")):
        canon = canonical_url(it.article.url)
    elif it.entry_id:  # a feed entry with no link: its identity is the feed's entry id, not the
        canon = f"urn:launchbrief:feed:{feed_id}:{it.entry_id}"  # channel link it is shown under
    elif url.startswith(("http://", "https://")):
        canon = canonical_url(url)
    else:
        canon = f"urn:launchbrief:sha256:{chash}"
    if len(canon) > URL_MAX:  # still one identity per URL, and it fits the unique column
        canon = "urn:launchbrief:url-sha256:" + hashlib.sha256(canon.encode("utf-8")).hexdigest()
    return canon


def _prepare(it: SaveItem, feed_id: int | None) -> _Prepared:
    url = it.article.url or it.article.source
    chash = content_hash(it.article.text)
    sig = minhash_of(it.article.text)
    return _Prepared(it, feed_id, url, _canonical(it, url, chash, feed_id), chash, sig, lsh_bands(sig))


def _entry_key(p: _Prepared) -> tuple[int, str] | None:
    return (p.feed_id, p.item.entry_id) if p.feed_id is not None and p.item.entry_id else None


async def _known(conn: AsyncConnection, prepared: list[_Prepared]) -> _Known:
    by_url = {r.canonical_url: r for r in (await conn.execute(
        select(m.Article.id, m.Article.cluster_id, m.Article.canonical_url)
        .where(m.Article.canonical_url.in_([p.canon for p in prepared])))).all()}
    keys = {k for p in prepared if (k := _entry_key(p)) is not None}
    by_entry = {}
    if keys:  # the batch may hold several feeds' entries: both lists, then only the pairs asked for
        rows = (await conn.execute(
            select(m.Article.id, m.Article.cluster_id, m.Article.feed_id, m.Article.entry_id)
            .where(m.Article.feed_id.in_(sorted({f for f, _ in keys})),
                   m.Article.entry_id.in_(sorted({e for _, e in keys}))))).all()
        by_entry = {(r.feed_id, r.entry_id): r for r in rows if (r.feed_id, r.entry_id) in keys}
    by_hash = {r.content_hash: r.cluster_id for r in (await conn.execute(
        select(m.Article.content_hash, m.Article.cluster_id)
        .where(m.Article.content_hash.in_([p.chash for p in prepared])))).all()}
    return _Known(by_url, by_entry, by_hash)


def _article_row(p: _Prepared, cluster: int | None, now: datetime) -> dict[str, Any]:
    # clamped to the columns (PostgreSQL enforces varchar lengths; a feed's 3,000-character title must not
    # abort its ingestion) and never dated far in the future
    art = p.item.article
    return dict(
        canonical_url=p.canon, url=clamp(p.url, URL_MAX), feed_id=p.feed_id,
        entry_id=clamp(p.item.entry_id, 1024), source=clamp(art.site_name, 500),
        title=clamp(art.title, 1000),
        published=not_in_future(art.published, now.date()) or now.date(),
        text=art.text, content_hash=p.chash, language=clamp(art.language, 16),
        cluster_id=cluster, minhash=p.sig, summary=p.item.summary,
        fetched_at=now)


def _plan(prepared: list[_Prepared], known: _Known, band_index: BandIndex, now: datetime) -> _Plan:
    """Decide each item: already stored (same URL / entry), or a new row in an existing or a new story."""
    plan = _Plan([None] * len(prepared))
    in_batch: dict[Any, _NewRow] = {}  # canonical URL and (feed, entry id) of the rows this batch inserts
    for i, p in enumerate(prepared):
        hit = known.by_url.get(p.canon)
        if hit:
            plan.results[i] = SaveResult(hit.id, False, hit.cluster_id, "same-url")
            continue
        entry = _entry_key(p)
        hit = known.by_entry.get(entry) if entry else None
        if hit:
            plan.results[i] = SaveResult(hit.id, False, hit.cluster_id, "same-entry")
            continue
        earlier = in_batch.get(p.canon) or (in_batch.get(entry) if entry else None)
        if earlier is not None:  # its id is known once the batch is inserted
            plan.repeats.append((i, earlier))
            continue
        cluster, reason = known.by_hash.get(p.chash), "same-content"
        if cluster is None:
            cluster, reason = best_candidate(p.sig, p.bands, band_index), "near-duplicate"
        if cluster is None:  # a new story: a provisional (negative) id until the batch insert
            plan.new_clusters.append(p.chash[:16])
            cluster, reason = -len(plan.new_clusters), "new"
        known.by_hash.setdefault(p.chash, cluster)
        for b in p.bands:  # later items in this batch can join this story too
            band_index.setdefault(b, []).append((cluster, p.sig))
        new = _NewRow(i, p.item, reason, _article_row(p, cluster, now), p.bands)
        plan.new_rows.append(new)
        in_batch[p.canon] = new
        if entry:
            in_batch[entry] = new
    return plan


async def _insert_clusters(conn: AsyncConnection, plan: _Plan, now: datetime) -> None:
    """Insert the batch's new stories and replace the rows' provisional cluster ids by the real ones."""
    if not plan.new_clusters:
        return
    clusters = table(m.StoryCluster)
    values = [{"first_seen": now, "signature": sig16} for sig16 in plan.new_clusters]
    if len(set(plan.new_clusters)) == len(plan.new_clusters):
        # RETURNING the key and mapping back: sort_by_parameter_order makes SQLite insert row by row
        # (profiled: one driver round trip per row), a plain RETURNING batches them
        inserted = await conn.execute(insert(clusters).returning(clusters.c.signature, clusters.c.id), values)
        by_sig: dict[str, int] = dict(inserted.all())
        ids = [by_sig[sig16] for sig16 in plan.new_clusters]
    else:
        ids = list((await conn.execute(insert(clusters).returning(clusters.c.id, sort_by_parameter_order=True),
                                       values)).scalars().all())
    for new in plan.new_rows:
        if new.row["cluster_id"] is not None and new.row["cluster_id"] < 0:
            new.row["cluster_id"] = ids[-new.row["cluster_id"] - 1]


async def _insert_articles(conn: AsyncConnection, plan: _Plan) -> None:
    """Core multi-row INSERT ... RETURNING (no ORM unit of work); then every new article's LSH bands."""
    if not plan.new_rows:
        return
    arts = table(m.Article)  # canonical URLs are unique in the batch: the key to map ids back
    by_canon: dict[str, int] = dict((await conn.execute(insert(arts).returning(arts.c.canonical_url, arts.c.id),
                                        [new.row for new in plan.new_rows])).all())
    for new in plan.new_rows:
        new.row["id"] = by_canon[new.row["canonical_url"]]
    band_rows = [(b, new.row["id"]) for new in plan.new_rows for b in set(new.bands)]
    if band_rows:
        await insert_bands(conn, band_rows)


async def _insert_analyses(conn: AsyncConnection, plan: _Plan, now: datetime) -> None:
    """Briefs and partner mentions of the new rows; the same text from another source gets none (no second
    analysis, so partner counts do not double)."""
    analyses: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    for new in plan.new_rows:
        row, brief = new.row, new.item.brief
        if brief is not None and new.reason != "same-content":
            analyses.append(dict(article_id=row["id"], engine_version=brief.engine_version or ENGINE_VERSION,
                                 brief=brief.model_dump(mode="json"), relevance_label=brief.relevance.label,
                                 relevance_score=brief.relevance.score, created_at=now))
            mentions.extend(dict(article_id=row["id"], entity=clamp(p.name, 300), kind=p.kind,
                                 country=p.country, role=clamp(p.role, 200), tier=p.tier,
                                 mentioned_on=row["published"])
                            for p in brief.partners)
        plan.results[new.index] = SaveResult(row["id"], True, row["cluster_id"], new.reason)
    for index, earlier in plan.repeats:
        plan.results[index] = SaveResult(earlier.row["id"], False, earlier.row["cluster_id"], "same-url")
    if analyses:
        await conn.execute(insert(table(m.Analysis)), analyses)
    if mentions:
        await conn.execute(insert(table(m.PartnerMention)), mentions)
        await partners.add_to_totals(conn, mentions)


async def _insert_new(conn: AsyncConnection, prepared: list[_Prepared]) -> list[SaveResult]:
    """Inside the save's transaction: decide every item against the archive and insert what is new."""
    now = utcnow()
    known = await _known(conn, prepared)
    # items already known by URL, entry or exact content never need the near-duplicate lookup
    all_bands = list({b for p in prepared
                      if p.canon not in known.by_url and _entry_key(p) not in known.by_entry
                      and p.chash not in known.by_hash for b in p.bands})
    band_index = await band_candidates(conn, all_bands, now)
    plan = _plan(prepared, known, band_index, now)
    await _insert_clusters(conn, plan, now)
    await _insert_articles(conn, plan)
    await _insert_analyses(conn, plan, now)
    results = [r for r in plan.results if r is not None]
    assert len(results) == len(prepared), "every item is decided"
    return results


SAVE_BATCH_ITEMS = 500  # a shared save transaction takes queued calls until it holds about this many items


def _next_batch(queue: list[_SaveRequest]) -> list[_SaveRequest]:
    """Pop the calls for the next transaction: at least one, then more while they fit SAVE_BATCH_ITEMS."""
    batch = [queue.pop(0)]
    size = len(batch[0].prepared)
    while queue and size + len(queue[0].prepared) <= SAVE_BATCH_ITEMS:
        size += len(queue[0].prepared)
        batch.append(queue.pop(0))
    return batch


class ArticlesMixin(StoreBase):
    async def known_keys(self, feed_id: int, entry_ids: list[str], urls: list[str]) -> tuple[set[str], set[str]]:
        """Which of these entry ids (for this feed) and canonical URLs are stored already -- one round trip."""
        canon = [canonical_url(u) for u in urls if u]
        async with self.session() as s:
            ids = set((await s.execute(select(m.Article.entry_id).where(
                m.Article.feed_id == feed_id, m.Article.entry_id.in_(entry_ids)))).scalars()) if entry_ids else set()
            seen = set((await s.execute(select(m.Article.canonical_url).where(
                m.Article.canonical_url.in_(canon)))).scalars()) if canon else set()
        return {i for i in ids if i is not None}, seen

    async def save(self, article: ArticleModel, brief: Brief | None, *, feed_id: int | None = None,
                   entry_id: str | None = None, summary: str | None = None,
                   team_id: str | None = None) -> SaveResult:
        """Store one article and its brief once; see :meth:`save_many`."""
        return (await self.save_many([SaveItem(article, brief, entry_id, summary)], feed_id=feed_id,
                                     team_id=team_id))[0]

    async def save_many(self, items: list[SaveItem], *, feed_id: int | None = None,
                        team_id: str | None = None, then: Sequence[Executable] = ()) -> list[SaveResult]:
        """Store articles, each at most once, and run ``then`` in the same transaction.

        An article already stored under the same canonical URL or feed entry id is skipped; the same text
        from another source is kept as a source of the existing story (no second analysis, so partner counts
        do not double); a near-duplicate (MinHash, LSH bands) joins the existing story cluster. Every article
        saved or met again is linked to the workspaces that reached it (the feed's, or ``team_id``'s).

        Group commit (:class:`~briefings.store.base.GroupCommit`): calls arriving while a save is running are
        written together in the next transaction (many feeds polled at once commit a few times, not once each).
        A batch the database refuses is retried call by call, so one caller's bad row fails that caller only,
        and every caller's articles are committed whole or not at all.
        """
        if not items and not then:
            return []
        prepared = [_prepare(it, feed_id) for it in items]  # hashing on the caller's time, outside the lock
        fut: asyncio.Future[list[SaveResult]] = asyncio.get_running_loop().create_future()
        return await self._saves.submit(_SaveRequest(prepared, feed_id, team_id, then, fut))

    def _next_save_batch(self, queue: list[Any]) -> list[Any]:
        return _next_batch(queue)

    async def _save_round(self, batch: list[Any]) -> None:
        """One round of the save group commit: the batch in one transaction, or call by call if refused."""
        try:
            results = await self._save_batch(batch)
        except Exception as exc:
            if len(batch) == 1:
                settle(batch[0].future, error=exc)
            else:  # the shared transaction was refused: each call on its own
                for req in batch:
                    await self._save_alone(req)
            return
        start = 0
        for req in batch:
            settle(req.future, results[start:start + len(req.prepared)])
            start += len(req.prepared)

    async def _save_alone(self, req: _SaveRequest) -> None:
        try:
            settle(req.future, await self._save_batch([req]))
        except Exception as exc:
            settle(req.future, error=exc)

    async def _save_batch(self, batch: list[_SaveRequest]) -> list[SaveResult]:
        """One transaction for these calls' items (and their ``then`` statements); the results in order."""
        prepared = [p for req in batch for p in req.prepared]
        # a Core connection, not an ORM session: the batch is plain multi-row INSERTs (profiled: the ORM bulk
        # path and session close/reset were most of feed-only ingest's store time)
        async with self._save_lock, self.engine.begin() as conn:
            if self.dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SAVE_LOCK_KEY})
            results = await _insert_new(conn, prepared) if prepared else []
            start = 0
            for req in batch:
                ids = [r.article_id for r in results[start:start + len(req.prepared)]]
                await workspaces.link_saved(self, conn, req.feed_id, req.team_id, ids)
                for stmt in req.then:
                    await conn.execute(stmt)
                start += len(req.prepared)
        return results

    async def save_many_with_retry(self, items: list[SaveItem], *, feed_id: int | None = None,
                                   team_id: str | None = None, then: Sequence[Executable] = ()
                                   ) -> list[SaveResult]:
        try:
            return await self.save_many(items, feed_id=feed_id, team_id=team_id, then=then)
        except IntegrityError:
            return await self.save_many(items, feed_id=feed_id, team_id=team_id, then=then)

    # ---------------------------------------------------------------- reading
    async def count_articles(self) -> int:
        async with self.session() as s:
            return (await s.execute(select(func.count(m.Article.id)))).scalar_one()

    async def get_brief(self, article_id: int) -> StoredArticle | None:
        """The stored article and, when it was analysed, its brief (validated on read)."""
        async with self.session() as s:
            row = (await s.execute(select(m.Article, m.Analysis.brief)
                                   .join(m.Analysis, m.Analysis.article_id == m.Article.id, isouter=True)
                                   .where(m.Article.id == article_id))).first()
            return StoredArticle(row[0].id, row[0], brief_of(row[1])) if row else None

    async def brief_for_url(self, url: str) -> StoredBrief | None:
        """The stored brief of an article at this URL (canonicalised), if there is one."""
        async with self.session() as s:
            row = (await s.execute(select(m.Article, m.Analysis.brief)
                                   .join(m.Analysis, m.Analysis.article_id == m.Article.id)
                                   .where(m.Article.canonical_url == canonical_url(url)))).first()
            return stored_brief(row[0], row[1]) if row else None

    async def recent_briefs(self, limit: int = 5, *, team_id: str | None = None) -> list[StoredBrief]:
        q = (select(m.Article, m.Analysis.brief).join(m.Analysis, m.Analysis.article_id == m.Article.id)
             .order_by(m.Analysis.created_at.desc(), m.Article.id.desc()).limit(limit))
        if (seen := workspaces.visible(team_id)) is not None:  # a workspace's own and the operator's
            q = q.where(seen)
        async with self.session() as s:
            rows = (await s.execute(q)).all()
            return [stored_brief(a, b) for a, b in rows]

    async def latest(self, *, limit: int = 5, since: date | None = None,
                     labels: tuple[str, ...] = ("launch-policy",), team_id: str | None = None
                     ) -> list[LatestStory]:
        """Top recent relevant stories, one per cluster, with the story's other sources.

        Two queries whatever the limit: the candidates, then the other sources of every chosen cluster."""
        q = (select(m.Article, m.Analysis.brief, m.Analysis.relevance_score)
             .join(m.Analysis, m.Analysis.article_id == m.Article.id)
             # `|| ''` keeps the planner off the label index: walking articles newest first (published
             # index) stops after a few rows, while label-first sorted every relevant article (O(archive))
             .where((m.Analysis.relevance_label + "").in_(labels))
             .order_by(m.Article.published.desc(), m.Analysis.relevance_score.desc(), m.Article.id.desc())
             .limit(limit * 5))
        if since:
            q = q.where(m.Article.published >= since)
        if (seen := workspaces.visible(team_id)) is not None:  # the workspace's own and the operator's
            q = q.where(seen)
        async with self.session() as s:
            chosen = _one_per_cluster([(a, b) for a, b, _score in (await s.execute(q)).all()], limit)
            clusters = [a.cluster_id for a, _ in chosen if a.cluster_id is not None]
            sources: dict[int, list[tuple[int, str | None]]] = {}
            if clusters:
                for cid, aid, src in (await s.execute(
                        select(m.Article.cluster_id, m.Article.id, m.Article.source)
                        .where(m.Article.cluster_id.in_(clusters)))).all():
                    sources.setdefault(cid, []).append((aid, src))
        return [LatestStory(art, Brief.model_validate(brief),
                            tuple(sorted({src for aid, src in sources.get(art.cluster_id or 0, ())
                                          if aid != art.id and src and src != art.source})))
                for art, brief in chosen]


def _one_per_cluster(rows: list[tuple[m.Article, dict[str, Any]]], limit: int
                     ) -> list[tuple[m.Article, dict[str, Any]]]:
    """The first ``limit`` rows of distinct story clusters, in order."""
    chosen: list[tuple[m.Article, dict[str, Any]]] = []
    seen: set[int | None] = set()
    for art, brief in rows:
        if art.cluster_id in seen:
            continue
        seen.add(art.cluster_id)
        chosen.append((art, brief))
        if len(chosen) >= limit:
            break
    return chosen
