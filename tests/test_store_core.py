"""The store's own machinery: the facade keeps its names, and the digest ledger's group commit is owned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from briefings.store.repo import Store


def test_facade_reexports_the_names_callers_import():
    from briefings.store import repo
    from briefings.store.articles import SaveItem
    from briefings.store.partners import PartnerStat
    from briefings.store.search import search_terms

    assert repo.SaveItem is SaveItem and repo.PartnerStat is PartnerStat and repo.search_terms is search_terms
    for name in ("search", "save_many", "partner_stats", "latest", "claim_slot", "claim_event", "add_feed",
                 "near_duplicate_of", "prune_bodies", "digest_rows", "get_brief"):
        assert callable(getattr(Store, name)), name


async def test_close_waits_for_a_queued_ledger_write(db_url):
    store = await Store.open(db_url)
    sub = await store.upsert_subscription("T1", "C1", cron="0 9 * * *", timezone="UTC", text="daily at 9")
    claim = asyncio.create_task(store.claim_slot(sub, "2026-01-05T09:00", datetime(2026, 1, 5, 9, tzinfo=UTC),
                                                 "run-1"))
    await asyncio.sleep(0)  # the claim is queued and its flush task started, not finished
    task = store._ledger_writes.task
    assert task is not None and not task.done()  # the store holds the task
    await store.close()
    assert store._ledger_writes.task is None and task.done()
    assert claim.done() and (await claim) is not None  # close() waited for the flush: the claim committed
    again = await Store.open(db_url)
    try:
        assert [r.run_id for r in await again.ledger(sub.id)] == ["run-1"]
    finally:
        await again.close()


async def test_reads_return_validated_briefs_and_typed_rows(store):
    from briefings.models import Article, Brief
    from briefings.store.repo import LatestStory, StoredArticle, StoredBrief

    from .test_perf import _brief

    body = " ".join(f"orbit{j} launch{j}" for j in range(40))
    saved = await store.save(Article(url="https://a.example/one", source="x", title="One", text=body),
                             _brief("One", ["Rocket Lab"]))
    bare = await store.save(Article(url="https://b.example/two", source="x", title="Two", text=body + " extra words"),
                            None)  # stored without analysis
    got = await store.get_brief(saved.article_id)
    assert isinstance(got, StoredArticle) and isinstance(got.brief, Brief)
    assert got.article_id == saved.article_id == got.article.id and got.brief.partners[0].name == "Rocket Lab"
    unanalysed = await store.get_brief(bare.article_id)
    assert unanalysed is not None and unanalysed.brief is None and unanalysed.article.title == "Two"
    by_url = await store.brief_for_url("https://a.example/one?utm_source=x")  # canonicalised
    assert isinstance(by_url, StoredBrief) and by_url.brief.title == "One"
    [recent] = await store.recent_briefs(5)
    assert recent.article_id == saved.article_id and isinstance(recent.brief, Brief)
    [story] = await store.latest(limit=5)
    assert isinstance(story, LatestStory) and story.brief.relevance.label == "launch-policy"
    [row] = await store.digest_rows(0)
    assert row.article.id == saved.article_id and row.brief.partners[0].role == "launch provider"
    [pa] = await store.partner_articles("rocket lab")
    assert (pa.id, pa.title, pa.role) == (saved.article_id, "One", "launch provider")


def _text(n: int) -> str:
    return " ".join(f"word{n}x{j} launch{j}" for j in range(30))


def _item(url: str, n: int, entry: str | None = None):
    from briefings.models import Article
    from briefings.store.repo import SaveItem

    return SaveItem(Article(url=url, source=url, title=f"T{n}", text=_text(n)), None, entry)


async def test_concurrent_saves_share_one_transaction_and_each_gets_its_own_results(store):
    from sqlalchemy import event

    a = await store.add_feed("https://a.example/feed")
    b = await store.add_feed("https://b.example/feed")
    commits: list[int] = []
    event.listen(store.engine.sync_engine, "commit", lambda conn: commits.append(1))
    first, second, third = await asyncio.gather(
        store.save_many([_item("https://a.example/1", 1, "a1"), _item("https://a.example/2", 2, "a2")],
                        feed_id=a.id),
        store.save_many([_item("https://b.example/1", 3, "b1")], feed_id=b.id),
        # the same page reached through feed b in the same batch: met again, with the real id
        store.save_many([_item("https://a.example/1?utm_source=b", 1, "b2")], feed_id=b.id))
    assert [r.created for r in first] == [True, True] and [r.created for r in second] == [True]
    assert third[0].created is False and third[0].reason == "same-url"
    assert third[0].article_id == first[0].article_id and third[0].article_id > 0
    assert len(commits) <= 2  # the first call's transaction, then the two queued meanwhile together
    assert await store.count_articles() == 3
    again = await store.save_many([_item("https://b.example/1", 3, "b1")], feed_id=b.id)
    assert again[0].created is False and again[0].article_id == second[0].article_id


async def test_a_refused_batch_is_retried_call_by_call_so_only_the_bad_call_fails(store):
    from sqlalchemy import text as sql

    feed = await store.add_feed("https://c.example/feed")
    bad = [sql("INSERT INTO feeds (id, url, consecutive_failures) VALUES (:i, 'dup', 0)").bindparams(i=feed.id)]
    good1, refused, good2 = await asyncio.gather(
        store.save_many([_item("https://c.example/1", 11)], feed_id=feed.id),
        store.save_many([_item("https://c.example/2", 12)], feed_id=feed.id, then=bad),  # primary key clash
        store.save_many([_item("https://c.example/3", 13)], feed_id=feed.id),
        return_exceptions=True)
    assert isinstance(refused, Exception)
    assert not isinstance(good1, BaseException) and good1[0].created
    assert not isinstance(good2, BaseException) and good2[0].created
    assert await store.count_articles() == 2  # the refused call's article was rolled back with it
    _, stored = await store.known_keys(feed.id, [], ["https://c.example/1", "https://c.example/2"])
    assert stored == {"https://c.example/1"}


async def test_a_feed_poll_commits_its_etag_with_its_entries(store):
    from briefings.store.feeds import feed_success

    feed = await store.add_feed("https://d.example/feed")
    await store.save_many([_item("https://d.example/1", 21, "d1")], feed_id=feed.id,
                          then=feed_success(feed.id, etag='"v2"', last_modified=None,
                                            next_poll=datetime(2030, 1, 1, tzinfo=UTC), title="D feed"))
    [row] = [f for f in await store.list_feeds() if f.id == feed.id]
    assert row.etag == '"v2"' and row.title == "D feed" and row.consecutive_failures == 0


async def test_partner_totals_agree_with_aggregating_the_mentions(store):
    """The running totals (unscoped list, one partner) equal an aggregate of every mention, across batches,
    same-day ties, unknown countries and tiers."""
    import random
    from datetime import date, timedelta

    from briefings.models import Article, Brief, Partner, Relevance
    from briefings.store.repo import SaveItem

    rng = random.Random(5)
    names = [("Rocket Lab", "NZ", "established"), ("Arianespace", "FR", None), ("Orbex", None, "emerging"),
             ("Startup 7", None, None), ("JAXA", "JP", "established")]

    def brief(i: int) -> Brief:
        chosen = rng.sample(names, rng.randint(1, 3))
        return Brief(title=f"S{i}", source="x", url=None, published=None, language="en", tldr=None, summary=[],
                     quotes=[], people=[], event_types=[], word_count=60, sentence_count=1, engine_version="t",
                     relevance=Relevance(label="launch-policy", score=0.5),
                     partners=[Partner(name=n, kind="agency" if n == "JAXA" else "company", country=c, tier=t,
                                       role="launch provider", evidence=[]) for n, c, t in chosen])

    for batch in range(4):
        items = [SaveItem(Article(url=f"https://p{batch}.example/{i}", source="x", title=f"S{i}",
                                  published=date(2026, 3, 1) + timedelta(days=rng.randint(0, 5)),
                                  text=" ".join(f"w{batch}x{i}x{j}" for j in range(40))), brief(i))
                 for i in range(12)]
        await store.save_many(items)
    totals = await store.partner_stats()
    aggregated = await store.partner_stats(since=date(2000, 1, 1))  # the mention-aggregating path
    assert totals and [vars(t) for t in totals] == [vars(a) for a in aggregated]
    [one] = await store.partner_stats(name="rocket lab")
    assert vars(one) == next(vars(a) for a in aggregated if a.entity == "Rocket Lab")


async def test_a_query_matching_more_than_the_window_ranks_the_newest_matches(store, monkeypatch):
    from briefings.models import Article
    from briefings.store import search

    best_old = await store.save(Article(url="https://w.example/old", source="x", title="Launch launch launch",
                                        text="Launch launch launch, the launch of the zephyr rocket. " * 8), None)
    newer = []
    for i in range(5):
        saved = await store.save(Article(url=f"https://w.example/{i}", source="x", title=f"Story {i}",
                                         text=f"Cabinet papers {i} mention a launch once among many other words. "
                                              f"filler{i} " * 10), None)
        newer.append(saved.article_id)
    everything = await store.search("launch", limit=10)
    assert everything[0].article_id == best_old.article_id  # ranked first when every match is ranked
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    windowed = await store.search("launch", limit=10)
    assert {h.article_id for h in windowed} == set(newer[-3:])  # the three newest matches, ranked
    rare = await store.search("launch zephyr", limit=10)  # narrower: fewer matches than the window
    assert [h.article_id for h in rare] == [best_old.article_id]


async def test_partners_seen_before_a_cursor_come_from_their_first_article(store):
    from briefings.models import Article

    from .test_perf import _brief

    a = await store.save(Article(url="https://s.example/a", source="x", title="A", text="alpha words here " * 20),
                         _brief("A", ["Rocket Lab", "Orbex"]))
    b = await store.save(Article(url="https://s.example/b", source="x", title="B", text="beta other words " * 20),
                         _brief("B", ["Orbex", "Skyrora"]))
    names = ["Rocket Lab", "Orbex", "Skyrora", "Nobody"]
    assert await store.partners_seen_before(a.article_id - 1, names) == set()
    assert await store.partners_seen_before(a.article_id, names) == {"Rocket Lab", "Orbex"}
    assert await store.partners_seen_before(b.article_id, names) == {"Rocket Lab", "Orbex", "Skyrora"}


async def test_stop_words_are_not_searched_unless_the_query_is_only_stop_words(store):
    from briefings.models import Article

    saved = await store.save(Article(url="https://t.example/z", source="x", title="Zephyr",
                                     text="The Zephyr rocket flew from the range at dawn. " * 6), None)
    await store.save(Article(url="https://t.example/y", source="x", title="Other",
                             text="A different story about budgets and the cabinet. " * 6), None)
    # "was", "it", "of" are in neither article: as stop words they need not match (PostgreSQL's rule, on both)
    assert [h.article_id for h in await store.search("was it the Zephyr of the range")] == [saved.article_id]
    if store.dialect == "sqlite":  # nothing but stop words: searched as given (PostgreSQL finds nothing)
        assert len(await store.search("the")) == 2


async def test_a_save_whose_flush_is_cancelled_fails_instead_of_waiting_forever(store):
    import pytest

    saving = asyncio.create_task(store.save_many([_item("https://q.example/1", 31)]))
    queued = asyncio.create_task(store.save_many([_item("https://q.example/2", 32)]))
    for _ in range(3):  # the first save's transaction is under way, the second queued behind it
        await asyncio.sleep(0)
    task = store._saves.task
    assert task is not None and not task.done()
    task.cancel()
    for caller in (saving, queued):
        with pytest.raises(RuntimeError, match="closed before this write ran"):
            await asyncio.wait_for(caller, 5)
    again = await store.save_many([_item("https://q.example/3", 33)])  # a later save starts a new flush
    assert again[0].created
