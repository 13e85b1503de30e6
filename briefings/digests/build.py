"""A channel's digest: the relevant stories stored since its previous digest (by cursor, not by clock).

Stories are grouped by policy-event type; a story cluster shows once with "also covered by"; a partners
line counts mentions and flags partners new since the previous digest. Plain models: any front end renders.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from pydantic import BaseModel, Field

from briefings.analysis.kb import load_kb
from briefings.analysis.relevance import EVENT_TYPES
from briefings.models import Brief, Partner, known_family
from briefings.store.models import Article as StoredArticleRow
from briefings.store.repo import Store

# the digest's sections, in the order relevance.EVENT_TYPES names them (one list of event types), then "other"
EVENT_ORDER = [*EVENT_TYPES, "other"]


class DigestStory(BaseModel):
    article_id: int
    title: str | None
    url: str
    source: str | None
    published: date | None
    tldr: str | None
    event_type: str
    partners: list[str] = Field(default_factory=list)
    partner_roles: list[str] = Field(default_factory=list)  # "SpaceX (launch provider)": name and role family
    also: list[str] = Field(default_factory=list)


class DigestPartner(BaseModel):
    name: str
    count: int
    new: bool


class Digest(BaseModel):
    channel_id: str
    schedule: str | None
    groups: dict[str, list[DigestStory]]
    partners: list[DigestPartner]
    cursor_from: int
    cursor_to: int
    catching_up: bool = False
    filters: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.groups.values())

    @property
    def story_count(self) -> int:
        return sum(len(v) for v in self.groups.values())


def _matches(filters: list[str], title: str, tldr: str, partners: list[str]) -> bool:
    if not filters:
        return True
    hay = " ".join([title, tldr, *partners]).lower()
    return any(f.lower() in hay for f in filters)


def _own_side(kb, key: str) -> set[str]:
    """The subject's own side, as the engine defines it: the knowledge base's ``own_side`` when it has one,
    else the organisations of the same kind and country (the Department of Defense beside the Space Force)."""
    own_side = getattr(kb, "own_side", None)
    if callable(own_side):
        return set(own_side(key))
    ent = kb.entities.get(key)
    if ent is None or ent.kind == "country" or not ent.country:
        return {key}
    return {key} | {e.key for e in kb.entities.values() if e.kind == ent.kind and e.country == ent.country}


def brief_partners(brief: Brief, kb=None) -> list[Partner]:
    """The stored brief's partners under the brief's own definition: never its subject, never the subject's
    own side (a brief stored by an older engine may still list them)."""
    kb = kb or load_kb()
    name = (brief.subject.name if brief.subject else "").strip()
    key = brief.subject.kb if brief.subject else None
    if not key and name:
        ent = kb.by_name(name)
        key = ent.key if ent else None
    keys = _own_side(kb, key) if key else set()
    names = {kb.entities[k].name.lower() for k in keys if k in kb.entities} | ({name.lower()} if name else set())
    out = []
    for p in brief.partners:
        pkey = p.key
        if not pkey and keys:  # the name lookup scans the KB on a miss: only when a subject side can match it
            ent = kb.by_name(p.name or "")
            pkey = ent.key if ent else None
        if (pkey and pkey in keys) or (p.name or "").lower() in names:
            continue
        out.append(p)
    return out


# A copy that says where it comes from ("This article originally appeared on …", "first published by …").
_SYNDICATED = re.compile(r"\b(originally|first)\s+(appeared|published|ran)\b|\b(republished|reprinted|syndicated)\s+"
                         r"(from|with|by|on|in)\b", re.I)


def says_it_is_a_copy(art) -> bool:
    text = art.text or ""
    return bool(_SYNDICATED.search(" ".join(filter(None, [getattr(art, "summary", None), text[:400], text[-600:]]))))


def original_of(members: list[StoredArticleRow]) -> StoredArticleRow:
    """A story cluster's original: the earliest published; on the same (or no) date one that does not say it
    is a copy of another; then the first stored. (Stored order is no guide: a syndicated copy's feed may simply
    have been polled first.)"""
    return min(members, key=lambda a: (a.published or date.max, says_it_is_a_copy(a), a.id))


async def build_digest(store: Store, sub, *, catching_up: bool = False, limit: int = 200) -> Digest:
    cursor = sub.cursor_article_id or 0
    filters = list((sub.filters or {}).get("terms", []))
    # a channel's digest holds what its own workspace reached (its feeds, its briefs) and the operator's
    rows = await store.digest_rows(cursor, limit=limit, team_id=getattr(sub, "team_id", None))
    cursor_to = max([r.article_id for r in rows], default=cursor)
    # every new member of these clusters, analysed or not: an exact copy is stored without its own analysis
    members: dict[int, list[StoredArticleRow]] = {}
    for art in await store.cluster_articles({r.article.cluster_id for r in rows if r.article.cluster_id},
                                            after_id=cursor):
        members.setdefault(art.cluster_id or 0, []).append(art)
    stories: dict[int, DigestStory] = {}  # by cluster: the original of each cluster, others as "also"
    counts: Counter[str] = Counter()
    kb = load_kb()
    from briefings.corrections import corrected_away

    away = await corrected_away(store, getattr(sub, "team_id", "") or "")  # this workspace's corrections
    for art, brief in ((r.article, r.brief) for r in rows):
        listed = [p for p in brief_partners(brief, kb) if (art.id, p.name) not in away]
        partners = [p.name for p in listed]
        roles = [f"{p.name} ({family})" if (family := known_family(p)) else p.name for p in listed]
        tldr = brief.tldr.text if brief.tldr else ""
        if not _matches(filters, art.title or "", tldr, partners):
            continue
        key = art.cluster_id or -art.id
        if key in stories:
            source = art.source or art.url
            if source not in stories[key].also and source != (stories[key].source or stories[key].url):
                stories[key].also.append(source)
            continue
        counts.update(set(partners))
        event = next(iter(brief.event_types), "other")
        cluster = [a for a in members.get(art.cluster_id or 0, []) if a.id != art.id] + [art]
        shown = original_of(cluster)
        also: list[str] = []
        for other in sorted(cluster, key=lambda a: a.id):
            source = other.source or other.url
            if other is not shown and source != (shown.source or shown.url) and source not in also:
                also.append(source)
        stories[key] = DigestStory(article_id=shown.id, title=shown.title or art.title, url=shown.url,
                                   source=shown.source, published=shown.published, tldr=tldr or None,
                                   event_type=event if event in EVENT_ORDER else "other", partners=partners,
                                   also=also, partner_roles=roles)
    groups: dict[str, list[DigestStory]] = {k: [] for k in EVENT_ORDER}
    for story in stories.values():
        groups[story.event_type].append(story)
    groups = {k: v for k, v in groups.items() if v}
    seen = await store.partners_seen_before(cursor, list(counts))
    top = [DigestPartner(name=n, count=c, new=n not in seen) for n, c in counts.most_common(12)]
    return Digest(channel_id=sub.channel_id, schedule=sub.schedule_text, groups=groups, partners=top,
                  cursor_from=cursor, cursor_to=cursor_to, catching_up=catching_up, filters=filters)
