"""The news archive: feeds, articles, analyses, partner history, story clusters, search.

One :class:`Store` per process, composed of one mixin per concern over a shared engine and session factory
(:mod:`.base`): :mod:`.feeds`, :mod:`.articles`, :mod:`.dedup`, :mod:`.search`, :mod:`.partners`,
:mod:`.digests`, :mod:`.events`, :mod:`.retention`. Every write is its own short transaction, so a process
killed at any point leaves only whole articles behind (and the unique constraints turn a replay into a no-op).

The names callers import from here (``Store``, ``SaveItem``, ``PartnerStat``, ``utcnow``, ...) are re-exported.
"""

from __future__ import annotations

from briefings.store.articles import SAVE_LOCK_KEY, ArticlesMixin, SaveItem, SaveResult
from briefings.store.base import URL_MAX, StoreBase, utcnow
from briefings.store.dedup import (BANDS, CLUSTER_WINDOW, NEAR_DUP_JACCARD, ROWS, DedupMixin, lsh_bands,
                                   minhash_of)
from briefings.store.digests import DigestsMixin
from briefings.store.events import EventsMixin
from briefings.store.feeds import FeedsMixin
from briefings.store.minhash import NUM_PERM
from briefings.store.partners import PartnerStat, PartnersMixin
from briefings.store.retention import RetentionMixin
from briefings.store.rows import BriefRef, LatestStory, PartnerArticle, StoredArticle, StoredBrief
from briefings.store.search import (MAX_SEARCH_TERMS, MAX_TERM_CHARS, SEARCH_TIMEOUT_S, SearchHit, SearchMixin,
                                    SearchResults, search_terms, search_words)

__all__ = [
    "BANDS", "CLUSTER_WINDOW", "MAX_SEARCH_TERMS", "MAX_TERM_CHARS", "NEAR_DUP_JACCARD", "NUM_PERM", "ROWS",
    "SAVE_LOCK_KEY", "SEARCH_TIMEOUT_S", "URL_MAX", "PartnerStat", "SaveItem", "SaveResult", "SearchHit",
    "SearchResults", "Store", "StoreBase", "BriefRef", "LatestStory", "PartnerArticle", "StoredArticle",
    "StoredBrief", "lsh_bands", "minhash_of", "search_terms", "search_words", "utcnow",
]


class Store(FeedsMixin, ArticlesMixin, DedupMixin, SearchMixin, PartnersMixin, DigestsMixin, EventsMixin,
            RetentionMixin):
    """The archive: every concern's methods on one object (``store.search(...)``, ``store.save_many(...)``)."""
