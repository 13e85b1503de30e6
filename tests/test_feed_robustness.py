"""Issue 9, items 9-15, 19: what real feeds do to ingest -- bad links, missing links, JSON Feed,
far-future dates, over-long fields -- on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import select

from briefings.fetch import Fetcher
from briefings.ingest import IngestOptions, Ingestor
from briefings.store import models as m
from briefings.store.repo import Store

from .conftest import html_page
from .test_store_ingest import STORIES

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def rss_items(items: list[dict], title: str = "Wire") -> str:
    body = ""
    for it in items:
        body += "<item>"
        for tag in ("title", "link", "guid", "description", "pubDate"):
            if it.get(tag) is not None:
                body += f"<{tag}>{it[tag]}</{tag}>"
        body += "</item>"
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>"
            f"<link>https://example.org/</link>{body}</channel></rss>")


def story(slug: str) -> tuple[str, list[str]]:
    return STORIES[slug]


async def articles(store: Store) -> list[m.Article]:
    async with store.session() as s:
        return list((await s.execute(select(m.Article).order_by(m.Article.id))).scalars())


# ------------------------------------------------------------------------------------------------ item 12
async def test_one_bad_link_never_aborts_ingestion(server, settings, store: Store):
    title, paras = story("esrange")
    good = server.add("/news/good", html_page(title, paras))
    to_js = server.add("/news/to-js", status=302, headers={"Location": "javascript:alert(1)"})
    mixed = server.add("/mixed.xml", rss_items([
        {"title": "Broken host", "link": "https://xn--/story", "guid": "bad-1"},
        {"title": "Redirects to script", "link": to_js, "guid": "bad-2"},
        {"title": title, "link": good, "guid": "good-1"},
    ], "Mixed Wire"), headers=RSS)
    feed_to_data = server.add("/feed-moved.xml", status=301, headers={"Location": "data:text/xml,<rss/>"})
    feed_to_mail = server.add("/feed-mail.xml", status=302, headers={"Location": "mailto:ed@example.org"})
    r_title, r_paras = story("rocketlab-sda")
    other = server.add("/other.xml", rss_items([{"title": r_title, "guid": "o1",
                                                 "link": server.add("/news/rl", html_page(r_title, r_paras))}],
                                               "Other Wire"), headers=RSS)
    for u in (mixed, feed_to_data, feed_to_mail, other):
        await store.add_feed(u)
    async with Fetcher(settings) as fetcher:
        report = await Ingestor(store, fetcher).run()
    assert report.new_articles == 2  # the good entry of the mixed feed and the other feed's entry
    by_url = {f.url: f for f in report.feeds}
    assert by_url[mixed].status == "ok" and len(by_url[mixed].errors) == 2
    assert {f.url for f in report.failed_feeds} == {feed_to_data, feed_to_mail}
    health = {f.url: f for f in await store.list_feeds()}
    assert health[mixed].consecutive_failures == 0 and health[mixed].last_error  # the entry's error is kept
    for u in (feed_to_data, feed_to_mail):
        assert health[u].consecutive_failures == 1 and "cannot be fetched" in health[u].last_error
    assert health[other].consecutive_failures == 0 and not health[other].last_error
