"""Watchlist terms (issue 13), Slack-free: parse what a user typed, resolve partners through the knowledge
base, and decide whether a stored brief matches.

A term is one of
* a *partner* (``Norway``, ``Andøya``, ``Space Force``): resolved through the KB, with its aliases; it matches
  an article only where the brief lists it (or a unit, site or subsidiary of it) as a *partner*, not where the
  article merely names it in passing;
* a *phrase* (``"technology safeguards agreement"``): a full-text match on the article (the store's index);
* an *event type* (``event:partnership/agreement``): one of the brief's ``event_types``.

Several terms AND together.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from briefings.analysis.kb import KnowledgeBase, load_kb
from briefings.models import Brief, Partner

EVENT_TYPES = ("partnership/agreement", "contract award", "licence/regulation", "spaceport", "launch outcome",
               "budget/policy")


class WatchError(ValueError):
    """Bad watch terms: the message is plain and says how to fix it."""


class WatchTerm(BaseModel):
    kind: Literal["partner", "phrase", "event"]
    value: str  # partner: the canonical name; phrase: the words; event: the event type
    keys: list[str] = []  # partner: KB keys that count as it (itself, its units/sites/subsidiaries)
    names: list[str] = []  # partner: canonical names of those keys (what a brief's partner list holds)

    def label(self) -> str:
        if self.kind == "phrase":
            return f"“{self.value}”"
        if self.kind == "event":
            return f"event:{self.value}"
        return self.value


class Match(BaseModel):
    """Why an article matched a watch: one reason per term, and the brief's partners that matched."""

    reasons: list[str]
    partners: list[Partner] = []


_TOKEN = re.compile(r"“([^”]*)”|\"([^\"]*)\"|‘([^’]*)’|(\S+)")


def _partner_keys(kb: KnowledgeBase, key: str) -> list[str]:
    """The entity, its units and subsidiaries (and a company's sites); a spaceport also counts its operator.
    A military service's or agency's bases are places, not the partner itself, so they are left out."""
    ent = kb.entities[key]
    keys = [key]
    if ent.kind == "spaceport" and ent.parent and kb.entities.get(ent.parent) is not None \
            and kb.entities[ent.parent].kind == "company":
        keys.append(ent.parent)
    for d in sorted(kb.descendants(key)):
        child = kb.entities[d]
        if child.kind != "spaceport" or ent.kind == "company":
            keys.append(d)
    return keys


def partner_term(kb: KnowledgeBase, text: str) -> WatchTerm | None:
    ent = kb.by_name(text)
    if ent is None or ent.kind == "regulator":
        return None
    keys = _partner_keys(kb, ent.key)
    return WatchTerm(kind="partner", value=ent.name, keys=keys, names=[kb.entities[k].name for k in keys])


def parse_terms(text: str, kb: KnowledgeBase | None = None) -> list[WatchTerm]:
    """``Norway event:partnership/agreement "safeguards agreement"`` -> terms. Unquoted words are read as
    partner names, longest KB name first (``Japan Space Force`` -> Japan, US Space Force)."""
    kb = kb or load_kb()
    terms: list[WatchTerm] = []
    words: list[str] = []

    def flush() -> None:
        i = 0
        while i < len(words):
            for j in range(len(words), i, -1):
                term = partner_term(kb, " ".join(words[i:j]))
                if term:
                    terms.append(term)
                    i = j
                    break
            else:
                raise WatchError(f"“{words[i]}” is not a partner I know. Put a phrase in quotes "
                                 f"(\"{words[i]}\") to watch for the words themselves.")
        words.clear()

    # "event:contract award" is one term: its space would split it
    text = re.sub(r"(?i)event:\s*(contract|launch)\s+(award|outcome)\b", r"event:\1_\2", text or "")
    for m in _TOKEN.finditer(text):
        quoted = next((g for g in m.groups()[:3] if g is not None), None)
        if quoted is not None:
            flush()
            phrase = " ".join(quoted.split())
            if not re.search(r"\w", phrase):
                raise WatchError("An empty phrase matches nothing: put words between the quotes.")
            terms.append(WatchTerm(kind="phrase", value=phrase))
            continue
        word = m.group(4)
        if word.lower().startswith("event:"):
            flush()
            wanted = word[6:].strip().lower().replace("_", " ")
            if wanted not in EVENT_TYPES:
                raise WatchError(f"“{word[6:]}” is not an event type. Use one of: "
                                 + ", ".join(f"event:{t}" for t in EVENT_TYPES) + ".")
            terms.append(WatchTerm(kind="event", value=wanted))
            continue
        words.append(word)
    flush()
    if not terms:
        raise WatchError("Watch for what? Try `/launchbrief watch Norway`, `watch \"safeguards agreement\"` or "
                         "`watch Japan event:partnership/agreement`.")
    if len(terms) > 8:
        raise WatchError("A watch takes at most 8 terms.")
    return terms


def match(terms: list[WatchTerm], brief: Brief, phrase_hits: set[str]) -> Match | None:
    """Does this brief match every term? ``phrase_hits`` holds the phrases the article's text matched (the
    store's full-text index decides)."""
    reasons: list[str] = []
    partners: list[Partner] = []
    listed = brief.partners
    for t in terms:
        if t.kind == "partner":
            hit = [p for p in listed if p.name in t.names]
            if not hit:
                return None
            for p in hit:
                if p not in partners:
                    partners.append(p)
            roles = ", ".join(sorted({p.role or "partner" for p in hit}))
            names = ", ".join(p.name for p in hit)
            reasons.append(f"{names} as {roles}" if names == t.value else f"{t.value} ({names}) as {roles}")
        elif t.kind == "event":
            if t.value not in brief.event_types:
                return None
            reasons.append(f"event: {t.value}")
        else:
            if t.value not in phrase_hits:
                return None
            reasons.append(f"mentions “{t.value}”")
    return Match(reasons=reasons, partners=partners)


def label(terms: list[WatchTerm]) -> str:
    return " + ".join(t.label() for t in terms)
