"""Typed rows the store hands back: a stored article with its brief validated on read (never a raw dict)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from briefings.models import Brief
from briefings.store import models as m


def brief_of(data: dict[str, Any] | None) -> Brief | None:
    """A stored brief (``Brief.model_dump(mode="json")``) as the model again; None for an unanalysed article."""
    return Brief.model_validate(data) if data is not None else None


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with its brief when it was analysed (an exact copy of another source's text, or a
    feed-only entry, has none)."""

    article_id: int
    article: m.Article
    brief: Brief | None


@dataclass(frozen=True)
class StoredBrief:
    """An analysed article: the stored article and its brief."""

    article_id: int
    article: m.Article
    brief: Brief


@dataclass(frozen=True)
class LatestStory:
    """One story of :meth:`Store.latest`: its newest relevant article, the brief, and the story's other sources."""

    article: m.Article
    brief: Brief
    also: tuple[str, ...]


@dataclass(frozen=True)
class PartnerArticle:
    """An article naming a partner, with the partner's role in it."""

    article_id: int
    title: str | None
    url: str
    published: date | None
    role: str

    @property
    def id(self) -> int:
        return self.article_id


def stored_brief(article: m.Article, data: dict[str, Any]) -> StoredBrief:
    return StoredBrief(article.id, article, Brief.model_validate(data))


@dataclass(frozen=True)
class BriefRef:
    """A brief and the id of the stored article it belongs to (what the bot keeps as a thread's context)."""

    article_id: int
    brief: Brief
