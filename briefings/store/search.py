"""Full-text search over the archive (SQLite FTS5 or PostgreSQL tsvector), bounded whatever the query."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from briefings.store import workspaces
from briefings.store.base import StoreBase

MAX_SEARCH_TERMS = 12  # distinct words a search looks for
MAX_TERM_CHARS = 40  # longer "words" are junk (or an attack), not search terms
SEARCH_TIMEOUT_S = 3.0  # PostgreSQL statement timeout for one search
RANK_WINDOW = 1000  # a query matching more articles ranks the newest this many (see _rank_query)


@dataclass
class SearchHit:
    article_id: int
    title: str | None
    url: str
    source: str | None
    published: date | None
    snippet: str
    rank: float
    also: list[str] = field(default_factory=list)  # other sources of the same story


class SearchResults(list[SearchHit]):
    """The hits of a search, best first, with ``cut`` set (and a plain ``note``) when the query was cut to its
    bounds or stopped by the time limit -- front ends say so rather than pretend it ran whole."""

    def __init__(self, hits: list[SearchHit] | None = None, *, cut: bool = False, note: str | None = None):
        super().__init__(hits or [])
        self.cut = cut
        self.note = note


def search_words(text_: str) -> str:
    """A pruned body: each distinct word once, in order of first use (all that full-text search needs)."""
    seen: dict[str, None] = {}
    for w in re.findall(r"\w+", text_ or ""):
        seen.setdefault(w.lower(), None)
    return " ".join(seen)


def search_terms(query: str) -> tuple[list[str], bool]:
    """The words a search uses -- distinct (case-insensitively), in order, capped -- and whether any were cut."""
    seen: dict[str, str] = {}
    cut = False
    for word in re.finditer(r"\w+", query or ""):
        term = word.group(0)
        if len(term) > MAX_TERM_CHARS:
            cut = True
            continue
        key = term.lower()
        if key in seen:
            continue
        if len(seen) >= MAX_SEARCH_TERMS:
            cut = True
            break
        seen[key] = term
    return list(seen.values()), cut


def _rank_query(dialect: str, since: date | None, team_id: str | None = None) -> str:
    """The best matches among the newest :data:`RANK_WINDOW`, ranked, with what a hit shows but its snippet
    (snippets cost: only the hits shown get one, see :func:`_snippet_query`).

    Ranking every match made a common word's search grow with the archive (profiled at 100,000 articles: ~50 ms
    on SQLite, ~200 ms on PostgreSQL, nearly all in bm25 / ts_rank over tens of thousands of matches). A query
    matching more than the window ranks its newest matches only -- for a news archive, recent first -- while a
    narrower query (rare words, several words, a date bound) still ranks every match."""
    cols = "a.id, a.title, a.url, a.source, a.published, a.cluster_id"
    # a workspace searches what it reached and the operator's (briefings.store.workspaces)
    seen = workspaces.VISIBLE_SQL if team_id else ""
    if dialect == "sqlite":
        where = ("AND a.published >= :since " if since else "") + seen
        # FTS5 walks its matches newest first (rowid order) and computes bm25 only for the rows it returns
        inner = ("SELECT f.rowid AS id, bm25(articles_fts, 4.0, 1.0) AS score FROM articles_fts f "
                 "JOIN articles a ON a.id = f.rowid WHERE articles_fts MATCH :q " + where + "ORDER BY f.rowid DESC"
                 if where else
                 "SELECT rowid AS id, bm25(articles_fts, 4.0, 1.0) AS score FROM articles_fts "
                 "WHERE articles_fts MATCH :q ORDER BY rowid DESC")
        # ties (a story's copies score alike) go to the earliest stored: the original, not a syndicated copy
        return (f"SELECT {cols}, r.score FROM (SELECT id, score FROM ({inner} LIMIT :win) "
                "ORDER BY score, id LIMIT :lim) r JOIN articles a ON a.id = r.id ORDER BY r.score, a.id")
    return (f"SELECT {cols}, -ts_rank(a.search, q) AS score FROM ("
            "SELECT a.id FROM articles a WHERE a.search @@ plainto_tsquery('english', :q) " +
            ("AND a.published >= :since " if since else "") + seen + "ORDER BY a.id DESC LIMIT :win) w "
            "JOIN articles a ON a.id = w.id, plainto_tsquery('english', :q) q ORDER BY score, a.id LIMIT :lim")


def _snippet_query(dialect: str) -> Any:
    """Highlighted snippets of the hits shown (``:ids``) -- ts_headline and snippet() re-read the text."""
    if dialect == "sqlite":
        sql = ("SELECT rowid AS id, snippet(articles_fts, 1, '*', '*', '…', 16) AS snip FROM articles_fts "
               "WHERE articles_fts MATCH :q AND rowid IN :ids")
    else:
        sql = ("SELECT a.id, ts_headline('english', a.text, plainto_tsquery('english', :q), "
               "'StartSel=*,StopSel=*,MaxWords=30,MinWords=12') AS snip FROM articles a WHERE a.id IN :ids")
    return text(sql).bindparams(bindparam("ids", expanding=True))


# The Snowball English stop words -- the list PostgreSQL's 'english' configuration drops from a query; FTS5 has
# none, and each of these words matches nearly every article, so a sentence-long query intersected their huge
# match lists (and bm25 counted them) on every search: at 100,000 articles ~25 ms, growing with the archive.
STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it
its itself they them their theirs themselves what which who whom this that these those am is are was were be been
being have has had having do does did doing a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on off over under again further
then once here there when where why how all any both each few more most other some such no nor not only own same so
than too very s t can will just don should now""".split())


def _match_of(dialect: str, terms: list[str]) -> str:
    if dialect == "sqlite":  # stop words dropped as PostgreSQL does, unless the query is nothing else
        terms = [t for t in terms if t.lower() not in STOP_WORDS] or terms
        return " ".join('"' + t.replace('"', "") + '"' for t in terms)
    return " ".join(terms)


def _fold_hits(rows: list[Any]) -> list[SearchHit]:
    """One hit per story (cluster), best first; the other sources of a story are listed in ``also``."""
    hits: dict[int, SearchHit] = {}
    for r in rows:
        key = r.cluster_id or -r.id
        if key in hits:
            if r.source and r.source not in hits[key].also and r.source != hits[key].source:
                hits[key].also.append(r.source)
            continue
        published = r.published if isinstance(r.published, date) or r.published is None \
            else date.fromisoformat(str(r.published)[:10])
        hits[key] = SearchHit(r.id, r.title, r.url, r.source, published, "", float(r.score))
    return list(hits.values())


async def _ranked_hits(s: AsyncSession, dialect: str, terms: list[str], since: date | None, limit: int,
                       team_id: str | None = None) -> list[SearchHit]:
    """The top ``limit`` stories (a few rows per story are ranked, then folded), each with its snippet."""
    params: dict[str, Any] = {"q": _match_of(dialect, terms), "lim": limit * 4, "win": RANK_WINDOW}
    if since:
        params["since"] = since
    if team_id:
        params["team"] = team_id
    rows = list((await s.execute(text(_rank_query(dialect, since, team_id)), params)).all())
    hits = _fold_hits(rows)[:limit]
    if hits:
        snips: dict[int, str | None] = dict((await s.execute(
            _snippet_query(dialect), {"q": params["q"], "ids": [h.article_id for h in hits]})).all())
        for h in hits:
            h.snippet = " ".join((snips.get(h.article_id) or "").split())
    return hits


class SearchMixin(StoreBase):
    async def search(self, query: str, *, since: date | None = None, limit: int = 10,
                     timeout: float = SEARCH_TIMEOUT_S, team_id: str | None = None) -> SearchResults:
        """Ranked full-text search, bounded whatever the query: at most :data:`MAX_SEARCH_TERMS` distinct words
        of at most :data:`MAX_TERM_CHARS` characters, snippets (the costly part) only for the top rows, and on
        PostgreSQL a statement timeout. ``result.cut`` says when the query was cut or stopped."""
        limit = max(1, min(limit, 50))
        terms, cut = search_terms(query)
        note = (f"only the first {MAX_SEARCH_TERMS} words (of up to {MAX_TERM_CHARS} letters each) were searched"
                if cut else None)
        if not terms:
            return SearchResults([], cut=cut, note=note)
        async with self.session() as s:
            if self.dialect != "sqlite":
                # a time limit (ms; 0 = none) and custom plans: asyncpg prepares the statement, and from its sixth
                # run PostgreSQL may switch to a generic plan that, not knowing the words, ranks every match
                # (measured at 100,000 articles: 7 ms -> 37 ms)
                await s.execute(text("SELECT set_config('statement_timeout', :ms, true), "
                                     "set_config('plan_cache_mode', 'force_custom_plan', true)"),
                                {"ms": str(max(1, int(timeout * 1000)))})
            try:
                hits = await _ranked_hits(s, self.dialect, terms, since, limit, team_id)
            except DBAPIError as exc:
                if "statement timeout" not in str(exc) and "canceling statement" not in str(exc):
                    raise
                return SearchResults([], cut=True, note=f"the search took longer than {timeout:g} s and was "
                                                         "stopped; try fewer or rarer words")
        return SearchResults(hits, cut=cut, note=note)
