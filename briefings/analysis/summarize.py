"""Extractive summary: a one-sentence TL;DR and 3-5 key sentences, each a sentence of the article.

Method: a position-aware centrality score. Each candidate sentence gets
  lead prior (news puts the news first) x content coverage (log frequency, elsewhere in the article, of the
  sentence's content words, length-damped; mixed with cosine to the title when there is one) x a length
  factor (very short fragments and run-on captions rarely carry the story) x fact density, with direct
  speech discounted,
then sentences are picked greedily with a redundancy penalty (maximal marginal relevance), and returned in
article order. Boilerplate (bylines, "Scroll down for video", photo credits) is never picked.
``bench/summary_quality.py`` measures it against Lead-3 on CNN/DailyMail.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from briefings.models import Sentence

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
    lead_decay: float = 0.8      # weight = 1 / (1 + lead_decay * position)
    title_weight: float = 0.5    # share of the title similarity in the content score
    min_words: int = 10
    ideal_words: int = 24        # sentences near this length are preferred
    length_spread: float = 16.0
    redundancy: float = 0.7      # MMR penalty on similarity to already-picked sentences
    speech_penalty: float = 0.6  # direct speech and first/second person rarely make a key point
    fact_weight: float = 1.0     # bonus for fact density: names and numbers
    coverage_exponent: float = 0.8  # length damping of the coverage score


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


def _norm(a: Counter) -> float:
    return math.sqrt(sum(v * v for v in a.values()))


def _cosine(a: Counter, b: Counter, na: float | None = None, nb: float | None = None) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b, na, nb = b, a, nb, na
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    if not dot:
        return 0.0
    return dot / ((na if na is not None else _norm(a)) * (nb if nb is not None else _norm(b)))


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence.strip()))


def rank_sentences(sentences: list[str], title: str | None = None,
                   params: SummaryParams = DEFAULT) -> list[tuple[int, float, Counter, float]]:
    """(index, score, bag of words, bag norm) for every candidate sentence."""
    bags = [Counter(content_words(s)) for s in sentences]
    doc_tf: Counter = Counter()
    for bag in bags:
        doc_tf.update(bag)
    title_bag = Counter(content_words(title)) if title else Counter()
    title_norm = _norm(title_bag) if title_bag else 0.0
    scored = []
    for i, (sent, bag) in enumerate(zip(sentences, bags)):
        n_words = len(sent.split())
        if n_words < params.min_words or is_boilerplate(sent) or not bag:
            continue
        norm = _norm(bag)
        # how much of what the *rest* of the article keeps saying this sentence says: log term frequency of its
        # words elsewhere in the article, damped by sentence length (so long sentences do not win by size)
        coverage = sum(math.log1p(doc_tf[w] - c) for w, c in bag.items()) / (len(bag) ** params.coverage_exponent)
        coverage /= 5.0
        if title_bag:
            coverage = ((1 - params.title_weight) * coverage
                        + params.title_weight * _cosine(bag, title_bag, norm, title_norm))
        lead = 1.0 / (1.0 + params.lead_decay * i)
        length = math.exp(-(((n_words - params.ideal_words) / params.length_spread) ** 2) / 2)
        score = lead * (0.2 + coverage) * (0.3 + length)
        if params.speech_penalty and _SPEECH.search(sent):
            score *= 1 - params.speech_penalty
        if params.fact_weight:
            tokens = sent.split()
            facts = sum(1 for t in tokens[1:] if t[:1].isupper() or t[:1].isdigit())
            score *= 1 + params.fact_weight * min(1.0, facts / max(1, len(tokens)) * 4)
        scored.append((i, score, bag, norm))
    return scored


def _pick(scored: list[tuple[int, float, Counter, float]], k: int, params: SummaryParams) -> list[int]:
    """Greedy maximal-marginal-relevance picks, in pick order (best first)."""
    picked: list[tuple[int, Counter, float]] = []
    pool = sorted(scored, key=lambda x: -x[1])
    while pool and len(picked) < k:
        best_j, best_v = 0, -1.0
        for j, (_, score, bag, norm) in enumerate(pool):
            if score <= best_v:  # pool is sorted by score and the penalty only lowers it
                break
            overlap = max((_cosine(bag, pb, norm, pn) for _, pb, pn in picked), default=0.0)
            v = score * (1 - params.redundancy * overlap)
            if v > best_v:
                best_j, best_v = j, v
        i, _, bag, norm = pool.pop(best_j)
        picked.append((i, bag, norm))
    return [i for i, _, _ in picked]


def select(sentences: list[str], k: int, title: str | None = None, params: SummaryParams = DEFAULT) -> list[int]:
    """Indices of the ``k`` sentences to show, in article order."""
    picked = _pick(rank_sentences(sentences, title, params), k, params)
    if not picked:  # nothing scored (very short text): fall back to the first sentences
        return list(range(min(k, len(sentences))))
    return sorted(picked)


def summarize(sentences: list[str], title: str | None = None, k: int = 4,
              params: SummaryParams = DEFAULT) -> tuple[Sentence | None, list[Sentence]]:
    """Return (TL;DR, key sentences). Both cite sentence indices of ``sentences``."""
    if not sentences:
        return None, []
    k = max(3, min(5, k))
    picked = _pick(rank_sentences(sentences, title, params), k, params)
    if not picked:
        picked = list(range(min(k, len(sentences))))
    tldr_idx = picked[0]  # the first pick is the best-scoring sentence
    return (Sentence(index=tldr_idx, text=sentences[tldr_idx]),
            [Sentence(index=i, text=sentences[i]) for i in sorted(picked)])
