"""Relevance to launch policy, and the policy-event types an article reports.

A transparent lexicon score: launch vocabulary and launch-entity mentions per 100 words, with space
vocabulary as the weaker "space-adjacent" signal. Labels:
  launch-policy  -- launch activity, launch sites, launch providers or launch partnerships are the subject
  space-adjacent -- about space, but not about launching (science results, satellites in orbit)
  off-topic      -- everything else
"""

from __future__ import annotations

import re

from briefings.analysis.kb import Mention
from briefings.analysis.language import WidenedByText
from briefings.models import Relevance

_LAUNCH_EN = re.compile(
    r"\b(?:launch(?:es|ed|ing|er|ers)?|rockets?|spaceports?|launch sites?|launch pads?|cosmodromes?|"
    r"boosters?|lift-?off|sounding rockets?|range|countdown|payload fairing|fairings?|upper stage|first stage|"
    r"reusable|static fire|orbital|suborbital|national security space launch|launch vehicles?|"
    r"launch campaign|rideshare|"
    # basic launch words in French, German, Spanish, Portuguese and Italian
    r"lancements?|lanceurs?|fusées?|lançamentos?|foguetes?|lanzamientos?|cohetes?|lanci|lancio|razzi|razzo|"
    r"lanciatori|lanciatore|Raketen\w*|Trägerrakete\w*|Raketenstarts?|Weltraumbahnhof\w*|spazioporto|"
    r"porto espacial|puerto espacial|centro de lançamento|base de lancement|base de lanzamiento)\b", re.I)
_SPACE_EN = re.compile(
    r"\b(?:space|satellites?|orbit(?:s|ing|al)?|spacecraft|astronauts?|nasa|esa|planets?|exoplanets?|telescopes?|"
    r"moon|lunar|mars|asteroids?|galax(?:y|ies)|stars?|cosmic|constellations?|space station|iss)\b", re.I)
_POLICY_EN = re.compile(
    r"\b(?:polic(?:y|ies)|regulat\w+|licen[cs]\w*|agreements?|partnerships?|treat(?:y|ies)|cooperation|"
    r"government|ministers?|congress|parliament|budget|funding|contracts?|national security|defen[cs]e|"
    r"sovereign\w*|strategy|strategic|resilien\w+|export|legislation|law|programme|program)\b", re.I)

# launch, space and policy words in French, German, Spanish, Portuguese and Italian count too
_LAUNCH = WidenedByText(_LAUNCH_EN, "launch", "spaceport")
_SPACE = WidenedByText(_SPACE_EN, "space")
_POLICY = WidenedByText(_POLICY_EN, "policy")

EVENT_TYPES: dict[str, re.Pattern] = {
    "partnership/agreement": re.compile(
        r"\b(?:partnerships?|partners?|agreements?|memorand(?:um|a)|MoU|cooperation|collaborat\w+|"
        r"talks|discussions|signed|treaty|alliance|joint)\b", re.I),
    "contract award": re.compile(
        r"\b(?:contracts?|awarded|award|task order|selected to launch|procure\w*|purchase\w*|"
        r"launch services agreement|won|wins|bid)\b", re.I),
    "licence/regulation": re.compile(
        r"\b(?:licen[cs]\w*|regulat\w+|FAA|permit\w*|environmental (?:review|assessment)|approv\w+|"
        r"legislation|rules?|compliance|mishap investigation)\b", re.I),
    "spaceport": re.compile(r"\b(?:spaceports?|launch sites?|launch complex|launch pads?|range|cosmodrome|"
                            r"space cent(?:er|re)|inaugurat\w+)\b", re.I),
    "launch outcome": re.compile(
        r"\b(?:launched|lifted off|lift-?off|reached orbit|successful(?:ly)? launch\w*|failure|failed|anomaly|"
        r"scrub\w*|explod\w+|mishap|maiden flight|first launch|landed|deployed)\b", re.I),
    "budget/policy": re.compile(
        r"\b(?:budget|funding|fund(?:ed|s)?|£|\$|€|million|billion|policy|strategy|congress|parliament|"
        r"appropriation\w*|investment|invest\w*|national security|resilien\w+)\b", re.I),
}


def _per100(rx: re.Pattern | WidenedByText, text: str, words: int) -> float:
    return 100.0 * len(rx.findall(text)) / max(words, 1)


# What the headline is about. A launch word in the headline ("launches", "rocket", "spaceport") makes it a
# launch story; a launch site, launcher or launch company named there does too, unless the headline is about
# something else that company or agency does (an acquisition, a factory, a law, a conference, a science
# mission): those stories are space-adjacent even when launches are mentioned along the way.
_TITLE_LAUNCH = re.compile(
    r"\b(?:launch\w*|rockets?|spaceports?|launch sites?|launch pads?|cosmodromes?|lift-?off|liftoff|boosters?|"
    r"suborbital|sounding rockets?|launcher|rideshare|lofts?|lofted|"
    r"lancements?|lanceurs?|fusées?|lançamentos?|foguetes?|lanzamientos?|cohetes?|lancio|lanci|razzi|razzo|"
    r"Raketen\w*|Trägerrakete\w*|Weltraumbahnhof\w*|spazioporto|porto espacial|puerto espacial)\b", re.I)
_TITLE_ADJACENT = re.compile(
    r"\b(?:acquir\w+|acquisition|merg\w+|factory|plant|manufactur\w+|laws?|bill|legislation|parliament|"
    r"symposium|conference|workshop|forum|summit|revenue|earnings|profits?|office space|hires?|appoint\w+|"
    r"telescopes?|observator(?:y|ies)|sample return|scien\w+|astronomers?|servicing|assembly|"
    r"trade representative|nominee|export|tariffs?)\b", re.I)

# Thresholds of the label decision (launch words per 100 words); bench/quality.py --cv cross-validates them.
DENSITY_MIN = 1.0  # enough for launch-policy when the headline is about launch
DENSITY_STRONG = 3.0  # enough on its own, whatever the headline says


def features(text: str, title: str | None, mentions: list[Mention]) -> dict:
    """The numbers the label is decided on (kept apart so the thresholds can be cross-validated)."""
    full = f"{title or ''}\n{text}"
    words = max(len(full.split()), 1)
    launch = _per100(_LAUNCH, full, words)
    space = _per100(_SPACE, full, words)
    policy = _per100(_POLICY, full, words)
    launch_entities = {m.entity.key for m in mentions
                       if m.entity.kind in ("spaceport", "company", "military") or m.via_vehicle
                       or (m.entity.kind == "agency")}
    title_launch = bool(title and _TITLE_LAUNCH.search(title))
    title_entity = False
    if title:
        for m in _TITLE_MENTIONS(title):
            ent = m.entity
            if ent.kind == "spaceport" or m.via_vehicle or (ent.kind == "company" and ent.service == "launch"):
                title_entity = True
    score = launch + 0.35 * policy + 0.4 * len(launch_entities) * (100.0 / max(words, 100)) ** 0.5
    if title_launch:
        score += 1.0
    return {"score": round(min(score / 4.0, 1.0), 3), "launch": launch, "space": space,
            "launch_entities": len(launch_entities), "title_launch": title_launch, "title_entity": title_entity,
            "title_adjacent": bool(title and _TITLE_ADJACENT.search(title))}


def _TITLE_MENTIONS(title: str) -> list[Mention]:
    from briefings.analysis.kb import load_kb  # the cached gazetteer; imported here to keep this module's import light

    return load_kb().find(title)


def label_for(f: dict, *, density_min: float = DENSITY_MIN, density_strong: float = DENSITY_STRONG) -> str:
    launch_headline = f["title_launch"] or (f["title_entity"] and not f["title_adjacent"])
    if f["launch"] >= density_strong or (launch_headline and f["launch"] >= density_min):
        return "launch-policy"
    if f["space"] + f["launch"] >= 0.8 or f["launch_entities"]:
        return "space-adjacent"
    return "off-topic"


def score_relevance(text: str, title: str | None, mentions: list[Mention]) -> Relevance:
    f = features(text, title, mentions)
    label = label_for(f)
    score = f["score"]
    if label != "launch-policy":
        score = min(score, 0.49)  # the score agrees with the label: launch-policy is 0.5 and above
    elif score < 0.5:
        score = 0.5
    return Relevance(label=label, score=round(score, 3))  # type: ignore[arg-type]


def event_types(sentences: list[str], title: str | None) -> list[str]:
    """Event types reported, most supported first; a type needs two supporting sentences (or the title)."""
    counts = []
    for name, rx in EVENT_TYPES.items():
        n = sum(1 for s in sentences if rx.search(s)) + (2 if title and rx.search(title) else 0)
        if n >= 2:
            counts.append((n, name))
    counts.sort(key=lambda x: -x[0])
    return [name for _, name in counts]
