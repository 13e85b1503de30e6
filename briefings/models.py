"""Plain models the engine returns. Any front end (terminal, Slack, JSON) renders these.

The JSON form of :class:`Brief` (``Brief.model_dump(mode="json")``) is the documented schema; see
README.md "Brief JSON schema".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, field_validator

PartnerKind = Literal["country", "agency", "company", "spaceport", "military"]
Tier = Literal["established", "emerging"]
RelevanceLabel = Literal["launch-policy", "space-adjacent", "off-topic"]
# The role families of the corpus annotation guide: what a partner is to the story's launch activity.
RoleFamily = Literal["partner", "launch provider", "launch site", "host nation", "launch customer",
                     "support / funder"]
ROLE_FAMILIES: tuple[str, ...] = ("partner", "launch provider", "launch site", "host nation", "launch customer",
                                  "support / funder")
SubjectWhy = Literal["headline actor", "publisher", "main speaker's organisation"]


# Bidirectional embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069): a title carrying them can
# display in another order than it reads; they are dropped from titles before anything stores or shows them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi(text):
    return _BIDI_CONTROLS.sub("", text) if isinstance(text, str) else text


class Sentence(BaseModel):
    """A sentence of the article, with its 0-based index in the article's sentence list."""

    index: int
    text: str


class Article(BaseModel):
    """Main text and metadata of one article, as extracted."""

    url: str | None = None
    source: str  # where it came from: the URL, a file path, or "stdin"
    title: str | None = None
    author: str | None = None
    site_name: str | None = None

    _no_bidi = field_validator("title", "site_name", mode="before")(strip_bidi)
    published: date | None = None
    language: str | None = None
    text: str
    description: str | None = None


class KBFacts(BaseModel):
    """Facts from launchbrief's own knowledge base (not from the article)."""

    operator: str | None = None
    status: str | None = None  # spaceports: operational | emerging | planned
    orbits: list[str] = Field(default_factory=list)
    vehicles: list[str] = Field(default_factory=list)
    spaceports: list[str] = Field(default_factory=list)  # for countries: the sites it hosts
    country: str | None = None
    note: str | None = None


class Partner(BaseModel):
    name: str
    kind: PartnerKind
    country: str | None = None  # ISO 3166-1 alpha-2 where known
    role: str  # detail in the article's terms ("launch provider (Falcon 9)", "partner under discussion")
    # The family the role belongs to; briefs stored before families existed read as "partner".
    role_family: RoleFamily = "partner"
    key: str | None = None  # knowledge-base key, or None for an organisation found only in the text
    tier: Tier | None = None  # countries only
    evidence: list[Sentence]
    mentions: int = 1
    kb: KBFacts | None = None  # enrichment: facts from our knowledge base, not from the article


class Subject(BaseModel):
    """Who the story is about: the organisation that acts or publishes. Never listed as a partner."""

    name: str  # as the article names it (a former name stays as written)
    kind: str  # country | agency | company | spaceport | military | regulator | other
    kb: str | None = None  # knowledge-base key, or None when the knowledge base does not hold it
    why: SubjectWhy


class Quote(BaseModel):
    speaker: str | None  # a person, or an organisation for a statement attributed to it
    text: str
    sentence_index: int
    speaker_org: str | None = None  # the organisation the speaker speaks for, where the article gives it


class Person(BaseModel):
    name: str
    title: str | None = None


class Relevance(BaseModel):
    label: RelevanceLabel
    score: float


class Brief(BaseModel):
    title: str | None
    source: str
    url: str | None
    published: date | None
    author: str | None = None
    site_name: str | None = None

    _no_bidi = field_validator("title", "site_name", mode="before")(strip_bidi)
    language: str | None
    tldr: Sentence | None
    summary: list[Sentence]
    partners: list[Partner]
    subject: Subject | None = None
    quotes: list[Quote]
    people: list[Person]
    relevance: Relevance
    event_types: list[str]
    word_count: int
    sentence_count: int
    engine_version: str
    notes: list[str] = Field(default_factory=list)  # plain caveats for the reader, e.g. a language we only skim

    def partners_by_tier(self) -> dict[str, list[Partner]]:
        return partners_by_tier(self.partners)


def partners_by_tier(partners: list[Partner]) -> dict[str, list[Partner]]:
    """Countries grouped by tier, with each organisation/site placed under its country's tier."""
    tiers = {p.country: p.tier for p in partners if p.kind == "country"}
    groups: dict[str, list[Partner]] = {"established": [], "emerging": [], "other": []}
    for p in partners:
        tier = p.tier if p.kind == "country" else tiers.get(p.country)
        groups[tier or "other"].append(p)
    return groups


T = TypeVar("T")


def group_by_country(items: Iterable[T], *, country: Callable[[T], str | None], weight: Callable[[T], int],
                     country_name: Callable[[str | None], str | None] = lambda c: c) -> list[tuple[str, list[T]]]:
    """Items (partners, partner statistics) under their country's name, "International" when there is none;
    the country with the largest total ``weight`` (mentions, articles) first, items in their given order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(country_name(country(item)) or "International", []).append(item)
    return sorted(groups.items(), key=lambda kv: -sum(weight(i) for i in kv[1]))
class CorrectionNote(BaseModel):
    """A workspace's correction of a brief line, as shown under it."""

    label: str  # "not a partner", "wrong role", ...
    value: str | None = None  # the right role / country / name
    user: str | None = None  # the Slack user who corrected it


class BriefMarks(BaseModel):
    """A workspace's corrections to show with a brief: the brief itself is never changed, its lines are marked."""

    partners: dict[str, list[CorrectionNote]] = Field(default_factory=dict)  # partner name -> notes
    whole: list[CorrectionNote] = Field(default_factory=list)  # notes on the brief as a whole


def known_family(p: Partner) -> str | None:
    """The partner's role family as its brief states it; None for a partner stored before families existed
    (no family in its JSON: the model's "partner" default is then a reading, not what the engine said)."""
    return p.role_family if "role_family" in p.model_fields_set else None
