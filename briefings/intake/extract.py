"""Main text and metadata with trafilatura; plain text passes through."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import TYPE_CHECKING

import trafilatura
from trafilatura.settings import Document

from briefings.errors import EmptyArticle
from briefings.models import Article

if TYPE_CHECKING:
    from briefings.intake.fetch import Fetcher, FetchResult

_MIN_CHARS = 80


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def extract_html(html: str | bytes, *, source: str, url: str | None = None) -> Article:
    """Extract the article from an HTML page. Raises :class:`EmptyArticle` when there is none."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    if not html.strip():
        raise EmptyArticle("the page is empty")
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=True, favor_precision=False)
    except Exception as exc:  # trafilatura/lxml raise assorted errors on junk markup
        raise EmptyArticle("the page could not be read as HTML") from exc
    # with_metadata and no as_dict: trafilatura returns its Document (or None), never a dict
    text = (doc.text if isinstance(doc, Document) else "") or ""
    if not isinstance(doc, Document) or len(text.strip()) < _MIN_CHARS:
        raise EmptyArticle("no article text was found on that page")
    title = _clean(doc.title)
    text = _drop_title_line(text, title)
    return Article(
        url=url or doc.url,
        source=source,
        title=title,
        author=_clean(doc.author),
        site_name=_clean(doc.sitename) or _host(url),
        published=_parse_date(doc.date),
        language=doc.language,
        text=text,
        description=_clean(doc.description),
    )


def extract_text(text: str, *, source: str) -> Article:
    """A plain-text article: the first line is its title when it looks like one."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) < _MIN_CHARS:
        raise EmptyArticle("the text is empty or too short to brief")
    first, _, rest = text.partition("\n")
    title = None
    if rest.strip() and len(first) <= 200 and not first.rstrip().endswith((".", "!", "?", ":")):
        title, text = first.strip(), rest.strip()
    return Article(source=source, title=title, text=text)


def _drop_title_line(text: str, title: str | None) -> str:
    """Pages often repeat the headline as the first line of the body; it is metadata, not a sentence."""
    if not title:
        return text
    first, sep, rest = text.lstrip().partition("\n")
    if sep and _norm(first) == _norm(title):
        return rest.lstrip()
    return text


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def looks_like_html(data: str) -> bool:
    head = data[:2048].lower()
    return "<html" in head or "<!doctype html" in head or bool(re.search(r"<(p|div|article|body|head)\b", head))


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    m = re.match(r"https?://(?:www\.)?([^/:]+)", url)
    return m.group(1) if m else None


def article_from_page(page: FetchResult) -> Article:
    """A fetched page as an article: plain text as text, anything else as HTML; the URL is where the fetch
    ended (after redirects). CPU work (trafilatura): async callers run it in a worker thread."""
    if page.content_type.startswith("text/plain"):
        return extract_text(page.text(), source=page.url).model_copy(update={"url": page.url})
    return extract_html(page.text(), source=page.url, url=page.url)


async def fetch_article(url: str, fetcher: Fetcher) -> Article:
    """Fetch (guarded) and extract, the extraction off the event loop so a burst of Slack acks never waits
    behind trafilatura."""
    page = await fetcher.fetch(url)
    return await asyncio.to_thread(article_from_page, page)
