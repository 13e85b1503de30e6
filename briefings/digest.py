"""A channel's digest: the relevant stories stored since its previous digest (by cursor, not by clock).

Stories are grouped by policy-event type; a story cluster shows once with "also covered by"; a partners
line counts mentions and flags partners new since the previous digest. Plain models: any front end renders.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from pydantic import BaseModel, Field

from .store.repo import Store

EVENT_ORDER = ["partnership/agreement", "contract award", "licence/regulation", "spaceport", "launch outcome",
               "budget/policy", "other"]


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


async def build_digest(store: Store, sub, *, catching_up: bool = False, limit: int = 200) -> Digest:
    cursor = sub.cursor_article_id or 0
    filters = list((sub.filters or {}).get("terms", []))
    rows = await store.digest_rows(cursor, limit=limit)
    cursor_to = max([a.id for a, _ in rows], default=cursor)
    stories: dict[int, DigestStory] = {}  # by cluster: the first story of each cluster, others as "also"
    counts: Counter[str] = Counter()
    for art, brief in rows:
        subject = (brief.get("subject") or {}).get("kb")
        listed = [p for p in brief.get("partners", []) if not (subject and p.get("key") == subject)]
        partners = [p["name"] for p in listed]
        roles = [f"{p['name']} ({p['role_family']})" if p.get("role_family") else p["name"] for p in listed]
        tldr = (brief.get("tldr") or {}).get("text") or ""
        if not _matches(filters, art.title or "", tldr, partners):
            continue
        key = art.cluster_id or -art.id
        if key in stories:
            source = art.source or art.url
            if source not in stories[key].also and source != stories[key].source:
                stories[key].also.append(source)
            continue
        counts.update(set(partners))
        event = next(iter(brief.get("event_types") or []), "other")
        stories[key] = DigestStory(article_id=art.id, title=art.title, url=art.url, source=art.source,
                                   published=art.published, tldr=tldr or None,
                                   event_type=event if event in EVENT_ORDER else "other", partners=partners,
                                   partner_roles=roles)
    groups: dict[str, list[DigestStory]] = {k: [] for k in EVENT_ORDER}
    for story in stories.values():
        groups[story.event_type].append(story)
    groups = {k: v for k, v in groups.items() if v}
    seen = await store.partners_seen_before(cursor, list(counts))
    partners = [DigestPartner(name=n, count=c, new=n not in seen) for n, c in counts.most_common(12)]
    return Digest(channel_id=sub.channel_id, schedule=sub.schedule_text, groups=groups, partners=partners,
                  cursor_from=cursor, cursor_to=cursor_to, catching_up=catching_up, filters=filters)
