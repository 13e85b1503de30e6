"""Polling feeds and storing what is new.

For each due feed (concurrently; bounded overall and per host): a conditional GET (ETag/Last-Modified),
feedparser, then each unseen entry's page through the same SSRF-guarded fetcher, analysed and stored.
A failing feed backs off exponentially (and honours Retry-After on 429/503); the reason is kept in the
feed's health. A bad feed or page is recorded and skipped, never fatal.

Crash safety: every article is committed on its own; a feed's ETag is saved only after all its entries
are stored, so a run killed half-way re-reads the feed next time and the unique keys skip what is stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from briefings.errors import BriefingError, EmptyArticle, FetchFailed
from briefings.intake.feeds import FeedEntry, ParsedFeed, canonical_url, not_in_future, parse_feed
from briefings.intake.fetch import FEED_TYPES, HTML_TYPES, TEXT_TYPES, Fetcher
from briefings.models import Article
from briefings.store import models as m
from briefings.store.feeds import feed_success
from briefings.store.workspaces import link_feed_urls
from briefings.store.repo import SaveItem, Store, utcnow

log = logging.getLogger("launchbrief.ingest")

FEED_ACCEPT = FEED_TYPES + HTML_TYPES + TEXT_TYPES + ("application/octet-stream",)


@dataclass
class IngestOptions:
    poll_interval: timedelta = timedelta(minutes=30)
    max_backoff: timedelta = timedelta(hours=24)
    concurrency: int = 16
    per_host: int = 2
    fetch_pages: bool = True  # False: store entries from the feed's own text (no page fetch)
    analyse: bool = True  # False: store articles without a brief (feed-only archiving)
    max_entries: int = 100
    feeds_in_progress: int = 8  # feeds fetched/parsed and waiting to be stored at once (bounds memory)
    # after each run, prune page bodies older than this many days (LAUNCHBRIEF_RETENTION_DAYS; None: keep all)
    retention_days: float | None = field(default_factory=lambda: _retention_days())


@dataclass
class FeedOutcome:
    url: str
    status: str  # ok | not-modified | failed
    new: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    feeds: list[FeedOutcome] = field(default_factory=list)

    @property
    def new_articles(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def failed_feeds(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.status == "failed"]


def _retention_days() -> float | None:
    from briefings.config import get_settings

    try:
        return get_settings().retention_days or None
    except Exception:  # a bad setting elsewhere must not stop ingest; the CLI/bot report settings errors
        return None


FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
                   "application/rdf+xml")
COMMON_FEED_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/feed.json", "/feed.xml", "/rss", "/index.xml")
MAX_CANDIDATES = 8  # feeds add never fetches more than this many URLs after the page itself


@dataclass
class FoundFeed:
    """The feed behind what a user gave: the feed itself, or a feed a web page links to."""

    url: str  # the feed's own URL (what is stored and polled)
    parsed: ParsedFeed
    discovered_from: str | None = None  # the web page it was found from; None when given the feed itself

    @property
    def title(self) -> str | None:
        return self.parsed.title


class _FeedLinks(HTMLParser):
    """``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json" href>`` in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in ("link", "a"):
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rel = a.get("rel", "").lower().split()
        ctype = a.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rel and ctype in FEED_LINK_TYPES and a.get("href", "").strip():
            self.found.append(a["href"].strip())


def feed_links(page: str, base: str) -> list[str]:
    parser = _FeedLinks()
    try:
        parser.feed(page[:500_000])
        parser.close()
    except Exception:  # html.parser is lenient; whatever it still raises, the links seen so far stand
        pass
    out: list[str] = []
    for href in parser.found:
        url = urljoin(base, href)
        if url.startswith(("http://", "https://")) and url not in out:
            out.append(url)
    return out


def _common_paths(page_url: str) -> list[str]:
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}"
    folder = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0]  # /news/ of /news/x
    out = []
    for prefix in ("", folder.rstrip("/")):  # the site's own feed first, then the section's
        for path in COMMON_FEED_PATHS:
            candidate = root + prefix + path
            if candidate not in out:
                out.append(candidate)
    return out


async def discover_feed(fetcher: Fetcher, url: str) -> FoundFeed:
    """The feed at ``url``, or the one a web page at ``url`` links to (``<link rel="alternate">``), or one at a
    common path (/feed, /rss.xml, /atom.xml, /feed.json ...). Every URL goes through the SSRF-guarded fetcher.

    Raises a :class:`BriefingError` with one plain sentence when there is none (never a parser's internals).
    """
    res = await fetcher.fetch(url, accept=FEED_ACCEPT)
    parsed = parse_feed(res.content, url=res.url, content_type=res.content_type)
    if parsed.is_feed:
        return FoundFeed(url, parsed)
    text = res.text()
    is_page = res.content_type in HTML_TYPES or bool(re.search(r"<html|<!doctype html", text[:2000], re.I))
    if not is_page:
        raise BriefingError(f"{url} is not a feed (RSS, Atom or JSON Feed) and not a web page that links one.")
    # the feeds the page links to first, then the usual places; at most MAX_CANDIDATES more requests
    candidates = [c for c in dict.fromkeys(feed_links(text, res.url) + _common_paths(res.url))
                  if c not in (url, res.url)][:MAX_CANDIDATES]
    for candidate in candidates:
        try:
            found = await fetcher.fetch(candidate, accept=FEED_ACCEPT)
        except BriefingError:
            continue
        feed = parse_feed(found.content, url=found.url, content_type=found.content_type)
        if feed.is_feed:
            return FoundFeed(candidate, feed, discovered_from=url)
    raise BriefingError(f"No feed found at {url}: the page links no RSS, Atom or JSON feed, and none answers at "
                        f"the usual places ({', '.join(COMMON_FEED_PATHS[:4])}).")


async def follow_feed(store: Store, fetcher: Fetcher, url: str, *, team_id: str | None = None) -> FoundFeed:
    """What ``feeds add`` does in the CLI and in Slack: find the feed, then follow it (for a workspace, or the
    operator when ``team_id`` is None)."""
    found = await discover_feed(fetcher, url)
    await store.add_feed(found.url, found.title, team_id=team_id)
    return found


async def check_feed(fetcher: Fetcher, url: str) -> ParsedFeed:
    """Fetch ``url`` (or the feed its page links to) and make sure it is a feed; plain BriefingError if not."""
    return (await discover_feed(fetcher, url)).parsed


def backoff(failures: int, opts: IngestOptions) -> timedelta:
    return min(opts.poll_interval * (2 ** max(0, failures - 1)), opts.max_backoff)


def _entry_failed(feed: m.Feed, entry: FeedEntry, outcome: FeedOutcome, exc: Exception) -> None:
    """Record on the outcome why an entry was skipped: a known failure in its own words, anything else logged
    with its traceback (call it from the ``except`` block)."""
    where = entry.link or entry.entry_id
    if isinstance(exc, BriefingError):
        outcome.errors.append(f"{where}: {exc.message}")
        return
    log.exception("unexpected error on entry %s of feed %s", where, feed.url)
    outcome.errors.append(f"{where}: unexpected error: {type(exc).__name__}")


class Ingestor:
    def __init__(self, store: Store, fetcher: Fetcher, opts: IngestOptions | None = None,
                 on_progress: Callable[[str, int], None] | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.store, self.fetcher, self.opts = store, fetcher, opts or IngestOptions()
        self.on_progress = on_progress
        self.clock = clock
        self._all = asyncio.Semaphore(self.opts.concurrency)
        # Feeds in progress (fetched, parsed, not yet stored). Bounding only the fetches let every feed be
        # fetched and parsed while saves queued behind the store's write lock: profiled, all 200 parsed feeds
        # of bench/ingest.py sat in memory at once (~85 MB of peak RSS). Parsing is CPU work on this loop and
        # saves are serialised, so more than a few feeds in progress only hold memory: 16 -> 8 cost 0.1 s
        # and saved 14 MB of peak RSS on that bench.
        self._feed_slots = asyncio.Semaphore(min(self.opts.concurrency, self.opts.feeds_in_progress))
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.opts.per_host))

    async def _get(self, url: str, **kw):
        host = urlsplit(url).hostname or ""
        async with self._all, self._hosts[host]:
            return await self.fetcher.fetch(url, **kw)

    async def run(self, feeds: list[m.Feed] | None = None) -> IngestReport:
        feeds = feeds if feeds is not None else await self.store.due_feeds(self.clock())
        outcomes = await asyncio.gather(*(self._feed(f) for f in feeds))
        if self.opts.retention_days:
            try:
                pruned = await self.store.prune_bodies(timedelta(days=self.opts.retention_days), now=self.clock())
                if pruned:
                    log.info("retention: pruned the bodies of %d articles older than %g days", pruned,
                             self.opts.retention_days)
            except Exception:  # retention is housekeeping: never fail an ingest run over it
                log.exception("pruning old article bodies failed")
        return IngestReport(list(outcomes))

    async def _feed(self, feed: m.Feed) -> FeedOutcome:
        async with self._feed_slots:
            return await self._one_feed(feed)

    async def _one_feed(self, feed: m.Feed) -> FeedOutcome:
        outcome = FeedOutcome(feed.url, "ok")
        headers = {}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            result = await self._get(feed.url, accept=FEED_ACCEPT, headers=headers, allow_not_modified=True)
            if result.status == 304:
                outcome.status = "not-modified"
                await self.store.feed_succeeded(feed.id, etag=None, last_modified=None,
                                                next_poll=self.clock() + self.opts.poll_interval)
                self._progress(feed.url, 0)
                return outcome
            parsed = parse_feed(result.content, url=result.url, content_type=result.content_type)
            if not parsed.is_feed:  # the parser's own words (SAXParseException ...) help no reader
                raise BriefingError("it is no longer a feed (no RSS, Atom or JSON Feed found at that address)")
        except BriefingError as exc:
            await self._failed(feed, outcome, exc)
            return outcome
        except Exception as exc:  # never let one feed stop the run
            log.exception("unexpected error on feed %s", feed.url)
            await self._failed(feed, outcome, BriefingError(f"unexpected error: {type(exc).__name__}"))
            return outcome
        def success() -> dict[str, Any]:  # what the poll leaves on the feed row, once its entries are stored
            return dict(etag=result.etag, last_modified=result.last_modified, title=parsed.title,
                        next_poll=self.clock() + self.opts.poll_interval,
                        page_error=outcome.errors[-1] if outcome.errors else None)

        try:
            recorded = await self._entries(feed, parsed, outcome, success)
        except Exception as exc:  # e.g. the feed's batch refused by the database: this feed only
            log.exception("storing entries of feed %s failed", feed.url)
            await self._failed(feed, outcome, BriefingError(f"could not store its entries: {type(exc).__name__}"))
            return outcome
        if not recorded:
            await self.store.feed_succeeded(feed.id, **success())
        return outcome

    async def _failed(self, feed: m.Feed, outcome: FeedOutcome, exc: BriefingError) -> None:
        outcome.status = "failed"
        outcome.errors.append(exc.message)
        failures = (feed.consecutive_failures or 0) + 1
        wait = backoff(failures, self.opts)
        if isinstance(exc, FetchFailed) and exc.retry_after is not None:
            wait = max(wait, timedelta(seconds=min(exc.retry_after, self.opts.max_backoff.total_seconds())))
        await self.store.feed_failed(feed.id, exc.message, self.clock() + wait)
        log.warning("feed %s failed (%s); next try in %s", feed.url, exc.message, wait)
        self._progress(feed.url, 0)

    async def _entries(self, feed: m.Feed, parsed: ParsedFeed, outcome: FeedOutcome,
                       success: Callable[[], dict[str, Any]]) -> bool:
        """Store the feed's new entries; True when the feed's success was recorded in the same transaction."""
        entries = parsed.entries[: self.opts.max_entries]
        known_ids: set[str] = set()
        known_urls: set[str] = set()
        if self.opts.fetch_pages or self.opts.analyse:  # feed-only: save_many's own key checks suffice
            known_ids, known_urls = await self.store.known_keys(
                feed.id, [e.entry_id for e in entries], [e.link for e in entries if e.link])

        def count(results) -> None:
            for res in results:
                if res.created:
                    outcome.new += 1
                else:
                    outcome.skipped += 1

        recorded = False
        met_again: list[str] = []  # pages stored before (another feed, a brief): this feed's teams reach them too

        async def prepare(entry: FeedEntry) -> SaveItem | None:
            if entry.entry_id in known_ids or (entry.link and canonical_url(entry.link) in known_urls):
                outcome.skipped += 1
                if entry.link:
                    met_again.append(canonical_url(entry.link))
                return None
            return await self._item(feed, entry, parsed, outcome)

        if self.opts.fetch_pages:
            # pages are slow: each article is committed as soon as it is analysed
            async def one(entry: FeedEntry) -> None:
                item = await prepare(entry)
                if item is not None:
                    try:
                        count(await self.store.save_many_with_retry([item], feed_id=feed.id))
                    except Exception as exc:  # a row the database refuses costs that entry only
                        log.exception("could not store entry %s of feed %s", entry.link or entry.entry_id, feed.url)
                        outcome.errors.append(f"{entry.link or entry.entry_id}: could not be stored "
                                              f"({type(exc).__name__})")

            await asyncio.gather(*(one(e) for e in entries))
        else:
            # feed-only: the whole feed's new entries in one transaction, built without a coroutine per entry
            # (nothing to await: no page, no analysis)
            items = [i for i in (self._feed_item(feed, e, parsed, outcome) for e in entries) if i is not None]
            if items:  # the feed's ETag is committed with its entries (one transaction, shared with other feeds)
                count(await self.store.save_many_with_retry(
                    items, feed_id=feed.id, then=feed_success(feed.id, **success())))
                recorded = True
        if met_again:
            await link_feed_urls(self.store, feed.id, met_again)
        self._progress(feed.url, outcome.new)
        return recorded

    async def _item(self, feed: m.Feed, entry: FeedEntry, parsed: ParsedFeed, outcome: FeedOutcome
                    ) -> SaveItem | None:
        """One new entry read, dated and analysed; a failure is recorded on the outcome and costs this entry."""
        try:
            article = self._dated(await self._article(entry, parsed))
            brief = None
            if self.opts.analyse:
                from briefings.engine import analyse  # imported on first use: feed-only ingest never loads it

                brief = await asyncio.to_thread(analyse, article)
        except Exception as exc:  # one entry never stops its feed (nor the run): recorded, skipped
            _entry_failed(feed, entry, outcome, exc)
            return None
        return SaveItem(article, brief, entry.entry_id, entry.summary[:2000] or None)

    def _dated(self, article: Article) -> Article:
        published = not_in_future(article.published, self.clock().date())
        if published != article.published:  # the brief and the archive agree on the clamped date
            article = article.model_copy(update={"published": published})
        return article

    def _feed_item(self, feed: m.Feed, entry: FeedEntry, parsed: ParsedFeed, outcome: FeedOutcome
                   ) -> SaveItem | None:
        """A feed-only entry: the feed's own text, dated; a failure is recorded and costs this entry."""
        try:
            article = self._dated(self._feed_article(entry, parsed))
        except Exception as exc:  # one entry never stops its feed: recorded, skipped
            _entry_failed(feed, entry, outcome, exc)
            return None
        return SaveItem(article, None, entry.entry_id, entry.summary[:2000] or None)

    async def _article(self, entry: FeedEntry, parsed: ParsedFeed) -> Article:
        if self.opts.fetch_pages and entry.link:
            # trafilatura is loaded only when pages are read
            from briefings.intake.extract import article_from_page

            try:
                page = await self._get(entry.link)
                art = await asyncio.to_thread(article_from_page, page)  # CPU work, off the event loop
                return art.model_copy(update={
                    "title": art.title or entry.title or None,
                    "published": art.published or entry.published,
                    "site_name": art.site_name or parsed.title})
            except EmptyArticle:
                if len(entry.summary) < 80:
                    raise
        return self._feed_article(entry, parsed)

    @staticmethod
    def _feed_article(entry: FeedEntry, parsed: ParsedFeed) -> Article:
        feed_text = "\n\n".join(x for x in (entry.title, entry.summary) if x)
        if len(feed_text) < 80 and not entry.link:
            raise EmptyArticle("the entry has no link and too little text")
        return Article(url=entry.link, source=entry.link or parsed.link or "feed", title=entry.title or None,
                       site_name=parsed.title, published=entry.published,
                       text=entry.summary or entry.title or "")

    def _progress(self, url: str, new: int) -> None:
        if self.on_progress:
            self.on_progress(url, new)
