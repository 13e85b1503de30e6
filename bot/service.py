"""The bot's calls into the engine: brief a URL once and remember it, answer questions from the archive.

Nothing here knows Block Kit or mrkdwn; it returns plain data (:class:`Answer`) that
:func:`bot.render.answer_message` turns into a message.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace

from briefings.models import Brief
from briefings.store.rows import BriefRef

from bot.observability import timed_brief
from bot.runtime import Runtime
from briefings.store.workspaces import link_articles


async def brief_url(rt: Runtime, url: str, *, team_id: str | None = None) -> BriefRef:
    """Fetch, analyse and store the article at ``url`` (once); return its article id and brief."""
    # the engine (trafilatura, the analysis rules) loads on the first brief, not at start: an idle bot stays small
    from briefings.engine import analyse
    from briefings.intake.extract import fetch_article

    stored = await rt.store.brief_for_url(url)
    if stored:  # briefed before, maybe for another workspace: now this workspace has reached it too
        await link_articles(rt.store, team_id, [stored.article_id])
        return BriefRef(stored.article_id, stored.brief)
    article = await fetch_article(url, rt.fetcher)
    async with rt.analysis_slots, timed_brief("on_demand"):
        brief: Brief = await asyncio.to_thread(analyse, article)  # CPU-bound: off the event loop
    saved = await rt.store.save(article, brief, team_id=team_id)
    if saved.created:  # a brief saved by a user can match watchlists too
        from bot.watch import alerter

        rt.spawn(alerter(rt).run(), "watch alerts")
    stored = await rt.store.brief_for_url(article.url or url)
    if stored:
        return BriefRef(stored.article_id, stored.brief)
    return BriefRef(saved.article_id, brief)


_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9][\w'’-]*")
_STOP = set("""a an the of to in on for and or is are was were be been what who whom which did does do about said say
says tell me us please with from by at as it its that this those these there their they he she his her how why when
where any anything partners partner quote quotes""".split())


@dataclass
class Cited:
    """A sentence (or quote) an answer rests on, with its index in the article it comes from."""

    text: str
    index: int
    quote: bool = False  # a quote: shown in quotation marks
    url: str | None = None  # archive answers: the stored article it is from
    title: str | None = None


@dataclass
class PartnerCited:
    name: str
    kind: str
    role: str
    evidence: Cited


@dataclass
class Answer:
    """What the archive says to a question: plain, unescaped data; :func:`bot.render.answer_message` shows it.

    ``kind``: ``partners`` | ``no_partners`` | ``quotes`` | ``article`` | ``archive`` | ``nothing``."""

    kind: str
    fallback: str
    url: str | None = None  # the thread's article, when the answer is about it
    title: str = "the article"
    partners: list[PartnerCited] = field(default_factory=list)
    cited: list[Cited] = field(default_factory=list)
    speaker: str = ""  # quotes: whose; article: who is not quoted on the topic
    topic: str = ""
    question: str = ""  # nothing: what was asked

    @property
    def found(self) -> bool:
        return self.kind not in ("no_partners", "nothing")


def keywords(question: str) -> list[str]:
    return [w for w in _WORD.findall(question) if w.lower() not in _STOP and not w.startswith("<")]


def _overlap(sentence: str, words: list[str]) -> int:
    low = sentence.lower()
    return sum(1 for w in words if w.lower() in low)


def _partners_answer(brief: Brief, about: Answer) -> Answer:
    partners = brief.partners
    if not partners:
        return replace(about, kind="no_partners", fallback="No partners named.")
    cited = [PartnerCited(p.name, p.kind, p.role, Cited(p.evidence[0].text, p.evidence[0].index))
             for p in partners]
    return replace(about, kind="partners", partners=cited,
                   fallback="Partners: " + ", ".join(p.name for p in partners))


def _quotes_answer(brief: Brief, sentences: list[str], speaker_words: list[str], topic: list[str],
                   about: Answer) -> Answer | None:
    quotes = [q for q in brief.quotes if any(w.lower() in (q.speaker or "").lower() for w in speaker_words)]
    on_topic = [q for q in quotes if not topic or _overlap(q.text, topic)]
    cited = [Cited(q.text, q.sentence_index, quote=True) for q in on_topic[:4]]
    quoted = {q.sentence_index for q in on_topic}
    near = [(i, s) for i, s in enumerate(sentences) if topic and _overlap(s, topic) and _overlap(s, speaker_words)]
    cited += [Cited(s, i) for i, s in near[:3] if i not in quoted]
    if not cited:
        return None
    who = (quotes[0].speaker if quotes else None) or " ".join(speaker_words)
    return replace(about, kind="quotes", cited=cited, speaker=who, topic=" ".join(topic), fallback="Quotes found.")


def _sentences_answer(sentences: list[str], speaker_words: list[str], topic: list[str],
                      about: Answer) -> Answer | None:
    # topic words weigh more than the speaker's name: "what did X say about Japan" wants Japan
    scored = sorted(((2 * _overlap(s, topic) + _overlap(s, speaker_words), i, s) for i, s in enumerate(sentences)),
                    key=lambda x: (-x[0], x[1]))
    best = sorted((i, s) for n, i, s in scored[:3] if n > (1 if topic and speaker_words else 0))
    if not best:
        return None
    not_quoted = bool(speaker_words and topic)  # then say so: the speaker is not quoted on the topic
    return replace(about, kind="article", cited=[Cited(s, i) for i, s in best], fallback="Answer from the thread's "
                   "article.", speaker=" ".join(speaker_words) if not_quoted else "",
                   topic=" ".join(topic) if not_quoted else "")


async def _from_article(rt: Runtime, question: str, words: list[str], context: BriefRef) -> Answer | None:
    from briefings.analysis.sentences import split_sentences

    brief = context.brief
    low = question.lower()
    got = await rt.store.get_brief(context.article_id)
    art = got.article if got else None
    about = Answer("article", "", url=brief.url, title=brief.title or "the article")
    if "partner" in low:
        return _partners_answer(brief, about)
    sentences = split_sentences(art.text) if art is not None else []
    speaker_words = [w for w in words if any(w.lower() in (q.speaker or "").lower().split() for q in brief.quotes)]
    topic = [w for w in words if w not in speaker_words]
    if speaker_words and re.search(r"\b(say|said|says|quote|told|think)\b", low):
        quoted = _quotes_answer(brief, sentences, speaker_words, topic, about)
        if quoted:
            return quoted
    return _sentences_answer(sentences, speaker_words, topic, about)


async def _from_archive(rt: Runtime, words: list[str], team_id: str | None = None) -> Answer | None:
    from briefings.analysis.sentences import split_sentences

    cited = []
    for h in await rt.store.search(" ".join(words), limit=3, team_id=team_id):  # this workspace's articles
        got = await rt.store.get_brief(h.article_id)
        if not got:
            continue
        sentences = split_sentences(got.article.text)
        score, idx = max(((_overlap(s, words), i) for i, s in enumerate(sentences)), default=(0, -1))
        if score > 0:
            cited.append(Cited(sentences[idx], idx, url=h.url, title=h.title or h.url))
    return Answer("archive", "Answer from stored articles.", cited=cited) if cited else None


async def answer(rt: Runtime, question: str, context: BriefRef | None, *,
                 team_id: str | None = None) -> Answer:
    """Answer from the thread's article when there is one, else from the archive; never invent."""
    words = keywords(question)
    found = await _from_article(rt, question, words, context) if context is not None else None
    if found is None and words:
        found = await _from_archive(rt, words, team_id)
    return found or Answer("nothing", "No answer in the archive.", question=question)
