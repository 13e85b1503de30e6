"""Store and ingest against loopback feeds and pages, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from briefings.intake.feeds import canonical_url
from briefings.intake.fetch import Fetcher
from briefings.intake.ingest import IngestOptions, Ingestor
from briefings.store.repo import Store

from .conftest import html_page

STORIES = {
    "rocketlab-sda": ("Rocket Lab wins Space Development Agency launch deal", [
        "Rocket Lab has won a contract to launch two satellites for the Space Development Agency from "
        "its Launch Complex 1 in New Zealand, the company said on Monday.",
        "The Electron rocket will fly the mission next year from the Mahia Peninsula, according to the agency, "
        "which is building a proliferated constellation in low Earth orbit.",
        "The award is part of a wider push to add launch providers for national security missions.",
    ]),
    "andoya-isar": ("Isar Aerospace readies Spectrum at Andøya", [
        "Isar Aerospace has moved its Spectrum rocket to the Andøya Spaceport in Norway for a first orbital "
        "launch attempt, the company said.",
        "The Norwegian Space Agency called the campaign a milestone for Norway as an emerging spaceport nation.",
        "The launch will target a sun-synchronous orbit from the Arctic pad.",
    ]),
    "esrange": ("Sweden's Esrange opens to orbital launchers", [
        "The Swedish Space Corporation said Esrange Space Center near Kiruna is ready to host orbital launches "
        "after an inauguration attended by European Commission officials.",
        "Sweden joins the emerging spaceport nations competing to launch small satellites to polar orbit.",
        "Talks with several launch companies are under way, the operator said.",
    ]),
}


def rss(items: list[tuple[str, str, str]], title: str = "Launch Policy Wire") -> str:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{guid}</guid>"
                   f"<description>&lt;p&gt;{t} &lt;script&gt;alert(1)&lt;/script&gt;"
                   f"&lt;img src=x onerror=alert(2)&gt;&lt;/p&gt;</description>"
                   f"<pubDate>{format_datetime(datetime(2025, 6, 1 + i, tzinfo=UTC))}</pubDate></item>"
                   for i, (t, link, guid) in enumerate(items))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>"
            f"<link>https://example.org/</link>{body}</channel></rss>")


def publish(server, slug_prefix: str = "") -> str:
    items = []
    for slug, (title, paras) in STORIES.items():
        url = server.add(f"/news/{slug_prefix}{slug}?utm_source=rss", html_page(title, paras))
        items.append((title, url, f"guid-{slug_prefix}{slug}"))
    return server.add(f"/{slug_prefix}feed.xml", rss(items), headers={
        "Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"v1"'})


def page_requests(server) -> int:
    return sum(1 for path, _ in server.requests if path.startswith("/news/"))


async def test_ingest_stores_analyses_and_second_run_fetches_nothing(server, settings, store: Store):
    feed_url = publish(server)
    await store.add_feed(feed_url)
    async with Fetcher(settings) as fetcher:
        report = await Ingestor(store, fetcher).run()
        assert report.new_articles == 3 and not report.failed_feeds
        pages_first = page_requests(server)
        assert pages_first == 3
        # second run: conditional GET answered 304, no page fetched, nothing added
        feeds = await store.list_feeds()
        report2 = await Ingestor(store, fetcher).run(feeds)
    assert report2.feeds[0].status == "not-modified" and report2.new_articles == 0
    assert page_requests(server) == pages_first
    assert server.requests[-1][1].get("If-None-Match") == '"v1"'
    assert await store.count_articles() == 3

    # the archive can be read back
    hits = await store.search("Spectrum Andøya")
    assert hits and "Isar" in hits[0].title
    assert "*" in hits[0].snippet or "Spectrum" in hits[0].snippet
    stats = {s.entity: s for s in await store.partner_stats()}
    assert stats["Rocket Lab"].mentions == 1 and stats["Rocket Lab"].kind == "company"
    assert stats["Norway"].tier == "emerging"
    assert stats["Andøya Spaceport"].latest_title.startswith("Isar Aerospace")
    latest = await store.latest(limit=5)
    assert {s.article.title for s in latest} == {t for t, _ in STORIES.values()}
    assert all(s.brief.engine_version for s in latest)
    # since filter
    assert await store.search("Spectrum", since=datetime(2030, 1, 1).date()) == []


async def test_feed_html_never_stored_as_markup(server, settings, store: Store):
    feed_url = publish(server)
    await store.add_feed(feed_url)
    opts = IngestOptions(fetch_pages=False)
    async with Fetcher(settings) as fetcher:
        await Ingestor(store, fetcher, opts).run()
    from sqlalchemy import select

    from briefings.store import models as m

    async with store.session() as s:
        rows = (await s.execute(select(m.Article.summary, m.Article.text))).all()
    assert rows
    for summary, text in rows:
        for value in (summary, text):
            assert "<script" not in value and "<img" not in value and "onerror=" not in value.replace(" ", "") \
                or "<" not in value


async def test_failing_feeds_back_off_and_are_reported(server, settings, store: Store):
    urls = {
        "500": server.add("/f500", "oops", status=500),
        "garbage": server.add("/garbage", b"\x00\x01 this is not a feed", headers={"Content-Type": "text/xml"}),
        "timeout": server.add("/slowfeed", rss([]), delay=2.5, headers={"Content-Type": "application/rss+xml"}),
        "429": server.add("/limited", "slow down", status=429, headers={"Retry-After": "7200"}),
        "html": server.add("/notafeed", html_page("A page", ["Just a web page, not a feed at all."])),
    }
    for u in urls.values():
        await store.add_feed(u)
    now = datetime.now(UTC)
    async with Fetcher(settings) as fetcher:
        report = await Ingestor(store, fetcher, IngestOptions(poll_interval=timedelta(minutes=10))).run()
    assert len(report.failed_feeds) == 5
    health = {f.url: f for f in await store.list_feeds()}
    for name, u in urls.items():
        f = health[u]
        assert f.consecutive_failures == 1 and f.last_error, name
    assert "500" in health[urls["500"]].last_error
    assert "in time" in health[urls["timeout"]].last_error or "answer" in health[urls["timeout"]].last_error

    def as_utc(d):
        return d if d.tzinfo else d.replace(tzinfo=UTC)

    assert as_utc(health[urls["429"]].next_poll) >= now + timedelta(seconds=7000)  # Retry-After honoured
    first_wait = as_utc(health[urls["500"]].next_poll) - now
    # a second failure waits longer (exponential backoff)
    async with Fetcher(settings) as fetcher:
        await Ingestor(store, fetcher, IngestOptions(poll_interval=timedelta(minutes=10))).run(
            [health[urls["500"]]])
    again = {f.url: f for f in await store.list_feeds()}[urls["500"]]
    assert again.consecutive_failures == 2
    assert as_utc(again.next_poll) - datetime.now(UTC) > first_wait + timedelta(minutes=5)
    # not due any more: an immediate run polls nothing
    async with Fetcher(settings) as fetcher:
        assert (await Ingestor(store, fetcher).run()).feeds == []


async def test_syndicated_copy_joins_the_same_cluster(server, settings, store: Store):
    title, paras = STORIES["rocketlab-sda"]
    original = server.add("/orig/rocketlab", html_page(title, paras))
    syndicated = server.add("/wire/rocketlab-copy", html_page(
        title + " (wire)", [paras[0], paras[1].replace("next year", "in 2026"), paras[2],
                            "This story was syndicated from a wire service."]))
    other_title, other = STORIES["esrange"]
    unrelated = server.add("/orig/esrange", html_page(other_title, other))
    f1 = server.add("/a.xml", rss([(title, original, "a1"), (other_title, unrelated, "a2")], "Site A"),
                    headers={"Content-Type": "application/rss+xml"})
    f2 = server.add("/b.xml", rss([(title, syndicated, "b1")], "Wire B"),
                    headers={"Content-Type": "application/rss+xml"})
    await store.add_feed(f1)
    await store.add_feed(f2)
    async with Fetcher(settings) as fetcher:
        await Ingestor(store, fetcher).run()
    from sqlalchemy import select

    from briefings.store import models as m

    async with store.session() as s:
        rows = {r.url: r.cluster_id for r in (await s.execute(select(m.Article.url, m.Article.cluster_id))).all()}
    assert len(rows) == 3  # every source kept
    assert rows[original] == rows[syndicated]
    assert rows[unrelated] != rows[original]
    sources = await store.cluster_sources(rows[original])
    assert set(sources) == {original, syndicated}


async def test_same_url_with_tracking_parameters_is_one_article(store: Store):
    from briefings.engine import brief_text

    brief = brief_text("Title line\n\n" + " ".join(STORIES["esrange"][1]), source="x")
    from briefings.models import Article

    a = Article(url="https://Example.org/news/esrange/?utm_source=x&id=3#top", source="x", title="t",
                text=" ".join(STORIES["esrange"][1]))
    r1 = await store.save(a, brief)
    r2 = await store.save(a.model_copy(update={"url": "http://example.org/news/esrange?id=3&fbclid=abc"}), brief)
    assert r1.created and not r2.created and r2.reason == "same-url"
    assert canonical_url("HTTP://WWW.Example.org:443/a/b/?utm_medium=z") == "https://www.example.org/a/b"


async def test_event_ids_are_claimed_once_and_pruned_later(store: Store):
    assert await store.claim_event("Ev1") is True
    assert await store.claim_event("Ev1") is False
    assert await store.prune_events(timedelta(days=2)) == 0
    assert await store.prune_events(timedelta(seconds=-1)) == 1  # everything is older than "in one second"
    assert await store.claim_event("Ev1") is True


async def test_an_entry_that_fails_costs_only_itself(server, settings, store: Store, monkeypatch, caplog):
    """On both paths (feed-only, and page + analysis) an entry that fails is recorded on its feed's outcome --
    a known failure in its own words, anything else as an unexpected error, logged -- and the feed's other
    entries are stored."""
    from briefings.errors import EmptyArticle

    real_dated, real_feed_article = Ingestor._dated, Ingestor._feed_article

    def dated(self, article):
        if "Esrange" in (article.title or ""):
            raise ValueError("parser bug")
        return real_dated(self, article)

    def feed_article(entry, parsed):
        if "Isar" in (entry.title or ""):
            raise EmptyArticle("the entry has no link and too little text")
        return real_feed_article(entry, parsed)

    monkeypatch.setattr(Ingestor, "_dated", dated)
    monkeypatch.setattr(Ingestor, "_feed_article", staticmethod(feed_article))
    for prefix, opts, known in (("a-", IngestOptions(fetch_pages=False), "too little text"),
                                ("b-", IngestOptions(fetch_pages=True, analyse=False), "404")):
        feed_url = publish(server, prefix)
        if prefix == "b-":
            server.add("/news/b-andoya-isar?utm_source=rss", "", status=404)
        feed = await store.add_feed(feed_url)
        async with Fetcher(settings) as fetcher:
            report = await Ingestor(store, fetcher, opts).run([feed])
        (outcome,) = report.feeds
        assert outcome.status == "ok" and outcome.new == 1, (prefix, outcome)
        assert len(outcome.errors) == 2, (prefix, outcome.errors)
        assert any("esrange" in e and "unexpected error: ValueError" in e for e in outcome.errors), outcome.errors
        assert any("isar" in e and known in e for e in outcome.errors), (prefix, outcome.errors)
    assert caplog.text.count("unexpected error on entry") == 2
