"""The news archive: feeds, articles, analyses, partner history, story clusters, search.

One :class:`Store` per process; every write is its own short transaction, so a process killed at any point
leaves only whole articles behind (and the unique constraints turn a replay into a no-op).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, Integer, bindparam, delete, func, insert, or_, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased

from briefings import ENGINE_VERSION
from briefings.errors import BriefingError
from briefings.intake.feeds import canonical_url, clamp, content_hash, not_in_future
from briefings.models import Article as ArticleModel
from briefings.models import Brief
from briefings.store import models as m
from briefings.store.db import make_engine, sessionmaker, upgrade
from briefings.store.minhash import NUM_PERM, signature  # noqa: F401  (NUM_PERM re-exported)

SAVE_LOCK_KEY = 0x1A0C_B41E  # PostgreSQL advisory lock id for article saves
NEAR_DUP_JACCARD = 0.5  # estimated Jaccard of word 3-shingles at or above which two articles are one story
CLUSTER_WINDOW = timedelta(days=14)
URL_MAX = 2048  # the URL columns' length


def utcnow() -> datetime:
    return datetime.now(UTC)


def minhash_of(text_: str) -> list[int]:
    """The article's 64-value MinHash signature (see :mod:`.minhash`; same values datasketch gave)."""
    return signature(text_)


BANDS, ROWS = 16, 4  # 16 bands x 4 rows of a 64-value MinHash: candidates from about Jaccard 0.5 upwards
_BAND = struct.Struct("<B4I")


def lsh_bands(sig: list[int]) -> list[int]:
    """Stable signed 64-bit hashes of each band (same on every process, unlike hash())."""
    out = []
    for b in range(BANDS):
        digest = hashlib.blake2b(_BAND.pack(b, *sig[b * ROWS:(b + 1) * ROWS]), digest_size=8).digest()
        out.append(int.from_bytes(digest, "big", signed=True))
    return out


def search_words(text_: str) -> str:
    """A pruned body: each distinct word once, in order of first use (all that full-text search needs)."""
    seen: dict[str, None] = {}
    for w in re.findall(r"\w+", text_ or ""):
        seen.setdefault(w.lower(), None)
    return " ".join(seen)


def _jaccard(a: list[int], b: list[int]) -> float:
    return sum(1 for x, y in zip(a, b) if x == y) / max(len(a), 1)


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
class SearchHit:
    article_id: int
    title: str | None
    url: str
    source: str | None
    published: date | None
    snippet: str
    rank: float
    also: list[str] = field(default_factory=list)  # other sources of the same story


MAX_SEARCH_TERMS = 12  # distinct words a search looks for
MAX_TERM_CHARS = 40  # longer "words" are junk (or an attack), not search terms
SEARCH_TIMEOUT_S = 3.0  # PostgreSQL statement timeout for one search


def search_terms(query: str) -> tuple[list[str], bool]:
    """The words a search uses -- distinct (case-insensitively), in order, capped -- and whether any were cut."""
    seen: dict[str, str] = {}
    cut = False
    for word in re.finditer(r"\w+", query or ""):
        term = word.group(0)
        if len(term) > MAX_TERM_CHARS:
            cut = True
            continue
        key = term.lower()
        if key in seen:
            continue
        if len(seen) >= MAX_SEARCH_TERMS:
            cut = True
            break
        seen[key] = term
    return list(seen.values()), cut


class SearchResults(list[SearchHit]):
    """The hits of a search, best first, with ``cut`` set (and a plain ``note``) when the query was cut to its
    bounds or stopped by the time limit -- front ends say so rather than pretend it ran whole."""

    def __init__(self, hits: list[SearchHit] | None = None, *, cut: bool = False, note: str | None = None):
        super().__init__(hits or [])
        self.cut = cut
        self.note = note


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


class Store:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine)
        # Saving decides duplicates and clusters by reading what is stored, so saves are serialised: in this
        # process by a lock, across processes (replicas on PostgreSQL) by a transaction-scoped advisory lock.
        self._save_lock = asyncio.Lock()  # also taken by every other write: SQLite has one writer at a time
        self._group_queue: list = []
        self._group_running = False
        # group commits get a connection of their own, so a burst of reads never queues the ledger writes
        self._group_engine = make_engine(url, pool_size=1, max_overflow=0)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        store = cls(url)
        if migrate:
            await upgrade(store.engine)
        return store

    async def close(self) -> None:
        await self.engine.dispose()
        await self._group_engine.dispose()

    # ------------------------------------------------------------------ feeds
    async def add_feed(self, url: str, title: str | None = None) -> m.Feed:
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

    async def remove_feed(self, url: str) -> bool:
        async with self._save_lock, self.session() as s, s.begin():
            result = await s.execute(delete(m.Feed).where(m.Feed.url == url))
            return (result.rowcount or 0) > 0

    async def list_feeds(self) -> list[m.Feed]:
        async with self.session() as s:
            return list((await s.execute(select(m.Feed).order_by(m.Feed.id))).scalars())

    async def due_feeds(self, now: datetime | None = None) -> list[m.Feed]:
        now = now or utcnow()
        async with self.session() as s:
            q = select(m.Feed).where(or_(m.Feed.next_poll.is_(None), m.Feed.next_poll <= now)).order_by(m.Feed.id)
            return list((await s.execute(q)).scalars())

    async def feed_succeeded(self, feed_id: int, *, etag: str | None, last_modified: str | None,
                             next_poll: datetime, title: str | None = None, page_error: str | None = None) -> None:
        feeds = m.Feed.__table__
        values: dict = {"last_success": utcnow(), "consecutive_failures": 0, "next_poll": next_poll}
        if etag and len(etag) <= 500:  # a header too long to store is not worth a conditional GET
            values["etag"] = etag
        if last_modified and len(last_modified) <= 100:
            values["last_modified"] = last_modified
        title = clamp(title, 500)
        if page_error:
            values.update(last_error=page_error[:1000], last_error_at=utcnow())
        async with self._save_lock, self.engine.begin() as conn:
            await conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))
            if title:
                await conn.execute(feeds.update().where(feeds.c.id == feed_id, feeds.c.title.is_(None))
                                   .values(title=title))

    async def feed_failed(self, feed_id: int, error: str, next_poll: datetime) -> int:
        feeds = m.Feed.__table__
        async with self._save_lock, self.engine.begin() as conn:
            await conn.execute(feeds.update().where(feeds.c.id == feed_id).values(
                consecutive_failures=feeds.c.consecutive_failures + 1, last_error=error[:1000],
                last_error_at=utcnow(), next_poll=next_poll))
            return (await conn.execute(select(feeds.c.consecutive_failures).where(feeds.c.id == feed_id))
                    ).scalar_one_or_none() or 0

    # --------------------------------------------------------------- articles
    async def known_keys(self, feed_id: int, entry_ids: list[str], urls: list[str]) -> tuple[set[str], set[str]]:
        """Which of these entry ids (for this feed) and canonical URLs are stored already -- one round trip."""
        canon = [canonical_url(u) for u in urls if u]
        async with self.session() as s:
            ids = set((await s.execute(select(m.Article.entry_id).where(
                m.Article.feed_id == feed_id, m.Article.entry_id.in_(entry_ids)))).scalars()) if entry_ids else set()
            seen = set((await s.execute(select(m.Article.canonical_url).where(
                m.Article.canonical_url.in_(canon)))).scalars()) if canon else set()
        return ids, seen

    async def save(self, article: ArticleModel, brief: Brief | None, *, feed_id: int | None = None,
                   entry_id: str | None = None, summary: str | None = None) -> SaveResult:
        """Store one article and its brief once; see :meth:`save_many`."""
        return (await self.save_many([SaveItem(article, brief, entry_id, summary)], feed_id=feed_id))[0]

    async def save_many(self, items: list[SaveItem], *, feed_id: int | None = None) -> list[SaveResult]:
        """Store articles in one transaction, each at most once.

        An article already stored under the same canonical URL or feed entry id is skipped; the same text
        from another source is kept as a source of the existing story (no second analysis, so partner counts
        do not double); a near-duplicate (MinHash, LSH bands) joins the existing story cluster.
        """
        now = utcnow()
        prepared = []
        for it in items:
            url = it.article.url or it.article.source
            chash = content_hash(it.article.text)
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
            sig = minhash_of(it.article.text)
            prepared.append((it, url, canon, chash, sig, lsh_bands(sig)))
        results: list[SaveResult | None] = [None] * len(items)
        # a Core connection, not an ORM session: the batch is plain multi-row INSERTs (profiled: the ORM bulk
        # path and session close/reset were most of feed-only ingest's store time)
        async with self._save_lock, self.engine.begin() as s:
            if self.dialect == "postgresql":
                await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SAVE_LOCK_KEY})
            canons = [p[2] for p in prepared]
            by_url = {r.canonical_url: r for r in (await s.execute(
                select(m.Article.id, m.Article.cluster_id, m.Article.canonical_url)
                .where(m.Article.canonical_url.in_(canons)))).all()}
            entry_ids = [p[0].entry_id for p in prepared if p[0].entry_id]
            by_entry = {}
            if feed_id is not None and entry_ids:
                by_entry = {r.entry_id: r for r in (await s.execute(
                    select(m.Article.id, m.Article.cluster_id, m.Article.entry_id)
                    .where(m.Article.feed_id == feed_id, m.Article.entry_id.in_(entry_ids)))).all()}
            by_hash = {r.content_hash: r.cluster_id for r in (await s.execute(
                select(m.Article.content_hash, m.Article.cluster_id)
                .where(m.Article.content_hash.in_([p[3] for p in prepared])))).all()}
            # items already known by URL, entry or exact content never need the near-duplicate lookup
            all_bands = list({b for p in prepared
                              if p[2] not in by_url and p[0].entry_id not in by_entry and p[3] not in by_hash
                              for b in p[5]})
            band_index = await self._band_candidates(s, all_bands, now)

            new_rows: list[tuple[int, SaveItem, str, dict, list[int]]] = []
            new_clusters: list[str] = []
            batch_canons: set[str] = set()
            for i, (it, url, canon, chash, sig, bands) in enumerate(prepared):
                hit = by_url.get(canon)
                if hit:
                    results[i] = SaveResult(hit.id, False, hit.cluster_id, "same-url")
                    continue
                hit = by_entry.get(it.entry_id) if it.entry_id else None
                if hit:
                    results[i] = SaveResult(hit.id, False, hit.cluster_id, "same-entry")
                    continue
                if canon in batch_canons:
                    results[i] = SaveResult(-1, False, None, "same-url")
                    continue
                batch_canons.add(canon)
                cluster, reason = by_hash.get(chash), "same-content"
                if cluster is None:
                    cluster, reason = self._best_candidate(sig, bands, band_index), "near-duplicate"
                if cluster is None:  # a new story: a provisional (negative) id until the batch insert below
                    new_clusters.append(chash[:16])
                    cluster, reason = -len(new_clusters), "new"
                by_hash.setdefault(chash, cluster)
                for b in bands:  # later items in this batch can join this story too
                    band_index.setdefault(b, []).append((cluster, sig))
                # clamped to the columns (PostgreSQL enforces varchar lengths; a feed's 3,000-character
                # title must not abort its ingestion) and never dated far in the future
                row = dict(
                    canonical_url=canon, url=clamp(url, URL_MAX), feed_id=feed_id,
                    entry_id=clamp(it.entry_id, 1024), source=clamp(it.article.site_name, 500),
                    title=clamp(it.article.title, 1000),
                    published=not_in_future(it.article.published, now.date()) or now.date(),
                    text=it.article.text, content_hash=chash, language=clamp(it.article.language, 16),
                    cluster_id=cluster, minhash=sig, summary=it.summary,
                    fetched_at=now)
                new_rows.append((i, it, reason, row, bands))  # inserted below, once cluster ids are real
            if new_clusters:
                clusters = m.StoryCluster.__table__
                values = [{"first_seen": now, "signature": sig16} for sig16 in new_clusters]
                if len(set(new_clusters)) == len(new_clusters):
                    # RETURNING the key and mapping back: sort_by_parameter_order makes SQLite insert row by
                    # row (profiled: one driver round trip per row), a plain RETURNING batches them
                    by_sig = dict((await s.execute(insert(clusters).returning(clusters.c.signature, clusters.c.id),
                                                   values)).all())
                    ids = [by_sig[sig16] for sig16 in new_clusters]
                else:
                    ids = (await s.execute(insert(clusters).returning(clusters.c.id, sort_by_parameter_order=True),
                                           values)).scalars().all()
                for _, _, _, row, _ in new_rows:
                    if row["cluster_id"] is not None and row["cluster_id"] < 0:
                        row["cluster_id"] = ids[-row["cluster_id"] - 1]
            if new_rows:  # Core multi-row INSERT ... RETURNING: no ORM unit of work for a batch of rows
                arts = m.Article.__table__  # canonical URLs are unique in the batch: the key to map ids back
                by_canon = dict((await s.execute(insert(arts).returning(arts.c.canonical_url, arts.c.id),
                                                 [row for _, _, _, row, _ in new_rows])).all())
                for _, _, _, row, _ in new_rows:
                    row["id"] = by_canon[row["canonical_url"]]
            band_rows = [(b, row["id"]) for _, _, _, row, bands in new_rows for b in set(bands)]
            if band_rows:
                await self._insert_bands(s, band_rows)
            analyses, mentions = [], []
            for i, it, reason, row, _bands in new_rows:
                if it.brief is not None and reason != "same-content":
                    analyses.append(dict(article_id=row["id"], engine_version=it.brief.engine_version or ENGINE_VERSION,
                                         brief=it.brief.model_dump(mode="json"),
                                         relevance_label=it.brief.relevance.label,
                                         relevance_score=it.brief.relevance.score, created_at=now))
                    mentions.extend(dict(article_id=row["id"], entity=clamp(p.name, 300), kind=p.kind,
                                         country=p.country, role=clamp(p.role, 200), tier=p.tier,
                                         mentioned_on=row["published"])
                                    for p in it.brief.partners)
                results[i] = SaveResult(row["id"], True, row["cluster_id"], reason)
            if analyses:
                await s.execute(insert(m.Analysis.__table__), analyses)
            if mentions:
                await s.execute(insert(m.PartnerMention.__table__), mentions)
        return [r for r in results if r is not None]

    async def near_duplicate_of(self, text_: str, *, now: datetime | None = None) -> int | None:
        """The story cluster a new article with this text would join as a near-duplicate, or None: the same
        LSH band lookup :meth:`save_many` makes (one indexed query), without storing anything."""
        sig = minhash_of(text_)
        bands = lsh_bands(sig)
        async with self.engine.connect() as conn:
            index = await self._band_candidates(conn, bands, now or utcnow())
        return self._best_candidate(sig, bands, index)

    async def _band_candidates(self, conn, bands: list[int], now: datetime,
                               per_cluster: int = 3) -> dict[int, list[tuple[int, list[int]]]]:
        """band -> [(cluster id, signature)] of stored articles inside the clustering window sharing a band.

        Two indexed queries: the band hits as plain ints, then the signatures of at most ``per_cluster``
        articles per cluster (all _best_candidate compares). Profiled under bench/ack.py: reading the JSON
        signature once per matching *band* made a story with many copies cost O(copies x 16) decodes per save,
        on the event loop."""
        if not bands:
            return {}
        hits = (await conn.execute(
            select(m.MinhashBand.band, m.MinhashBand.article_id, m.Article.cluster_id)
            .join(m.Article, m.Article.id == m.MinhashBand.article_id)
            .where(self._band_in(bands), m.Article.fetched_at >= now - CLUSTER_WINDOW))).all()
        chosen: dict[int, list[int]] = {}
        for _band, aid, cid in hits:
            ids = chosen.setdefault(cid, [])
            if aid not in ids and len(ids) < per_cluster:
                ids.append(aid)
        wanted = [aid for ids in chosen.values() for aid in ids]
        sigs: dict[int, list[int]] = {}
        if wanted:
            sigs = {aid: sig or [] for aid, sig in (await conn.execute(
                select(m.Article.id, m.Article.minhash).where(m.Article.id.in_(wanted)))).all()}
        index: dict[int, list[tuple[int, list[int]]]] = {}
        for band, aid, cid in hits:
            if aid in sigs:
                index.setdefault(band, []).append((cid, sigs[aid]))
        return index

    def _band_in(self, bands: list[int]):
        """``band IN (...)`` as one array/JSON parameter: a batch has ~16 bands per article, and an expanding
        IN of hundreds of binds cost more to compile than the lookup itself (profiled)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return m.MinhashBand.band == func.any(bindparam("bands", bands, type_=ARRAY(BigInteger)))
        return m.MinhashBand.band.in_(text("SELECT value FROM json_each(:bands)").bindparams(bands=json.dumps(bands)))

    async def _insert_bands(self, conn, rows: list[tuple[int, int]]) -> None:
        """All (band, article id) rows in one statement with two parameters (not a per-row executemany)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            bands, ids = [r[0] for r in rows], [r[1] for r in rows]
            await conn.execute(text("INSERT INTO minhash_bands (band, article_id) "
                                    "SELECT * FROM unnest(:bands, :ids)").bindparams(
                bindparam("bands", bands, type_=ARRAY(BigInteger)), bindparam("ids", ids, type_=ARRAY(Integer))))
        else:
            await conn.execute(text("INSERT INTO minhash_bands (band, article_id) SELECT "
                                    "json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:rows)"),
                               {"rows": json.dumps(rows)})

    @staticmethod
    def _best_candidate(sig: list[int], bands: list[int], index: dict) -> int | None:
        """Best-matching cluster among band-sharing candidates; each cluster is compared at most 3 times."""
        best, best_j = None, NEAR_DUP_JACCARD
        tried: dict[int, int] = {}
        for b in bands:
            for cluster_id, other in index.get(b, ()):
                if tried.get(cluster_id, 0) >= 3:
                    continue
                tried[cluster_id] = tried.get(cluster_id, 0) + 1
                j = _jaccard(sig, other)
                if j >= best_j:
                    best, best_j = cluster_id, j
        return best

    async def save_many_with_retry(self, items: list[SaveItem], *, feed_id: int | None = None) -> list[SaveResult]:
        try:
            return await self.save_many(items, feed_id=feed_id)
        except IntegrityError:
            return await self.save_many(items, feed_id=feed_id)

    # ---------------------------------------------------------------- reading
    async def count_articles(self) -> int:
        async with self.session() as s:
            return (await s.execute(select(func.count(m.Article.id)))).scalar_one()

    async def search(self, query: str, *, since: date | None = None, limit: int = 10,
                     timeout: float = SEARCH_TIMEOUT_S) -> SearchResults:
        """Ranked full-text search, bounded whatever the query: at most :data:`MAX_SEARCH_TERMS` distinct words
        of at most :data:`MAX_TERM_CHARS` characters, snippets (the costly part) only for the top rows, and on
        PostgreSQL a statement timeout. ``result.cut`` says when the query was cut or stopped."""
        limit = max(1, min(limit, 50))
        terms, cut = search_terms(query)
        note = (f"only the first {MAX_SEARCH_TERMS} words (of up to {MAX_TERM_CHARS} letters each) were searched"
                if cut else None)
        if not terms:
            return SearchResults([], cut=cut, note=note)
        top = limit * 4  # a few per story: duplicates of one story are folded below
        async with self.session() as s:
            if self.dialect == "sqlite":
                match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
                since_sql = "AND a.published >= :since " if since else ""
                sql = ("SELECT a.id, a.title, a.url, a.source, a.published, a.cluster_id, "
                       "snippet(articles_fts, 1, '*', '*', '…', 16) AS snip, bm25(articles_fts, 4.0, 1.0) AS rank "
                       "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                       "WHERE articles_fts MATCH :q AND articles_fts.rowid IN ("
                       "  SELECT f.rowid FROM articles_fts f JOIN articles a ON a.id = f.rowid "
                       "  WHERE articles_fts MATCH :q " + since_sql + "ORDER BY bm25(articles_fts, 4.0, 1.0) "
                       "  LIMIT :lim) "
                       "ORDER BY rank")
                params = {"q": match, "lim": top}
            else:
                # rank every match cheaply, then highlight (ts_headline re-parses the text) only the top rows
                sql = ("SELECT t.id, t.title, t.url, t.source, t.published, t.cluster_id, "
                       "ts_headline('english', t.text, t.q, 'StartSel=*,StopSel=*,MaxWords=30,MinWords=12') AS snip, "
                       "t.rank FROM (SELECT a.id, a.title, a.url, a.source, a.published, a.cluster_id, a.text, q, "
                       "-ts_rank(a.search, q) AS rank "
                       "FROM articles a, plainto_tsquery('english', :q) q WHERE a.search @@ q " +
                       ("AND a.published >= :since " if since else "") + "ORDER BY rank LIMIT :lim) t ORDER BY t.rank")
                params = {"q": " ".join(terms), "lim": top}
                await s.execute(text(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}"))  # ms; 0 = none
            if since:
                params["since"] = since
            try:
                rows = (await s.execute(text(sql), params)).all()
            except DBAPIError as exc:
                if "statement timeout" not in str(exc) and "canceling statement" not in str(exc):
                    raise
                return SearchResults([], cut=True, note=f"the search took longer than {timeout:g} s and was "
                                                         "stopped; try fewer or rarer words")
        hits: dict[int, SearchHit] = {}
        for r in rows:
            key = r.cluster_id or -r.id
            if key in hits:
                if r.source and r.source not in hits[key].also and r.source != hits[key].source:
                    hits[key].also.append(r.source)
                continue
            published = r.published if isinstance(r.published, date) or r.published is None \
                else date.fromisoformat(str(r.published)[:10])
            hits[key] = SearchHit(r.id, r.title, r.url, r.source, published, " ".join((r.snip or "").split()),
                                  float(r.rank))
        return SearchResults(list(hits.values())[:limit], cut=cut, note=note)

    async def partner_stats(self, *, since: date | None = None, name: str | None = None) -> list[PartnerStat]:
        """Mentions per partner, with its latest article -- one query (the latest article is an indexed
        top-1 lookup per partner inside it, not a query per partner)."""
        pm, p2 = m.PartnerMention, aliased(m.PartnerMention)
        # mentioned_on is the article's published date, so the newest mention is the newest article; the
        # covering index (entity, kind, country, mentioned_on, article_id, tier) serves the GROUP BY in order
        # and each group's top-1 seek
        latest_id = (select(p2.article_id).where(p2.entity == pm.entity, p2.kind == pm.kind,
                                                 p2.country.is_not_distinct_from(pm.country))
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
        agg = agg.subquery()
        q = (select(agg, m.Article.title, m.Article.url)
             .join(m.Article, m.Article.id == agg.c.latest_id, isouter=True))
        async with self.session() as s:
            rows = (await s.execute(q)).all()
        stats = [PartnerStat(r.entity, r.kind, r.country, r.tier, r.n, r.first, r.last, r.title, r.url)
                 for r in rows]
        stats.sort(key=lambda x: (-x.mentions, x.entity))
        return stats

    async def partner_articles(self, name: str, *, since: date | None = None, limit: int = 20) -> list[tuple]:
        async with self.session() as s:
            q = (select(m.Article.id, m.Article.title, m.Article.url, m.Article.published, m.PartnerMention.role)
                 .join(m.PartnerMention, m.PartnerMention.article_id == m.Article.id)
                 .where(func.lower(m.PartnerMention.entity) == name.lower())
                 .order_by(m.Article.published.desc(), m.Article.id.desc()).limit(limit))
            if since:
                q = q.where(m.Article.published >= since)
            return list((await s.execute(q)).all())

    async def latest(self, *, limit: int = 5, since: date | None = None,
                     labels: tuple[str, ...] = ("launch-policy",)) -> list[tuple[m.Article, dict, list[str]]]:
        """Top recent relevant stories, one per cluster: (article, brief, other sources).

        Two queries whatever the limit: the candidates, then the other sources of every chosen cluster."""
        async with self.session() as s:
            q = (select(m.Article, m.Analysis.brief, m.Analysis.relevance_score)
                 .join(m.Analysis, m.Analysis.article_id == m.Article.id)
                 # `|| ''` keeps the planner off the label index: walking articles newest first (published
                 # index) stops after a few rows, while label-first sorted every relevant article (O(archive))
                 .where((m.Analysis.relevance_label + "").in_(labels))
                 .order_by(m.Article.published.desc(), m.Analysis.relevance_score.desc(), m.Article.id.desc())
                 .limit(limit * 5))
            if since:
                q = q.where(m.Article.published >= since)
            rows = (await s.execute(q)).all()
            chosen: list[tuple[m.Article, dict]] = []
            seen: set[int] = set()
            for art, brief, _score in rows:
                if art.cluster_id in seen:
                    continue
                seen.add(art.cluster_id)
                chosen.append((art, brief))
                if len(chosen) >= limit:
                    break
            clusters = [a.cluster_id for a, _ in chosen if a.cluster_id is not None]
            sources: dict[int, list[tuple[int, str | None]]] = {}
            if clusters:
                for cid, aid, src in (await s.execute(
                        select(m.Article.cluster_id, m.Article.id, m.Article.source)
                        .where(m.Article.cluster_id.in_(clusters)))).all():
                    sources.setdefault(cid, []).append((aid, src))
        return [(art, brief, sorted({src for aid, src in sources.get(art.cluster_id, ())
                                     if aid != art.id and src and src != art.source}))
                for art, brief in chosen]

    # -------------------------------------------------------------- retention and size
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
        arts = m.Article.__table__
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
                    await conn.execute(delete(m.MinhashBand.__table__).where(
                        m.MinhashBand.__table__.c.article_id.in_(ids)))
                    await conn.execute(arts.update().where(arts.c.id.in_(ids)).values(minhash=None))
                total += len(rows)
        return total

    async def db_stats(self) -> dict[str, int]:
        """Row counts of the archive's tables, pruned articles, and the database size in bytes."""
        tables = ["articles", "analyses", "partner_mentions", "story_clusters", "minhash_bands", "feeds",
                  "subscriptions", "digest_ledger", "slack_events"]
        out: dict[str, int] = {}
        async with self.engine.connect() as conn:
            for t in tables:
                out[t] = (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            out["articles pruned"] = (await conn.execute(select(func.count()).select_from(m.Article.__table__)
                                                         .where(m.Article.__table__.c.pruned_at.is_not(None)))
                                      ).scalar_one()
            out["article text bytes"] = (await conn.execute(
                select(func.coalesce(func.sum(func.length(m.Article.__table__.c.text)), 0)))).scalar_one()
            if self.dialect == "postgresql":
                out["database bytes"] = (await conn.execute(
                    text("SELECT pg_database_size(current_database())"))).scalar_one()
            else:
                pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
                size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
                out["database bytes"] = pages * size
        return out

    async def get_brief(self, article_id: int) -> tuple[m.Article, dict] | None:
        async with self.session() as s:
            row = (await s.execute(select(m.Article, m.Analysis.brief)
                                   .join(m.Analysis, m.Analysis.article_id == m.Article.id, isouter=True)
                                   .where(m.Article.id == article_id))).first()
            return (row[0], row[1]) if row else None

    async def brief_for_url(self, url: str) -> tuple[int, dict] | None:
        """The stored brief of an article at this URL (canonicalised), if there is one."""
        async with self.session() as s:
            row = (await s.execute(select(m.Article.id, m.Analysis.brief)
                                   .join(m.Analysis, m.Analysis.article_id == m.Article.id)
                                   .where(m.Article.canonical_url == canonical_url(url)))).first()
            return (row[0], row[1]) if row else None

    async def recent_briefs(self, limit: int = 5) -> list[tuple[m.Article, dict]]:
        async with self.session() as s:
            rows = (await s.execute(select(m.Article, m.Analysis.brief)
                                    .join(m.Analysis, m.Analysis.article_id == m.Article.id)
                                    .order_by(m.Analysis.created_at.desc(), m.Article.id.desc()).limit(limit))).all()
            return [(a, b) for a, b in rows]

    async def claim_event(self, event_id: str) -> bool:
        """Record a Slack event id; False when it was seen before (a retry): the caller then does nothing."""
        try:
            async with self._save_lock, self.session() as s, s.begin():
                s.add(m.SlackEvent(event_id=event_id, received_at=utcnow()))
            return True
        except IntegrityError:
            return False

    async def prune_events(self, older_than: timedelta = timedelta(days=2)) -> int:
        """Forget processed event ids older than Slack's retry window (it retries for minutes, not days)."""
        async with self._save_lock, self.session() as s, s.begin():
            result = await s.execute(delete(m.SlackEvent).where(m.SlackEvent.received_at < utcnow() - older_than))
            return result.rowcount or 0

    async def subscriptions(self, team_id: str | None = None) -> list[m.Subscription]:
        async with self.session() as s:
            q = select(m.Subscription).order_by(m.Subscription.id)
            if team_id:
                q = q.where(m.Subscription.team_id == team_id)
            return list((await s.execute(q)).scalars())

    # ---------------------------------------------------------- subscriptions and the digest ledger
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

    async def update_subscription(self, sub_id: int, **values) -> m.Subscription | None:
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

    async def _group_commit(self, work) -> object:
        """Run ``work(conn)`` in a transaction shared with every other call queued meanwhile (group commit).

        Many digests due at once each claim and confirm a ledger row; one transaction per batch instead of
        one per row keeps the fan-out from queueing on the database. Each call still gets its own result,
        or its own exception.
        """
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._group_queue.append((work, fut))
        if not self._group_running:
            self._group_running = True
            asyncio.ensure_future(self._group_flush())
        return await fut

    async def _group_flush(self) -> None:
        try:
            while self._group_queue:
                batch, self._group_queue = self._group_queue, []
                results: list[tuple[asyncio.Future, object, BaseException | None]] = []
                try:
                    async with self._save_lock, self._group_engine.begin() as conn:
                        for work, fut in batch:
                            try:
                                async with conn.begin_nested():  # a failing call rolls back only itself
                                    results.append((fut, await work(conn), None))
                            except IntegrityError as exc:
                                results.append((fut, None, exc))
                except Exception as exc:  # the whole batch failed to commit: every caller hears it
                    results = [(fut, None, exc) for _, fut in batch]
                for fut, value, exc in results:
                    if fut.done():
                        continue
                    if exc is not None:
                        fut.set_exception(exc)
                    else:
                        fut.set_result(value)
        finally:
            self._group_running = False

    async def claim_slot(self, sub: m.Subscription, slot_key: str, slot_at: datetime, run_id: str, *,
                         state: str = "claimed", catching_up: bool = False, note: str | None = None
                         ) -> m.DigestLedger | None:
        """Insert the ledger row for (subscription, slot); None when another run claimed it first."""
        now = utcnow()
        values = {"subscription_id": sub.id, "slot_key": slot_key, "slot_at": slot_at, "run_id": run_id,
                  "state": state, "catching_up": catching_up, "channel_id": sub.channel_id, "claimed_at": now,
                  "updated_at": now, "note": note}

        async def work(conn):
            return (await conn.execute(insert(m.DigestLedger).returning(m.DigestLedger.id), values)).scalar_one()

        try:
            row_id = await self._group_commit(work)
        except IntegrityError:
            return None
        return m.DigestLedger(id=row_id, **values)

    async def ledger_done(self, row_id: int, *, state: str, message_ts: str | None = None,
                          cursor_to: int | None = None, note: str | None = None) -> None:
        """Record the outcome; a posted digest moves the subscription's cursor in the same transaction."""
        ledger = m.DigestLedger.__table__
        subs = m.Subscription.__table__
        values = {"state": state, "updated_at": utcnow()}
        if message_ts:
            values["message_ts"] = message_ts
        if note:
            values["note"] = note
        if cursor_to is not None:
            values["cursor_to"] = cursor_to

        async def work(conn):
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
                m.DigestLedger.__table__.update()
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

    async def digest_rows(self, cursor: int, limit: int = 200) -> list[tuple[m.Article, dict]]:
        """Relevant analysed articles stored after ``cursor`` (article id), oldest first."""
        async with self.session() as s:
            rows = (await s.execute(
                select(m.Article, m.Analysis.brief).join(m.Analysis, m.Analysis.article_id == m.Article.id)
                .where(m.Article.id > cursor, m.Analysis.relevance_label == "launch-policy")
                .order_by(m.Article.id).limit(limit))).all()
            return [(a, b) for a, b in rows]

    async def partners_seen_before(self, cursor: int, names: list[str]) -> set[str]:
        if not names:
            return set()
        async with self.session() as s:
            return set((await s.execute(select(m.PartnerMention.entity).distinct().where(
                m.PartnerMention.article_id <= cursor, m.PartnerMention.entity.in_(names)))).scalars())

    async def cluster_sources(self, cluster_id: int) -> list[str]:
        async with self.session() as s:
            return list((await s.execute(select(m.Article.url).where(m.Article.cluster_id == cluster_id)
                                         .order_by(m.Article.id))).scalars())

    async def cluster_articles(self, cluster_ids: set[int], *, after_id: int = 0) -> list[m.Article]:
        """Articles of these story clusters stored after ``after_id``, analysed or not (the digest picks each
        cluster's original among them)."""
        if not cluster_ids:
            return []
        async with self.session() as s:
            return list((await s.execute(select(m.Article).where(m.Article.cluster_id.in_(sorted(cluster_ids)),
                                                                 m.Article.id > after_id)
                                         .order_by(m.Article.id))).scalars())
