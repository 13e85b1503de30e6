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
    assert store._group_task is not None and not store._group_task.done()  # the store holds the task
    await store.close()
    assert store._group_task is None
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
