"""Issue 9, item 10: `feeds add` given a web page finds the feed it links to (or one at a usual path), says
which, and when there is none says so in one plain sentence -- in the CLI and in Slack (same engine call)."""

from __future__ import annotations

import json

import pytest

from briefings.errors import BriefingError
from briefings.intake.fetch import Fetcher
from briefings.intake.ingest import discover_feed, follow_feed
from briefings.store.repo import Store

from .conftest import html_page
from .slack_client import FORM, command_body, post
from .test_cli import assert_plain_error, run

RSS = ("<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title><link>https://example.org/</link>"
       "<item><title>A</title><link>https://example.org/a</link><guid>a</guid></item></channel></rss>")
ATOM = ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>{title}</title>"
        "<id>urn:x</id><updated>2025-06-01T00:00:00Z</updated><entry><title>A</title><id>urn:a</id>"
        "<link href='https://example.org/a'/><updated>2025-06-01T00:00:00Z</updated></entry></feed>")


def page_linking(*links: tuple[str, str]) -> str:
    tags = "".join(f"<link rel='alternate' type='{t}' href='{h}' title='x'>" for t, h in links)
    return html_page("Launch news", ["A site about launches."]).replace("<head>", "<head>" + tags)


@pytest.mark.parametrize("kind, body, ctype", [
    ("application/rss+xml", RSS.format(title="Linked RSS"), "application/rss+xml"),
    ("application/atom+xml", ATOM.format(title="Linked Atom"), "application/atom+xml"),
    ("application/feed+json", json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Linked JSON",
                                          "items": [{"id": "1", "url": "https://example.org/a", "title": "A"}]}),
     "application/feed+json"),
])
async def test_a_page_link_rel_alternate_is_followed(server, settings, kind, body, ctype):
    server.add("/feeds/main", body, headers={"Content-Type": ctype})
    page = server.add("/news/", page_linking(("text/css", "/style.css"), (kind, "../feeds/main")))
    async with Fetcher(settings) as fetcher:
        found = await discover_feed(fetcher, page)
    assert found.url == server.url("/feeds/main") and found.discovered_from == page
    assert found.title.startswith("Linked") and found.parsed.entries


async def test_common_paths_are_tried_and_the_store_keeps_the_feed_url(server, settings, store: Store):
    server.add("/atom.xml", ATOM.format(title="Site Atom"), headers={"Content-Type": "application/atom+xml"})
    page = server.add("/", html_page("Home", ["Welcome to the launch site news."]))
    async with Fetcher(settings) as fetcher:
        found = await follow_feed(store, fetcher, page)
    assert found.url == server.url("/atom.xml") and found.title == "Site Atom"
    assert [f.url for f in await store.list_feeds()] == [server.url("/atom.xml")]


async def test_no_feed_is_one_plain_sentence_and_requests_are_bounded(server, settings):
    page = server.add("/blog/post", page_linking(*[("application/rss+xml", f"/missing-{i}") for i in range(20)]))
    async with Fetcher(settings) as fetcher:
        with pytest.raises(BriefingError) as info:
            await discover_feed(fetcher, page)
        server.add("/broken.xml", "<?xml version='1.0'?><catalog><book>x</catalog>", headers={"Content-Type": "text/xml"})
        with pytest.raises(BriefingError) as broken:
            await discover_feed(fetcher, server.url("/broken.xml"))
    for message in (info.value.message, broken.value.message):
        assert "\n" not in message and "SAX" not in message and "Exception" not in message
        assert "feed" in message.lower()
    assert "No feed found" in info.value.message
    assert len(server.requests) <= 1 + 8 + 2  # the page, at most 8 candidates (and the broken feed)


def test_cli_feeds_add_says_which_feed_it_found(server, tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}", "LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true"}
    assert_plain_error(run("feeds", "add", server.add("/just-a-page", "<html><body><p>hi</p></body></html>"),
                           env=env), "No feed found")
    server.add("/rss.xml", RSS.format(title="Found Wire"), headers={"Content-Type": "application/rss+xml"})
    proc = run("feeds", "add", server.add("/home", html_page("Home", ["News about launches."])), env=env)
    out = proc.stdout.decode()
    assert proc.returncode == 0 and server.url("/rss.xml") in out and "Found Wire" in out


async def test_slack_feeds_add_finds_the_feed_or_says_plainly_there_is_none(bot, slack, server):  # noqa: F811
    bare = server.add("/bare", "<html><body><p>nothing here</p></body></html>")
    await post(bot.http, bot.url, command_body(f"feeds add {bare}", slack.response_url("d2"), user_id="UADMIN"),
               FORM)
    refused = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d2"])
    text = json.dumps(refused[0])
    assert "No feed found" in text and "SAX" not in text and "Exception" not in text
    server.add("/feed.json", json.dumps({"version": "https://jsonfeed.org/version/1", "title": "Slack JSON",
                                         "items": [{"id": "1", "url": "https://example.org/a", "title": "A"}]}),
               headers={"Content-Type": "application/json"})
    page = server.add("/site", html_page("Site", ["News about launches."]))
    await post(bot.http, bot.url, command_body(f"feeds add {page}", slack.response_url("d1"), user_id="UADMIN"),
               FORM)
    added = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d1"])
    assert "Slack JSON" in added[0]["text"] and server.url("/feed.json") in json.dumps(added[0]["blocks"])
