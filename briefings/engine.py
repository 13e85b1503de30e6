"""The briefing pipeline: source -> Article -> Brief. No Slack here.

Entry points:
  * :func:`analyse` -- an already-extracted :class:`Article` to a :class:`Brief` (pure, synchronous, fast);
  * :func:`brief_html` / :func:`brief_text` -- raw page or text to a Brief;
  * :func:`brief_url` -- fetch through the SSRF-guarded :class:`~briefings.intake.fetch.Fetcher`, then brief;
  * :func:`article_from_source` -- what the CLI takes: a URL, a file path, or ``-`` for stdin, as an Article.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from briefings import ENGINE_VERSION
from briefings.errors import EmptyArticle, SourceNotFound, UnsupportedContent
from briefings.intake.extract import extract_html, extract_text, fetch_article, looks_like_html
from briefings.intake.fetch import Fetcher
from briefings.analysis.kb import load_kb
from briefings.analysis.language import detect_language, language_notes
from briefings.models import Article, Brief
from briefings.analysis.partners import analyse_partners
from briefings.analysis.quotes import extract_people_and_quotes, paragraph_ids
from briefings.analysis.relevance import event_types, score_relevance
from briefings.analysis.sentences import split_sentences
from briefings.analysis.summarize import summarize

SAMPLE_ARTICLE = Path(__file__).parent / "samples" / "space-force-partners.html"


def analyse(article: Article) -> Brief:
    kb = load_kb()
    language = detect_language(article.text, hint=article.language)
    sentences = split_sentences(article.text)
    if not sentences:
        raise EmptyArticle("no sentences were found in the article")
    mentions = kb.find(article.text)
    relevance = score_relevance(article.text, article.title, mentions)
    tldr, summary = summarize(sentences, article.title, k=4 if len(sentences) > 12 else 3)
    people, quotes = extract_people_and_quotes(sentences, paragraph_ids(article.text, sentences))
    speakers: dict[str, int] = {}
    for q in quotes:
        if q.speaker:
            speakers[q.speaker] = speakers.get(q.speaker, 0) + 1
    analysis = analyse_partners(kb, sentences, article.title, label=relevance.label, site_name=article.site_name,
                                url=article.url, author=article.author, people=people, quotes_by_speaker=speakers)
    return Brief(
        title=article.title,
        source=article.source,
        url=article.url,
        published=article.published,
        author=article.author,
        site_name=article.site_name,
        language=language,
        tldr=tldr,
        summary=summary,
        partners=analysis.partners,
        subject=analysis.subject,
        quotes=quotes,
        people=people,
        relevance=relevance,
        event_types=event_types(sentences, article.title) if relevance.label != "off-topic" else [],
        word_count=len(article.text.split()),
        sentence_count=len(sentences),
        engine_version=ENGINE_VERSION,
        notes=language_notes(language),
    )


def brief_html(html: str | bytes, *, source: str, url: str | None = None) -> Brief:
    return analyse(extract_html(html, source=source, url=url))


def brief_text(text: str, *, source: str) -> Brief:
    if looks_like_html(text):
        return brief_html(text, source=source)
    return analyse(extract_text(text, source=source))


async def brief_url(url: str, fetcher: Fetcher | None = None) -> Brief:
    if fetcher is None:
        async with Fetcher() as owned:
            return analyse(await fetch_article(url, owned))
    return analyse(await fetch_article(url, fetcher))


def read_local(source: str) -> str:
    """Read a file path or ``-`` (stdin) as text."""
    if source == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(source)
        if not path.exists():
            raise SourceNotFound(f"no such file: {source}")
        if path.is_dir():
            raise SourceNotFound(f"{source} is a folder, not an article file")
        data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UnsupportedContent(f"{'stdin' if source == '-' else source} is a binary file, not HTML or text")
    return data.decode("utf-8", errors="replace")


async def article_from_source(source: str, fetcher: Fetcher | None = None) -> Article:
    """A URL, a file path, ``-`` (stdin) or ``sample`` -> the extracted article."""
    looks_like_url = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", source) and not Path(source).exists()
    if looks_like_url or source.startswith("<http"):
        if fetcher is None:
            async with Fetcher() as owned:
                return await fetch_article(source, owned)
        return await fetch_article(source, fetcher)
    if source in ("sample", "--sample"):
        source = str(SAMPLE_ARTICLE)
    text = read_local(source)
    name = "stdin" if source == "-" else source
    article = extract_html(text, source=name) if looks_like_html(text) else extract_text(text, source=name)
    # a local file or stdin never claims a web address: its og:url / canonical link is only what the page
    # says about itself, and adopting it would store (and later serve) this text as that site's article
    return article.model_copy(update={"url": None}) if article.url else article

