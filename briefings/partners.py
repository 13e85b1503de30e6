"""The typed partner list: who the article names as a launch partner, provider, host or customer.

Method (offline, rule-based, no tuning to single articles):
1. Find every knowledge-base entity in every sentence (the gazetteer, longest match; a launcher name such as
   "Falcon 9" names its provider).
2. Classify each mention by its sentence context:
   - *affiliation*: part of a person's title ("commander of Space Launch Delta 45", "U.S. Space Force
     Col. Mark Shoemaker") -- not evidence of a partnership;
   - *actor*: the organisation looking for partners ("US Space Force eyes global partners") -- not a
     partner of itself;
   - *regulator* entities (FAA, CAA ...) are never partners;
   - otherwise the sentence's cues give the role: partnership talk, launch provision, hosting a launch site,
     funding or contracting.
3. Keep entities with at least one mention carrying a role cue in a launch-relevant article; merge mentions;
   attach evidence sentences and knowledge-base facts (marked as enrichment).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .kb import Entity, KnowledgeBase, Mention
from .language import widen
from .models import KBFacts, Partner, Sentence

_RANKS = (r"(?:Gen|Brig|Col|Lt|Maj|Capt|Cmdr|Adm|Sgt|Sen|Rep|Dr|Mr|Mrs|Ms)\.?|General|Colonel|Lieutenant|Major|"
          r"Captain|Commander|Admiral|Sergeant|Administrator|Director|Chief|Secretary|Minister|Spokesperson|"
          r"spokesperson|spokesman|spokeswoman|official|officials|Head|head|chief|director|administrator|"
          r"Deputy|deputy|Vice|vice|CEO|chief executive|President|president")
# "<rank/role> of (the) ENTITY"  -> the entity is someone's affiliation
_AFFIL_BEFORE = re.compile(
    r"(?:commander|director|head|chief|official|officials|officer|administrator|spokesperson|spokesman|"
    r"spokeswoman|member|secretary|deputy|vice|lead|leader|chair|chairman|president|ceo|engineer|scientist|"
    r"researcher|manager|general|colonel|captain|serves?|served|works?|worked)"
    r"(?:\s+[\w\-]+){0,4}\s+(?:of|at|for|with|from|in)\s+(?:the\s+)?$", re.I)
# "ENTITY Col. Mark Shoemaker" / "NASA Administrator Bill Nelson"
_AFFIL_AFTER = re.compile(r"^(?:'s|’s)?\s+(?:" + _RANKS + r")(?:\s+(?:" + _RANKS + r"))*\s+[A-Z][a-z]+", re.U)

_SEEK = re.compile(r"\b(?:eyes|eyeing|seeks|seeking|explores|exploring|looks?\s+(?:at|for|to)|looking\s+(?:at|for|to)|"
                   r"courts|courting|woos|wooing|weighs|weighing|considers|considering|wants|pursues|pursuing|"
                   r"stud(?:y|ies|ying)|sounds?\s+out|sounding\s+out|mulls|mulling|reaches\s+out)\b", re.I)
_PARTNER_WORD = re.compile(r"\b(?:partner(?:s|ship|ships)?|all(?:y|ies|ied)|international|foreign|abroad|"
                           r"overseas)\b", re.I)

CUES = {
    "talks": re.compile(r"\b(?:talks?|discussions?|conversations?|negotiat\w+|dialogue|consult\w*)\b", re.I),
    "partner": re.compile(r"\b(?:partner\w*|cooperat\w+|collaborat\w+|alliance|joint|jointly|together with|"
                          r"teamed|team up|agreement|memorandum|MoU|MOU|accord|treaty|framework|signed|sign)\b", re.I),
    "provider": re.compile(r"\b(?:launch(?:es|ed|ing)?\s+(?:on|aboard|atop|by|with)|aboard|atop|rocket|launcher|"
                           r"launch vehicle|launch provider|launch services?|launch contract|lift(?:ed|s)? off|"
                           r"liftoff|launch(?:ed|es)?|flight|mission|rideshare|booster)\b", re.I),
    "host": re.compile(r"\b(?:spaceports?|launch sites?|launch complex|launch pad|pad|range|cosmodrome|"
                       r"space cent(?:er|re)|from|host\w*|site|base)\b", re.I),
    "fund": re.compile(r"\b(?:fund\w*|grant\w*|award\w*|invest\w*|contract\w*|selected|chose|chosen|"
                       r"order\w*|purchas\w*|procure\w*|bought|buy|paid|£|\$|€)", re.I),
    "potential": re.compile(r"\b(?:potential|possible|prospective|could|might|may|early-stage|exploring|"
                            r"under discussion|eyes)\b", re.I),
    "emerging": re.compile(r"\b(?:emerging|developing|still developing|new|nascent|future)\b.{0,40}"
                           r"\b(?:spaceports?|launch|nations?|infrastructure)\b", re.I),
    "established": re.compile(r"\balready (?:operate|run|have|host)|\bestablished|\bexisting launch", re.I),
}
_LAUNCH_CONTEXT = re.compile(r"\b(?:launch\w*|rocket\w*|spaceports?|orbit\w*|satellites?|payloads?|"
                             r"space (?:access|transport)|range|sounding)\b", re.I)


# the same cues in French, German, Spanish, Portuguese and Italian (briefings/language.py)
for _cue, _kinds in (("talks", ("talks",)), ("partner", ("agreement", "partner")), ("provider", ("launch",)),
                     ("host", ("spaceport",)), ("fund", ("fund",))):
    CUES[_cue] = widen(CUES[_cue], *_kinds)
_LAUNCH_CONTEXT = widen(_LAUNCH_CONTEXT, "launch", "spaceport")


@dataclass
class _Hit:
    mention: Mention
    sentence: int
    cues: set[str]
    excluded: str | None  # "affiliation" | "actor" | "regulator" | None


def _classify(sent: str, m: Mention, actor_keys: set[str]) -> tuple[set[str], str | None]:
    ent = m.entity
    if ent.kind == "regulator":
        return set(), "regulator"
    start, end = m.start, m.end
    before, after = sent[:start], sent[end:]
    if _AFFIL_BEFORE.search(before[-80:]) or _AFFIL_AFTER.match(after):
        return set(), "affiliation"
    if ent.key in actor_keys:
        return set(), "actor"
    cues = {name for name, rx in CUES.items() if rx.search(sent)}
    if m.via_vehicle:
        cues.add("provider")
    return cues, None


def find_actors(kb: KnowledgeBase, title: str | None, sentences: list[str]) -> set[str]:
    """Organisations that are *looking for* partners: "<ORG> eyes/seeks/explores ... partners"."""
    actors: set[str] = set()
    for text in ([title] if title else []) + sentences:
        if not _PARTNER_WORD.search(text):
            continue
        mentions = kb.find(text)
        if not mentions:
            continue
        first = mentions[0]
        verb = _SEEK.search(text, first.end)
        partner = _PARTNER_WORD.search(text, first.end)
        if (first.entity.kind in ("military", "agency", "company") and verb and partner
                and verb.start() - first.end < 25 and partner.start() > verb.start()):
            actors.add(first.entity.key)
    # The actor's own side -- organisations of the same country and kind (the Department of Defense beside
    # the Space Force) -- are not partners of the actor either.
    for key in list(actors):
        actor = kb.entities[key]
        actors.update(e.key for e in kb.entities.values()
                      if e.kind == actor.kind and e.country and e.country == actor.country)
    return actors


def _role(ent: Entity, cues: set[str], hosts_named_site: bool) -> str:
    potential = "potential" in cues
    if ent.kind == "country":
        if "emerging" in cues and ("talks" in cues or "partner" in cues):
            return "emerging spaceport nation in talks"
        if "talks" in cues or ("partner" in cues and potential):
            return "partner under discussion" + (" (operates launch sites)" if "established" in cues else "")
        if hosts_named_site:
            return "host nation"
        if "partner" in cues:
            return "partner"
        if "fund" in cues:
            return "government sponsor"
        return "named in launch context"
    if ent.kind == "spaceport":
        return "planned launch site" if ent.status == "planned" else "launch site"
    if ent.kind == "company":
        if ent.service == "spaceport":
            return "spaceport operator"
        if ent.service == "ground":
            return "tracking / ground services provider"
        if ent.service == "broker":
            return "launch broker"
        if potential and ("partner" in cues or "talks" in cues):
            return "potential partner"
        if "provider" in cues:
            return "launch provider"
        if "fund" in cues:
            return "contractor"
        return "partner"
    # agency / military
    if potential and ("partner" in cues or "talks" in cues):
        return "potential partner"
    if "fund" in cues and not ("provider" in cues and ent.vehicles):
        return "funder / customer"
    if ent.vehicles and "provider" in cues:
        return "launch provider"
    if ent.spaceports and "host" in cues:
        return "range operator / host"
    if "partner" in cues:
        return "partner"
    return "mission partner"


def _facts(kb: KnowledgeBase, ent: Entity) -> KBFacts:
    if ent.kind == "country":
        ports = ent.spaceports
        return KBFacts(spaceports=ports, status=ent.tier,
                       note=(f"{ent.tier} launch nation" if ent.tier else "no orbital launch site of its own"))
    if ent.kind == "spaceport":
        return KBFacts(operator=ent.operator, status=ent.status, orbits=ent.orbits,
                       country=kb.country_name(ent.country), note=ent.note)
    orbits: list[str] = []
    for name in ent.spaceports:
        port = kb.entities.get(f"spaceport:{name}")
        if port:
            orbits.extend(o for o in port.orbits if o not in orbits)
    return KBFacts(vehicles=ent.vehicles, spaceports=ent.spaceports, orbits=orbits,
                   country=kb.country_name(ent.country), note=ent.note)


def extract_partners(kb: KnowledgeBase, sentences: list[str], title: str | None = None,
                     label: str = "launch-policy") -> list[Partner]:
    """Partners in article order. Evidence indices point into ``sentences``; index -1 is the headline."""
    if label == "off-topic":
        return []
    actors = find_actors(kb, title, sentences)
    hits: dict[str, list[_Hit]] = defaultdict(list)
    order: list[str] = []
    numbered = ([(-1, title)] if title else []) + list(enumerate(sentences))
    for i, sent in numbered:
        for m in kb.find(sent):
            cues, excluded = _classify(sent, m, actors)
            if m.entity.key not in hits:
                order.append(m.entity.key)
            hits[m.entity.key].append(_Hit(m, i, cues, excluded))

    text_of = dict(numbered)
    site_countries = {kb.entities[k].country for k in order if kb.entities[k].kind == "spaceport"}
    partners: list[Partner] = []
    for key in order:
        ent_hits = hits[key]
        ent = ent_hits[0].mention.entity
        good = [h for h in ent_hits if h.excluded is None and _has_role(ent, h.cues, text_of[h.sentence], label)]
        if not good:
            continue
        cues = set().union(*(h.cues for h in good))
        evidence_idx = list(dict.fromkeys(h.sentence for h in good))[:3]
        partners.append(Partner(
            name=ent.name,
            kind=("military" if ent.kind == "military" else ent.kind),  # type: ignore[arg-type]
            country=ent.country,
            role=_role(ent, cues, ent.kind == "country" and ent.country in site_countries),
            tier=ent.tier if ent.kind == "country" else None,  # type: ignore[arg-type]
            evidence=[Sentence(index=i, text=text_of[i]) for i in evidence_idx],
            mentions=len(ent_hits),
            kb=_facts(kb, ent),
        ))
    return partners


def _has_role(ent: Entity, cues: set[str], sentence: str, label: str) -> bool:
    if ent.service == "manufacturer" and "partner" not in cues and "talks" not in cues:
        return False  # a satellite maker named beside a launch is a customer's supplier, not a launch partner
    if not cues - {"potential", "emerging", "established"}:
        return False
    launch_context = bool(_LAUNCH_CONTEXT.search(sentence))
    if label != "launch-policy":
        # in an article that is not about launch, only a sentence about launching can name a launch partner
        return launch_context and bool(cues & {"provider", "host"})
    if ent.kind == "country":
        # a country needs launch context in the same sentence: "Japan" in a sentence about tariffs is not a partner
        return launch_context or bool(cues & {"talks", "partner"})
    return True
