"""Performance work (issue 12): the MinHash replacement, single-query reads, retention, db stats."""

from __future__ import annotations

import random
import re

from briefings.store.minhash import NUM_PERM, signature

TEXT = "Rocket Lab will launch the satellite from New Zealand next year, the agency said on Tuesday."


def _shingles(text: str) -> set[str]:
    w = re.findall(r"\w+", text.lower())
    return {" ".join(w[i:i + 3]) for i in range(max(1, len(w) - 2))}


def test_signature_keeps_the_values_stored_by_earlier_versions():
    # computed with datasketch 2.0.0 MinHash(num_perm=64, seed=7, hashfunc=zlib.crc32): archives written
    # before datasketch was dropped keep matching new articles without a re-hashing migration
    assert signature(TEXT)[:8] == [155721885, 729092925, 254976144, 188525066, 281659427, 144964302,
                                   178227649, 233747651]
    sig = signature(TEXT)
    assert len(sig) == NUM_PERM and all(isinstance(v, int) and 0 <= v < 2**32 for v in sig)
    assert signature(TEXT.upper()) == sig  # case-folded
    assert len(signature("")) == NUM_PERM and signature("") == signature("  ")


def test_ascii_fast_path_finds_the_regex_s_shingles():
    import zlib

    from briefings.store.minhash import shingle_hashes

    rng = random.Random(5)
    alphabet = "abcXYZ019_ -.,;:'\"!?()[]{}<>/\\@#$%^&*+=|~`\t\n\r\x0b\x0c\x00\x7f"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))) for _ in range(400)]
    texts += [TEXT, "a b", "one", "", "snake_case words_here and 3.14 x-ray", "Andøya Spaceport in Norway, said"]
    for text in texts:
        expected = sorted({zlib.crc32(s.encode()) for s in _shingles(text)})
        assert sorted(shingle_hashes(text).tolist()) == expected, text


def test_written_out_permutations_are_the_seeded_generator_s():
    import numpy as np

    from briefings.store import minhash

    gen = np.random.RandomState(minhash.SEED)  # how datasketch drew them
    a = gen.randint(0, 1 << 31, minhash.NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, minhash.NUM_PERM, dtype=np.uint32)
    assert minhash._A.tolist() == a.tolist() and minhash._B.tolist() == b.tolist()


def test_signature_estimates_jaccard():
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(400)]
    base = [rng.choice(vocab) for _ in range(300)]
    for keep in (1.0, 0.8, 0.5, 0.0):
        other = [w if rng.random() < keep else rng.choice(vocab) + "x" for w in base]
        a, b = " ".join(base), " ".join(other)
        true = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
        est = sum(x == y for x, y in zip(signature(a), signature(b))) / NUM_PERM
        assert abs(est - true) < 0.2, (keep, true, est)


# ------------------------------------------------------------------------------------ single-query reads
from contextlib import contextmanager  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from sqlalchemy import event  # noqa: E402

from briefings.models import Article, Brief, Partner, Relevance  # noqa: E402


@contextmanager
def count_statements(store):
    seen: list[str] = []

    def before(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", before)


def _brief(title: str, partners: list[str], label: str = "launch-policy") -> Brief:
    return Brief(title=title, source="x", url=None, published=None, language="en", tldr=None, summary=[],
                 quotes=[], people=[], event_types=[], word_count=60, sentence_count=1, engine_version="test",
                 relevance=Relevance(label=label, score=0.9),
                 partners=[Partner(name=p, kind="company", role="launch provider", evidence=[])
                           for p in partners])


async def _fill(store, n_partners: int = 12):
    """Articles on distinct days; partner k is named by articles k..n-1, so its latest is the last one and
    its mention count is n - k. Every third story also gets a syndicated copy (same text, another site)."""
    words = "launch agreement spaceport payload orbit contract booster range polar agency".split()
    for i in range(n_partners):
        text = " ".join(f"{words[(i * 7 + j) % len(words)]}{i}x{j}" for j in range(60))
        art = Article(url=f"https://site{i}.example/story-{i}", source="x", site_name=f"Site {i}",
                      title=f"Story {i}", published=date(2026, 1, 1) + timedelta(days=i), text=text)
        await store.save(art, _brief(f"Story {i}", [f"Partner {k}" for k in range(i + 1)]))
        if i % 3 == 0:
            copy = art.model_copy(update={"url": f"https://wire.example/copy-{i}", "site_name": "Wire"})
            await store.save(copy, _brief(f"Story {i}", []))


async def test_partner_stats_is_one_query_and_keeps_latest_and_filters(store):
    await _fill(store)
    with count_statements(store) as seen:
        stats = await store.partner_stats()
    assert len(seen) == 1
    by = {s.entity: s for s in stats}
    assert len(by) == 12
    for k in range(12):
        s = by[f"Partner {k}"]
        assert s.mentions == 12 - k
        assert s.latest_title == "Story 11" and s.latest_url.endswith("story-11")
        assert s.first_seen == date(2026, 1, 1) + timedelta(days=k) and s.last_seen == date(2026, 1, 12)
    assert [s.entity for s in stats][:2] == ["Partner 0", "Partner 1"]  # most mentioned first
    since = {s.entity: s.mentions for s in await store.partner_stats(since=date(2026, 1, 10))}
    assert since["Partner 0"] == 3 and since["Partner 11"] == 1
    one = await store.partner_stats(name="partner 5")  # case-insensitive
    assert [(s.entity, s.mentions, s.latest_title) for s in one] == [("Partner 5", 7, "Story 11")]


async def test_latest_is_two_queries_whatever_the_limit(store):
    await _fill(store)
    with count_statements(store) as seen:
        items = await store.latest(limit=8)
    assert len(seen) == 2
    assert [s.article.title for s in items] == [f"Story {i}" for i in range(11, 3, -1)]
    others = {s.article.title: s.also for s in items}
    assert others["Story 9"] == ("Wire",) and others["Story 6"] == ("Wire",) and others["Story 10"] == ()


async def test_near_duplicate_lookup_finds_the_story_without_storing(store):
    await _fill(store, 6)
    async with store.session() as s:
        from sqlalchemy import select

        from briefings.store import models as m

        text, cluster = (await s.execute(select(m.Article.text, m.Article.cluster_id)
                                         .where(m.Article.title == "Story 4"))).one()
    words = text.split()
    edited = " ".join(words[:50] + ["a", "wire", "update"] + words[50:])  # a lightly edited copy
    before = await store.count_articles()
    assert await store.near_duplicate_of(edited) == cluster
    assert await store.near_duplicate_of("An unrelated article about harbour dredging in the Baltic Sea.") is None
    assert await store.count_articles() == before
    # a copy older than the clustering window is not a candidate
    from datetime import UTC, datetime

    assert await store.near_duplicate_of(edited, now=datetime.now(UTC) + timedelta(days=30)) is None


# ------------------------------------------------------------------------------------------- retention
async def test_prune_keeps_briefs_partners_and_search_and_shrinks_bodies(store):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from briefings.store import models as m

    await _fill(store, 6)
    prose = " ".join(f"The launch of the rocket from the spaceport was delayed by the weather, day {k}." for k in
                     range(40))
    await store.save(Article(url="https://news.example/prose", source="x", site_name="News", title="Prose",
                             published=date(2026, 2, 1), text=prose + " Quillwort."), _brief("Prose", ["Partner 0"]))
    async with store.session() as s:
        before = {a.id: a.text for a in (await s.execute(select(m.Article))).scalars()}
    # a body-only word of story 2 (not in its title), searchable before pruning
    word = before[min(before)].split()[5]
    hits_before = [h.article_id for h in await store.search(word)]
    assert hits_before
    stats_before = {p.entity: p.mentions for p in await store.partner_stats()}

    assert await store.prune_bodies(timedelta(days=30), now=datetime.now(UTC)) == 0  # nothing that old
    pruned = await store.prune_bodies(timedelta(days=30), now=datetime.now(UTC) + timedelta(days=31))
    assert pruned == len(before)
    assert await store.prune_bodies(timedelta(days=30), now=datetime.now(UTC) + timedelta(days=31)) == 0

    async with store.session() as s:
        after = {a.id: a for a in (await s.execute(select(m.Article))).scalars()}
        bands = (await s.execute(select(func_count()).select_from(m.MinhashBand))).scalar_one()
    assert all(after[i].pruned_at is not None for i in before)
    assert sum(len(a.text) for a in after.values()) < sum(len(t) for t in before.values())
    assert bands == 0 and all(a.minhash is None for a in after.values())
    assert [h.article_id for h in await store.search(word)] == hits_before  # search still finds the body word
    assert [h.title for h in await store.search("quillwort weather")] == ["Prose"]
    assert len(after[max(before)].text) < len(before[max(before)]) / 3
    assert {p.entity: p.mentions for p in await store.partner_stats()} == stats_before
    got = await store.get_brief(min(before))
    assert got and got.brief and got.brief.title  # the brief stays
    stats = await store.db_stats()
    assert stats["articles"] == len(before) and stats["articles pruned"] == len(before)
    assert stats["partner_mentions"] > 0 and stats["database bytes"] > 0


def func_count():
    from sqlalchemy import func

    return func.count()


def test_retention_setting_defaults_to_keep_everything(monkeypatch):
    from briefings.config import Settings

    monkeypatch.delenv("LAUNCHBRIEF_RETENTION_DAYS", raising=False)
    assert Settings(_env_file=None).retention_days is None
    monkeypatch.setenv("LAUNCHBRIEF_RETENTION_DAYS", "")
    assert Settings(_env_file=None).retention_days is None
    monkeypatch.setenv("LAUNCHBRIEF_RETENTION_DAYS", "90")
    assert Settings(_env_file=None).retention_days == 90


def test_db_stats_and_prune_commands(tmp_path):
    from .test_cli import run

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert run("brief", "sample", "--save", env=env).returncode == 0
    stats = run("db", "stats", env=env)
    assert stats.returncode == 0, stats.stderr.decode()
    lines = dict(line.rsplit(None, 1) if not line.endswith("MB") else (line[:22].strip(), line[22:].strip())
                 for line in stats.stdout.decode().splitlines() if line.strip())
    assert lines["articles"] == "1" and lines["articles pruned"] == "0" and lines["database bytes"].endswith("MB")
    no_days = run("db", "prune", env=env)
    assert no_days.returncode == 1 and b"LAUNCHBRIEF_RETENTION_DAYS" in no_days.stderr
    assert b"Traceback" not in no_days.stderr
    pruned = run("db", "prune", env={**env, "LAUNCHBRIEF_RETENTION_DAYS": "0.000001"})
    assert pruned.returncode == 0 and b"pruned the bodies of 1 articles" in pruned.stdout
    after = run("db", "stats", env=env).stdout.decode()
    assert any(line.startswith("articles pruned") and line.split()[-1] == "1" for line in after.splitlines())


async def test_ingest_run_applies_retention(store):
    from datetime import UTC, datetime

    from briefings.intake.ingest import IngestOptions, Ingestor

    assert IngestOptions().retention_days is None or isinstance(IngestOptions().retention_days, float)
    await _fill(store, 3)
    later = datetime.now(UTC) + timedelta(days=40)
    await Ingestor(store, None, IngestOptions(retention_days=None), clock=lambda: later).run([])
    assert (await store.db_stats())["articles pruned"] == 0  # default: keep everything
    await Ingestor(store, None, IngestOptions(retention_days=30), clock=lambda: later).run([])
    assert (await store.db_stats())["articles pruned"] == 4


async def test_partner_stats_and_latest_cost_the_same_statements_for_many_partners_and_stories(store):
    await _fill(store, n_partners=4)
    with count_statements(store) as few:
        await store.partner_stats()
        await store.latest(limit=20)
    await _fill_more(store, start=4, stop=30)
    with count_statements(store) as many:
        stats = await store.partner_stats()
        items = await store.latest(limit=20)
    assert len(stats) == 30 and len(items) == 20  # 30 partners, 20 of 30 story clusters
    assert len(many) == len(few) == 3  # one for the partner stats, two for latest: no query per partner or story


async def _fill_more(store, start: int, stop: int):
    for i in range(start, stop):
        text = " ".join(f"word{i}x{j}" for j in range(60))
        art = Article(url=f"https://more{i}.example/story-{i}", source="x", site_name=f"More {i}", title=f"More {i}",
                      published=date(2026, 3, 1) + timedelta(days=i), text=text)
        await store.save(art, _brief(f"More {i}", [f"Partner {k}" for k in range(i + 1)]))


async def test_search_snippets_only_the_hits_shown_and_folds_copies(store):
    await _fill(store)  # 12 stories; every third has a syndicated copy on "Wire"
    word = "launch0x0"  # the first word of story 0, whose copy shares it
    with count_statements(store) as seen:
        hits = await store.search(word, limit=10)
    # PostgreSQL also sets its time limit and plan mode first
    queries = [q for q in seen if q.lstrip().upper().startswith("SELECT") and "set_config" not in q]
    assert len(queries) == 2 and "snip" not in queries[0]  # the ranking, then the snippets of the hits shown
    assert [h.title for h in hits] == ["Story 0"] and hits[0].also == ["Wire"]
    assert "*launch0x0*" in hits[0].snippet
    many = await store.search("Story", limit=3)  # every article's title matches: 3 stories, 3 snippets
    assert len(many) == 3 and all(h.snippet for h in many)
    assert await store.search(word, since=date(2026, 1, 2)) == []  # story 0 is dated 1 January


async def test_postgresql_connections_run_without_jit(pg_url):
    """JIT compilation costs more than the bot's short queries take (bench/scale.py search p95)."""
    from sqlalchemy import text

    from briefings.store.repo import Store

    store = await Store.open(pg_url)
    try:
        async with store.engine.connect() as conn:
            assert (await conn.execute(text("SHOW jit"))).scalar_one() == "off"
    finally:
        await store.close()
