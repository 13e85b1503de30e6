"""Extractive summary: a one-sentence TL;DR and 3-5 key sentences, each a sentence of the article.

Method: a position-aware centrality score. Each candidate sentence gets
  lead prior (news puts the news first) x content coverage (cosine to the article's content-word
  centroid, and to the title when there is one) x a length factor (very short fragments and run-on
  captions rarely carry the story),
then sentences are picked greedily with a redundancy penalty (maximal marginal relevance), and returned in
article order. Boilerplate (bylines, "Scroll down for video", photo credits) is never picked.
``bench/summary_quality.py`` measures it against Lead-3 on CNN/DailyMail.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from .models import Sentence

_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9][A-Za-zÀ-ÿ0-9'’\-]*")
_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves said says say
one two new year years also told may might like just per cent mr mrs ms
""".split())
_BOILERPLATE = re.compile(
    r"^(?:by\s+\.?|published:|updated:|last updated|scroll down|click here|read more|related:|advertisement|"
    r"image:|photo:|credit:|copyright|©|all rights reserved|follow us|share this|sign up|subscribe)|"
    r"(?:scroll down for video|click here to|for confidential support|via getty|getty images)",
    re.I)

_SPEECH = re.compile(r"^[\"“‘']|[\"“”]|\b(?:I|I'm|I’m|we|We|you|You|my|My|our|Our)\b")


@dataclass(frozen=True)
class SummaryParams:
    # Defaults chosen on the first half of the CNN/DM pairs (bench/summary_quality.py reports both halves).
    lead_decay: float = 0.5      # weight = 1 / (1 + lead_decay * position)
    title_weight: float = 0.5    # share of the title similarity in the content score
    min_words: int = 10
    ideal_words: int = 24        # sentences near this length are preferred
    length_spread: float = 16.0
    redundancy: float = 0.7      # MMR penalty on similarity to already-picked sentences
    speech_penalty: float = 0.6  # direct speech and first/second person rarely make a key point
    fact_weight: float = 1.0     # bonus for fact density: names and numbers


DEFAULT = SummaryParams()


def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suf in ("ies", "es", "s", "ing", "ed"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def content_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 1]


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence.strip()))


def rank_sentences(sentences: list[str], title: str | None = None,
                   params: SummaryParams = DEFAULT) -> list[tuple[int, float, Counter]]:
    bags = [Counter(content_words(s)) for s in sentences]
    centroid: Counter = Counter()
    for bag in bags:
        centroid.update(bag.keys())  # document frequency across sentences: what the article keeps returning to
    title_bag = Counter(content_words(title)) if title else Counter()
    scored = []
    for i, (sent, bag) in enumerate(zip(sentences, bags)):
        n_words = len(sent.split())
        if n_words < params.min_words or is_boilerplate(sent) or not bag:
            continue
        others = centroid.copy()
        others.subtract(bag.keys())
        coverage = _cosine(bag, +others)
        if title_bag:
            coverage = (1 - params.title_weight) * coverage + params.title_weight * _cosine(bag, title_bag)
        lead = 1.0 / (1.0 + params.lead_decay * i)
        length = math.exp(-(((n_words - params.ideal_words) / params.length_spread) ** 2) / 2)
        score = lead * (0.2 + coverage) * (0.3 + length)
        if params.speech_penalty and _SPEECH.search(sent):
            score *= 1 - params.speech_penalty
        if params.fact_weight:
            tokens = sent.split()
            facts = sum(1 for t in tokens[1:] if t[:1].isupper() or t[:1].isdigit())
            score *= 1 + params.fact_weight * min(1.0, facts / max(1, len(tokens)) * 4)
        scored.append((i, score, bag))
    return scored


def select(sentences: list[str], k: int, title: str | None = None, params: SummaryParams = DEFAULT) -> list[int]:
    """Indices of the ``k`` sentences to show, in article order."""
    scored = rank_sentences(sentences, title, params)
    picked: list[tuple[int, Counter]] = []
    pool = list(scored)
    while pool and len(picked) < k:
        def mmr(item):
            _, score, bag = item
            overlap = max((_cosine(bag, pb) for _, pb in picked), default=0.0)
            return score * (1 - params.redundancy * overlap)
        best = max(pool, key=mmr)
        pool.remove(best)
        picked.append((best[0], best[2]))
    if not picked:  # nothing scored (very short text): fall back to the first sentences
        return list(range(min(k, len(sentences))))
    return sorted(i for i, _ in picked)


def summarize(sentences: list[str], title: str | None = None, k: int = 4,
              params: SummaryParams = DEFAULT) -> tuple[Sentence | None, list[Sentence]]:
    """Return (TL;DR, key sentences). Both cite sentence indices of ``sentences``."""
    if not sentences:
        return None, []
    k = max(3, min(5, k))
    picked = select(sentences, k, title, params)
    tldr_idx = select(sentences, 1, title, params)[0]
    return (Sentence(index=tldr_idx, text=sentences[tldr_idx]),
            [Sentence(index=i, text=sentences[i]) for i in picked])
