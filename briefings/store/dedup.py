"""Near-duplicates and story clusters: MinHash signatures, LSH bands, the band lookup and cluster reads.

The signature itself is computed in :mod:`.minhash`; here it is banded, stored and looked up.
"""

from __future__ import annotations

import hashlib
import json
import struct
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from briefings.store import models as m
from briefings.store.base import StoreBase, utcnow
from briefings.store.minhash import signature

NEAR_DUP_JACCARD = 0.5  # estimated Jaccard of word 3-shingles at or above which two articles are one story
CLUSTER_WINDOW = timedelta(days=14)
BANDS, ROWS = 16, 4  # 16 bands x 4 rows of a 64-value MinHash: candidates from about Jaccard 0.5 upwards
_BAND = struct.Struct("<B4I")

BandIndex = dict[int, list[tuple[int | None, list[int]]]]  # band -> [(cluster id, signature)]


def minhash_of(text_: str) -> list[int]:
    """The article's 64-value MinHash signature (see :mod:`.minhash`; same values datasketch gave)."""
    return signature(text_)


def lsh_bands(sig: list[int]) -> list[int]:
    """Stable signed 64-bit hashes of each band (same on every process, unlike hash())."""
    out = []
    for b in range(BANDS):
        digest = hashlib.blake2b(_BAND.pack(b, *sig[b * ROWS:(b + 1) * ROWS]), digest_size=8).digest()
        out.append(int.from_bytes(digest, "big", signed=True))
    return out


def _jaccard(a: list[int], b: list[int]) -> float:
    return sum(1 for x, y in zip(a, b) if x == y) / max(len(a), 1)


def band_in(dialect: str, bands: list[int]) -> Any:
    """``band IN (...)`` as one array/JSON parameter: a batch has ~16 bands per article, and an expanding
    IN of hundreds of binds cost more to compile than the lookup itself (profiled)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return m.MinhashBand.band == func.any(bindparam("bands", bands, type_=ARRAY(BigInteger)))
    return m.MinhashBand.band.in_(text("SELECT value FROM json_each(:bands)").bindparams(bands=json.dumps(bands)))


async def band_candidates(conn: AsyncConnection, bands: list[int], now: datetime,
                          per_cluster: int = 3) -> BandIndex:
    """band -> [(cluster id, signature)] of stored articles inside the clustering window sharing a band.

    Two indexed queries: the band hits as plain ints, then the signatures of at most ``per_cluster``
    articles per cluster (all best_candidate compares). Profiled under bench/ack.py: reading the JSON
    signature once per matching *band* made a story with many copies cost O(copies x 16) decodes per save,
    on the event loop."""
    if not bands:
        return {}
    hits = (await conn.execute(
        select(m.MinhashBand.band, m.MinhashBand.article_id, m.Article.cluster_id)
        .join(m.Article, m.Article.id == m.MinhashBand.article_id)
        .where(band_in(conn.dialect.name, bands), m.Article.fetched_at >= now - CLUSTER_WINDOW))).all()
    chosen: dict[int | None, list[int]] = {}
    for _band, aid, cid in hits:
        ids = chosen.setdefault(cid, [])
        if aid not in ids and len(ids) < per_cluster:
            ids.append(aid)
    wanted = [aid for ids in chosen.values() for aid in ids]
    sigs: dict[int, list[int]] = {}
    if wanted:
        sigs = {aid: sig or [] for aid, sig in (await conn.execute(
            select(m.Article.id, m.Article.minhash).where(m.Article.id.in_(wanted)))).all()}
    index: BandIndex = {}
    for band, aid, cid in hits:
        if aid in sigs:
            index.setdefault(band, []).append((cid, sigs[aid]))
    return index


async def insert_bands(conn: AsyncConnection, rows: list[tuple[int, int]]) -> None:
    """All (band, article id) rows in one driver call: one statement with two array parameters on PostgreSQL, the
    DB-API executemany on SQLite (not SQLAlchemy's per-row INSERT rendering)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        bands, ids = [r[0] for r in rows], [r[1] for r in rows]
        await conn.execute(text("INSERT INTO minhash_bands (band, article_id) "
                                "SELECT * FROM unnest(:bands, :ids)").bindparams(
            bindparam("bands", bands, type_=ARRAY(BigInteger)), bindparam("ids", ids, type_=ARRAY(Integer))))
    else:  # the driver's own executemany: its loop is in C, with no JSON to build on the event loop (profiled)
        await conn.exec_driver_sql("INSERT INTO minhash_bands (band, article_id) VALUES (?, ?)", rows)


def best_candidate(sig: list[int], bands: list[int], index: BandIndex) -> int | None:
    """Best-matching cluster among band-sharing candidates; each cluster is compared at most 3 times."""
    best, best_j = None, NEAR_DUP_JACCARD
    tried: dict[int | None, int] = {}
    for b in bands:
        for cluster_id, other in index.get(b, ()):
            if tried.get(cluster_id, 0) >= 3:
                continue
            tried[cluster_id] = tried.get(cluster_id, 0) + 1
            j = _jaccard(sig, other)
            if j >= best_j:
                best, best_j = cluster_id, j
    return best


class DedupMixin(StoreBase):
    async def near_duplicate_of(self, text_: str, *, now: datetime | None = None) -> int | None:
        """The story cluster a new article with this text would join as a near-duplicate, or None: the same
        LSH band lookup :meth:`save_many` makes (one indexed query), without storing anything."""
        sig = minhash_of(text_)
        bands = lsh_bands(sig)
        async with self.engine.connect() as conn:
            index = await band_candidates(conn, bands, now or utcnow())
        return best_candidate(sig, bands, index)

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
