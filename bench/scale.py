"""A year of news: how reads behave as the archive grows to 100,000 articles, on SQLite and PostgreSQL.

Builds a synthetic but realistic archive -- bodies assembled from the shared corpus's news texts (sentences of
several articles, names varied), dates spread over the last year in arrival order, partner mentions drawn
from a long-tailed (Zipf) list of knowledge-base and invented names, 20 % of articles in near-duplicate
clusters (edited copies on other sites) -- bulk-loaded with Core INSERTs in batches (no analysis), then at
each size measures through the real ``Store`` methods:

  search p50/p95 (common terms, rare terms, long queries), latest, partners (all, one, --since), building a
  digest of 200 new stories, the near-duplicate lookup for a new article, and the database size;

and prints the growth from the second-largest to the largest size for each (10k -> 100k by default).
Goals at 100k: search p95 <= 50 ms, latest and partners <= 100 ms, digest <= 200 ms, near-duplicate lookup
<= 5 ms, each growing <= 3x from 10k to 100k.

PostgreSQL: a fresh database on LAUNCHBRIEF_TEST_PG's server (default 127.0.0.1:5432, admin db `test`),
dropped afterwards. The corpus is ../shared/corpus (or LAUNCHBRIEF_SHARED/corpus); without it the bench
says so and exits.

Usage: python bench/scale.py [--sizes 1000,10000,100000] [--db sqlite,postgresql] [--reps 7]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import glob
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from briefings.digests.build import build_digest  # noqa: E402
from briefings.intake.feeds import content_hash  # noqa: E402
from briefings.store import models as m  # noqa: E402
from briefings.store.partners import add_to_totals  # noqa: E402
from briefings.store.repo import Store, lsh_bands, minhash_of  # noqa: E402

GOALS = {"search": 50.0, "latest": 100.0, "partners": 100.0, "digest": 200.0, "near-dup": 5.0}
PG_ADMIN = os.environ.get("LAUNCHBRIEF_TEST_PG", f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test")
SITES = [f"{w} {k}" for w in ("Orbital Times", "Launch Wire", "Space Desk", "Policy Review", "Defence Daily",
                              "Nordic Space", "Asia Launch", "Pacific Orbit", "Euro Space News", "Wire")
         for k in ("News", "Online", "Daily", "Today", "Weekly", "Journal")]
LABELS = [("launch-policy", 0.4), ("space-adjacent", 0.4), ("off-topic", 0.2)]
EVENTS = ["partnership/agreement", "contract award", "licence/regulation", "spaceport", "launch outcome",
          "budget/policy"]


# ---------------------------------------------------------------------------------------------- corpus
def corpus_dir() -> Path | None:
    for base in (os.environ.get("LAUNCHBRIEF_SHARED"), ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if base and (Path(base) / "corpus").is_dir():
            return Path(base) / "corpus"
    return None


def corpus_texts(corpus: Path) -> list[str]:
    texts = []
    for path in glob.glob(str(corpus / "**" / "*.jsonl"), recursive=True):
        for line in open(path, encoding="utf-8"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            body = rec.get("text") or rec.get("article")
            if isinstance(body, str) and len(body) > 400:
                # space news three times over: the archive is mostly launch news, with general news mixed in
                texts.extend([body] * (3 if "space_news" in path else 1))
    for path in glob.glob(str(corpus / "dev_news" / "*.json")):
        try:
            body = json.load(open(path, encoding="utf-8")).get("text")
        except (ValueError, AttributeError):
            continue
        if isinstance(body, str):
            texts.append(body)
    return texts


def kb_names() -> list[tuple[str, str, str | None]]:
    out = []
    for path, kind in (("providers.toml", "company"), ("organisations.toml", "agency"),
                       ("spaceports.toml", "spaceport")):
        src = (ROOT / "briefings" / "analysis" / "kb" / path).read_text(encoding="utf-8")
        for name in re.findall(r'^name = "([^"]+)"', src, re.M):
            out.append((name, kind, None))
    return out


class Generator:
    """Deterministic synthetic articles. Article ``i`` is always the same, whatever the sizes asked."""

    def __init__(self, texts: list[str], total: int, seed: int = 12):
        self.rng = random.Random(seed)
        self.sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if 30 < len(s) < 400]
        self.total = total
        names = kb_names()
        tail = [(f"{a} {b}", kind, c) for a in ("Astra", "Nova", "Polar", "Vega", "Orion", "Kestrel", "Lyra",
                                                "Helix", "Aurora", "Zenith", "Boreal", "Meridian")
                for b in ("Launch", "Orbital", "Space Agency", "Spaceport", "Aerospace", "Dynamics", "Systems",
                          "Rocketry", "Space Command", "Launch Services")
                for kind, c in [("company", "US")]]
        tail += [(f"Startup {k}", "company", None) for k in range(2000)]  # the long tail
        self.entities = names + tail
        # Zipf weights: a few partners in most stories, thousands named once or twice
        self.weights = [1 / (k + 1) ** 1.1 for k in range(len(self.entities))]
        self.cum = []
        acc = 0.0
        for w in self.weights:
            acc += w
            self.cum.append(acc)
        self.today = date.today()
        self._origins: dict[int, int] = {}

    def origin(self, k: int) -> int:
        """The story article ``k`` is a copy of (itself if original): about 8 % of original stories are
        followed by 1-3 edited copies, so ~20 % of articles sit in near-duplicate clusters."""
        if k in self._origins:
            return self._origins[k]
        out = k
        for back in (1, 2, 3):
            j = k - back
            if j >= 0 and self.origin(j) == j and random.Random(j).random() < 0.077 \
                    and random.Random(j * 31).randint(1, 3) >= back:
                out = j
                break
        self._origins[k] = out
        return out

    def _entity(self, rng: random.Random) -> tuple[str, str, str | None]:
        x = rng.random() * self.cum[-1]
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.entities[lo]

    def story(self, i: int) -> dict:
        """A story: title, body, partners, label; ids in arrival order spread over the last 365 days."""
        rng = random.Random(i * 7919 + 1)
        n = rng.randint(12, 40)
        start = rng.randrange(len(self.sentences))
        body = [self.sentences[(start + k) % len(self.sentences)] for k in range(n // 2)]
        body += rng.sample(self.sentences, n - n // 2)  # mixed in from other articles
        partners = [] if rng.random() < 0.25 else list({self._entity(rng) for _ in range(rng.randint(1, 6))})
        names = [p[0] for p in partners]
        for k, nm in enumerate(names[:3]):  # the partners are named in the text
            body.insert(min(len(body), 1 + 3 * k), f"{nm} is expected to sign the agreement, officials said.")
        if rng.random() < 0.002:  # rare terms: a handful of stories each
            body.append(f"The codename was rarity{rng.randint(0, 40)}.")
        day = self.today - timedelta(days=365 * (self.total - i) / self.total)
        label = rng.choices([lbl for lbl, _ in LABELS], [w for _, w in LABELS])[0]
        title = f"{names[0] + ': ' if names else ''}{body[0][:90]}"
        return {"title": title, "sentences": body, "partners": partners, "published": day, "label": label,
                "site": rng.choice(SITES), "events": rng.sample(EVENTS, rng.randint(0, 2)),
                "score": round(rng.random(), 3), "hour": rng.randint(0, 23)}


def brief_json(st: dict, url: str) -> dict:
    sents = st["sentences"]
    return {"title": st["title"], "source": url, "url": url, "published": st["published"].isoformat(),
            "author": None, "site_name": st["site"], "language": "en",
            "tldr": {"index": 0, "text": sents[0]}, "summary": [{"index": k, "text": s} for k, s in
                                                              enumerate(sents[:4])],
            "partners": [{"name": n, "kind": k, "country": c, "role": "launch provider", "tier": None,
                          "evidence": [{"index": 1, "text": sents[min(1, len(sents) - 1)]}], "mentions": 1,
                          "kb": None} for n, k, c in st["partners"]],
            "quotes": [], "people": [], "relevance": {"label": st["label"], "score": st["score"]},
            "event_types": st["events"], "word_count": sum(len(s.split()) for s in sents),
            "sentence_count": len(sents), "engine_version": "bench"}


async def bulk_load(store: Store, gen: Generator, start: int, stop: int, batch: int = 500) -> None:
    """Articles ``start``..``stop-1`` (ids = position + 1) with clusters, bands, analyses, mentions."""
    now = datetime.now(UTC)
    i = start
    while i < stop:
        arts, clusters, bands, analyses, mentions = [], [], [], [], []
        j = min(stop, i + batch)
        for k in range(i, j):
            rng = random.Random(k)
            # about 8 % of stories come back as 1-3 edited copies: ~20 % of articles are in such clusters
            origin = gen.origin(k)
            st = gen.story(origin)
            sents = list(st["sentences"])
            if origin != k:  # an edited copy on another site, a few hours later
                sents[rng.randrange(len(sents))] = f"The report was updated by {rng.choice(SITES)} on day {k}."
                sents.append("This story was syndicated from a wire service.")
                st = {**st, "site": rng.choice(SITES)}
            body = " ".join(sents)
            url = f"https://{st['site'].lower().replace(' ', '')}.example/{st['published']:%Y/%m}/story-{k}"
            fetched = datetime.combine(st["published"], datetime.min.time(), UTC) + timedelta(hours=st["hour"])
            fetched = min(fetched, now - timedelta(minutes=k % 600))
            cluster_id = origin + 1
            if origin == k:
                clusters.append({"id": cluster_id, "first_seen": fetched, "signature": content_hash(body)[:16]})
            sig = minhash_of(body)
            arts.append({"id": k + 1, "canonical_url": url, "url": url, "feed_id": None, "entry_id": None,
                         "source": st["site"], "title": st["title"], "published": st["published"], "text": body,
                         "content_hash": content_hash(body), "language": "en", "cluster_id": cluster_id,
                         "minhash": sig, "summary": None, "fetched_at": fetched})
            bands.extend({"band": b, "article_id": k + 1} for b in set(lsh_bands(sig)))
            analyses.append({"article_id": k + 1, "engine_version": "bench", "brief": brief_json(st, url),
                             "relevance_label": st["label"], "relevance_score": st["score"], "created_at": fetched})
            mentions.extend({"article_id": k + 1, "entity": n, "kind": kind, "country": c, "role": "launch provider",
                             "tier": None, "mentioned_on": st["published"]} for n, kind, c in st["partners"])
        async with store.engine.begin() as conn:
            if clusters:
                await conn.execute(insert(m.StoryCluster.__table__), clusters)
            await conn.execute(insert(m.Article.__table__), arts)
            await conn.execute(insert(m.MinhashBand.__table__), bands)
            await conn.execute(insert(m.Analysis.__table__), analyses)
            if mentions:
                await conn.execute(insert(m.PartnerMention.__table__), mentions)
                await add_to_totals(conn, mentions)  # what the store's save does with every mention
        i = j
    if store.dialect == "postgresql":  # keep the id sequences ahead of the explicit ids
        async with store.engine.begin() as conn:
            for table in ("articles", "story_clusters", "analyses", "partner_mentions"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            await conn.execute(text("ANALYZE"))  # what autovacuum does after a bulk load


# ------------------------------------------------------------------------------------------ measuring
def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))]


async def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def db_size(store: Store, path: str | None) -> float:
    if store.dialect == "postgresql":
        async with store.engine.connect() as conn:
            return (await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one() / 1e6
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 1e6


async def measure(store: Store, gen: Generator, n: int, reps: int, path: str | None) -> dict[str, float]:
    rng = random.Random(n)
    common = ["launch", "satellite launch", "SpaceX Falcon", "rocket", "agreement", "space agency"]
    rare = [f"rarity{k}" for k in rng.sample(range(41), 6)]
    long_q = [" ".join(rng.choice(gen.sentences).split()[:12]) for _ in range(6)]
    res: dict[str, float] = {}
    allq: list[float] = []
    for name, queries in (("common", common), ("rare", rare), ("long", long_q)):
        times: list[float] = []
        for q in queries:
            times += await timed(lambda q=q: store.search(q, limit=10), max(2, reps // 2))
        res[f"search {name} p50"] = statistics.median(times)
        res[f"search {name} p95"] = pct(times, 95)
        allq += times
    res["search p95 (all)"] = pct(allq, 95)
    res["latest"] = statistics.median(await timed(lambda: store.latest(limit=5), reps))
    res["partners all"] = statistics.median(await timed(lambda: store.partner_stats(), reps))
    top = gen.entities[0][0]
    tail = gen.entities[len(gen.entities) // 3][0]
    res["partners one"] = statistics.median(await timed(lambda: store.partner_stats(name=top), reps)
                                            + await timed(lambda: store.partner_stats(name=tail), reps))
    # the last 30 days of this archive (its newest story's date, not today: at 10k the archive is the year's
    # first five weeks, so "today - 30 days" found nothing there and all of them at 100k)
    since = gen.story(n - 1)["published"] - timedelta(days=30)
    res["partners --since"] = statistics.median(await timed(lambda: store.partner_stats(since=since), reps))
    # a digest of 200 new stories: the cursor sits 200 relevant stories before the end
    async with store.engine.connect() as conn:
        cursor = (await conn.execute(
            select(m.Analysis.article_id).where(m.Analysis.relevance_label == "launch-policy")
            .order_by(m.Analysis.article_id.desc()).offset(200).limit(1))).scalar_one_or_none() or 0
    sub = SimpleNamespace(cursor_article_id=cursor, filters=None, channel_id="C1", schedule_text="daily")
    res["digest (200 stories)"] = statistics.median(await timed(lambda: build_digest(store, sub), reps))
    # near-duplicate lookup for a new article: an edited copy of a recent story, and a new story
    recent = gen.story(n - 5)
    copy = " ".join(recent["sentences"][:-1] + ["An editor's note was added."])
    fresh = " ".join(gen.story(n + 10_000_000)["sentences"])
    res["near-dup lookup"] = statistics.median(await timed(lambda: store.near_duplicate_of(copy), reps)
                                               + await timed(lambda: store.near_duplicate_of(fresh), reps))
    res["db size MB"] = await db_size(store, path)
    return res


def goal_of(metric: str) -> float | None:
    if metric.startswith("search") and "p95" in metric:
        return GOALS["search"]
    if metric == "latest":
        return GOALS["latest"]
    if metric.startswith("partners"):
        return GOALS["partners"]
    if metric.startswith("digest"):
        return GOALS["digest"]
    if metric.startswith("near-dup"):
        return GOALS["near-dup"]
    return None


async def run_db(kind: str, sizes: list[int], reps: int, texts: list[str]) -> dict[int, dict[str, float]]:
    gen = Generator(texts, max(sizes))
    pg_name = None
    path = None
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="lbscale-")
        path = os.path.join(tmp, "scale.sqlite3")
        url = f"sqlite+aiosqlite:///{path}"
    else:
        import asyncpg

        pg_name = f"lbscale_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
        await admin.execute(f'CREATE DATABASE "{pg_name}"')
        await admin.close()
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + pg_name
    out: dict[int, dict[str, float]] = {}
    store = await Store.open(url)
    try:
        loaded = 0
        for n in sizes:
            t0 = time.perf_counter()
            await bulk_load(store, gen, loaded, n)
            print(f"[{kind}] loaded {loaded}->{n} articles in {time.perf_counter() - t0:.1f} s", flush=True)
            loaded = n
            out[n] = await measure(store, gen, n, reps, path)
            print(f"[{kind}] {n}: " + ", ".join(f"{k}={v:.1f}" for k, v in out[n].items()), flush=True)
    finally:
        await store.close()
        if pg_name:
            import asyncpg

            admin = await asyncpg.connect(PG_ADMIN, timeout=5)
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await admin.close()
        if path:
            for p in (path, path + "-wal", path + "-shm"):
                if os.path.exists(p):
                    os.remove(p)
    return out


def report(kind: str, sizes: list[int], res: dict[int, dict[str, float]]) -> list[str]:
    misses = []
    print(f"\n== {kind}: milliseconds (median unless p95), size in MB ==")
    head = f"{'metric':<24}" + "".join(f"{n:>10,}" for n in sizes)
    grow = len(sizes) >= 2
    if grow:
        head += f"{'growth':>9}"
    print(head + f"{'goal':>8}  verdict")
    for metric in res[sizes[0]]:
        row = f"{metric:<24}" + "".join(f"{res[n][metric]:>10.1f}" for n in sizes)
        g = goal_of(metric)
        verdict = ""
        if grow:
            a, b = res[sizes[-2]][metric], res[sizes[-1]][metric]
            ratio = b / a if a > 0 else float("nan")
            row += f"{ratio:>8.2f}x"
            if g is not None and ratio > 3:
                verdict += f" grows {ratio:.1f}x > 3x"
        if g is not None:
            row += f"{g:>8.0f}"
            if res[sizes[-1]][metric] > g:
                verdict += " over goal"
            verdict = verdict or " ok"
        else:
            row += f"{'':>8}"
        if verdict.strip() not in ("", "ok"):
            misses.append(f"{kind} {metric}:{verdict}")
        print(row + " " + verdict)
    if grow:
        print(f"(growth = {sizes[-1]:,} / {sizes[-2]:,})")
    return misses


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated archive sizes, ascending")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    sizes = sorted({int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()})
    corpus = corpus_dir()
    if corpus is None:
        print("skipped: the shared corpus (../shared/corpus or LAUNCHBRIEF_SHARED) is absent")
        return 0
    texts = corpus_texts(corpus)
    print(f"corpus: {len(texts)} texts from {corpus}; sizes {sizes}; databases {args.db}", flush=True)
    misses: list[str] = []
    skipped: list[str] = []
    for kind in [d.strip() for d in args.db.split(",") if d.strip()]:
        try:
            res = await run_db(kind, sizes, args.reps, texts)
        except OSError as exc:
            print(f"{kind}: skipped ({exc})")
            skipped.append(kind)
            continue
        misses += report(kind, sizes, res)
    if skipped:  # a database that could not be measured met no goal
        print("\nnot measured: " + ", ".join(skipped))
    if misses:
        print("\nmissed:\n  " + "\n  ".join(misses))
    elif not skipped:
        print("\nall goals met")
    return 1 if skipped else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
