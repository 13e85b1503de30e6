"""Analysts' corrections of briefs (issue 13), Slack-free: storing them per workspace, marking a brief with
them (never silently changing it), and exporting corrected articles as annotated evaluation data in the
corpus format (``../shared/corpus/ANNOTATION.md``: ``partners``, ``not_partners``, ``acceptable``, ``topic``…).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select

from briefings.models import Brief, BriefMarks, CorrectionNote
from briefings.store import models as m
from briefings.store.repo import Store, utcnow

KINDS = ("not_partner", "wrong_role", "wrong_country", "missing_partner", "not_launch_news")
LABELS = {"not_partner": "not a partner", "wrong_role": "wrong role", "wrong_country": "wrong country",
          "missing_partner": "missing partner", "not_launch_news": "not launch news"}


class CorrectionIn(BaseModel):
    """One correction as it arrives from Slack (already parsed and checked)."""

    team_id: str
    article_id: int
    kind: Literal["not_partner", "wrong_role", "wrong_country", "missing_partner", "not_launch_news"]
    partner: str = ""
    value: str | None = None
    user_id: str | None = None


class CorrectionError(ValueError):
    pass


async def add(store: Store, c: CorrectionIn) -> m.Correction:
    got = await store.get_brief(c.article_id)
    if not got or not got.brief:
        raise CorrectionError("That brief is no longer stored.")
    brief = got.brief
    names = {p.name for p in brief.partners}
    if c.kind in ("not_partner", "wrong_role", "wrong_country") and c.partner not in names:
        raise CorrectionError(f"This brief lists no partner called {c.partner}.")
    if c.kind in ("wrong_role", "wrong_country", "missing_partner") and not (c.value or "").strip():
        raise CorrectionError("Say what it should be.")
    value = (c.value or "").strip()
    if c.kind == "wrong_country" and not (len(value) == 2 and value.isalpha()):
        raise CorrectionError("Give the country as a two-letter ISO code, e.g. NO for Norway.")
    row = m.Correction(team_id=c.team_id, article_id=c.article_id, kind=c.kind, partner=c.partner,
                       value=(c.value or "").strip()[:300] or None, user_id=c.user_id,
                       engine_version=brief.engine_version, created_at=utcnow())
    async with store._save_lock, store.session() as s, s.begin():
        s.add(row)
    return row


async def for_articles(store: Store, team_id: str, article_ids: list[int]) -> list[m.Correction]:
    if not article_ids:
        return []
    async with store.session() as s:
        return list((await s.execute(select(m.Correction).where(
            m.Correction.team_id == team_id, m.Correction.article_id.in_(sorted(set(article_ids))))
            .order_by(m.Correction.id))).scalars())


async def since(store: Store, when: date | datetime | None = None) -> list[m.Correction]:
    async with store.session() as s:
        q = select(m.Correction).order_by(m.Correction.article_id, m.Correction.id)
        if when is not None:
            if not isinstance(when, datetime):
                when = datetime(when.year, when.month, when.day, tzinfo=utcnow().tzinfo)
            q = q.where(m.Correction.created_at >= when)
        return list((await s.execute(q)).scalars())


async def corrected_away(store: Store, team_id: str) -> set[tuple[int, str]]:
    """(article, partner) pairs this workspace said are not partners: left out of its partner history."""
    async with store.session() as s:
        return {(a, p) for a, p in (await s.execute(select(m.Correction.article_id, m.Correction.partner).where(
            m.Correction.team_id == team_id, m.Correction.kind == "not_partner"))).all()}


def mark(corrections: list[m.Correction]) -> BriefMarks | None:
    """This workspace's corrections of a brief, for the renderer: notes per partner name and notes on the brief
    as a whole (None when there are none). The brief itself stays as the engine made it: a corrected line is
    marked, not silently changed."""
    if not corrections:
        return None
    marks = BriefMarks()
    for c in corrections:
        note = CorrectionNote(label=LABELS[c.kind], value=c.value, user=c.user_id)
        if c.partner and c.kind != "missing_partner":
            marks.partners.setdefault(c.partner, []).append(note)
        else:
            marks.whole.append(note)
    return marks


def annotated(article: m.Article, brief: Brief, corrections: list[m.Correction]) -> dict:
    """The corrected article as an annotated corpus record: the brief's partners, as corrected, are the gold
    ``partners``; those corrected away go to ``not_partners``; ``topic`` follows a "not launch news"."""
    partners, not_partners = [], []
    by_partner: dict[str, list[m.Correction]] = {}
    for c in corrections:
        by_partner.setdefault(c.partner, []).append(c)
    for p in brief.partners:
        entry: dict[str, str | None] = {"name": p.name, "kind": p.kind, "role": p.role or "partner"}
        if p.country:
            entry["country"] = p.country
        fixes = by_partner.get(p.name, [])
        if any(c.kind == "not_partner" for c in fixes):
            not_partners.append({**entry, "role": "corrected by an analyst: not a partner"})
            continue
        for c in fixes:
            if c.kind == "wrong_role":
                entry["role"] = c.value
            elif c.kind == "wrong_country":
                entry["country"] = (c.value or "").upper()
        partners.append(entry)
    for c in corrections:
        if c.kind == "missing_partner" and c.value:
            from briefings.analysis.kb import load_kb

            ent = load_kb().by_name(c.value)
            partners.append({"name": ent.name if ent else c.value, "kind": ent.kind if ent else "company",
                             "role": "partner (added by an analyst)"})
    topic = brief.relevance.label or "launch-policy"
    if any(c.kind == "not_launch_news" for c in corrections):
        topic = "off-topic"
    return {
        "id": f"correction-{article.id}", "url": article.url, "title": article.title or brief.title or "",
        "published": article.published.isoformat() if article.published else None, "source": article.source,
        "language": article.language, "text": article.text, "text_chars": len(article.text or ""),
        "topic": topic, "partners": partners, "not_partners": not_partners, "acceptable": [],
        "quotes": [{"speaker": q.speaker, "text": q.text} for q in brief.quotes],
        "key_points": [],
        "annotation_notes": "Exported from analysts' corrections of launchbrief engine "
                            f"{brief.engine_version or '?'}; partners not corrected are kept as the engine "
                            "listed them.",
        "corrections": [{"kind": c.kind, "partner": c.partner or None, "value": c.value, "user": c.user_id,
                         "team": c.team_id, "at": c.created_at.isoformat() if c.created_at else None,
                         "engine_version": c.engine_version} for c in corrections],
    }


async def export(store: Store, when: date | None = None) -> list[dict]:
    """One annotated record per (workspace, corrected article) since ``when``."""
    rows = await since(store, when)
    groups: dict[tuple[str, int], list[m.Correction]] = {}
    for c in rows:
        groups.setdefault((c.team_id, c.article_id), []).append(c)
    out = []
    for (_team, article_id), cs in groups.items():
        got = await store.get_brief(article_id)
        if got and got.brief:
            out.append(annotated(got.article, got.brief, cs))
    return out


async def removed_counts(store: Store, team_id: str, since_day: date | None = None) -> dict[str, int]:
    """Per partner, how many of its stored mentions this workspace corrected away (for partner history)."""
    away = await corrected_away(store, team_id)
    if not away:
        return {}
    async with store.session() as s:
        q = select(m.PartnerMention.article_id, m.PartnerMention.entity).where(
            m.PartnerMention.article_id.in_(sorted({a for a, _ in away})))
        if since_day:
            q = q.where(m.PartnerMention.mentioned_on >= since_day)
        rows = (await s.execute(q)).all()
    out: dict[str, int] = {}
    for article_id, entity in rows:
        if (article_id, entity) in away:
            out[entity] = out.get(entity, 0) + 1
    return out
