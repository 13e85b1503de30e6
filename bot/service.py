"""The bot's calls into the engine: brief a URL once and remember it, answer questions from the archive.

Nothing here knows Block Kit; it returns plain data the renderers turn into messages.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from briefings.engine import analyse, fetch_article
from briefings.models import Brief
from briefings.store.rows import BriefRef

from bot.observability import timed_brief
from bot.runtime import Runtime

_URL_IN_SLACK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>|(https?://[^\s<>]+)")
_MARKUP = re.compile(r"<[^<>]*>")  # Slack's own markup: <@U1>, <#C1|name>, <!here>, <https://x|label>


def unescape_slack(text: str | None) -> str:
    """Undo Slack's escaping of user text, once: ``&lt;`` ``&gt;`` ``&amp;`` (``&amp;`` last, so ``&amp;lt;``
    stays the literal ``&lt;`` the user typed). Output is escaped again, once, by :func:`bot.render.esc`."""
    if not text:
        return ""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def user_text(text: str | None) -> str:
    """What a user typed, without Slack's markup (mentions, channel and link tokens), unescaped once."""
    return " ".join(unescape_slack(_MARKUP.sub(" ", text or "")).split())


def find_url(text: str | None) -> str | None:
    """The first http(s) link in Slack-formatted text (``<https://x|label>``, ``<https://x>`` or bare),
    with Slack's entities undone: ``?id=7&amp;page=2`` is the URL ``?id=7&page=2``."""
    if not text:
        return None
    m = _URL_IN_SLACK.search(text)
    if not m:
        return None
    url = unescape_slack(m.group(1) or m.group(2))
    return url.rstrip(").,;") or None


async def brief_url(rt: Runtime, url: str) -> BriefRef:
    """Fetch, analyse and store the article at ``url`` (once); return its article id and brief."""
    stored = await rt.store.brief_for_url(url)
    if stored:
        return BriefRef(stored.article_id, stored.brief)
    article = await fetch_article(url, rt.fetcher)
    async with rt.analysis_slots, timed_brief("on_demand"):
        brief: Brief = await asyncio.to_thread(analyse, article)  # CPU-bound: off the event loop
    saved = await rt.store.save(article, brief)
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
class Answer:
    found: bool
    text: str  # mrkdwn, already escaped
    fallback: str


def keywords(question: str) -> list[str]:
    return [w for w in _WORD.findall(question) if w.lower() not in _STOP and not w.startswith("<")]


def _overlap(sentence: str, words: list[str]) -> int:
    low = sentence.lower()
    return sum(1 for w in words if w.lower() in low)


async def answer(rt: Runtime, question: str, context: BriefRef | None) -> Answer:
    """Answer from the thread's article when there is one, else from the archive; never invent."""
    from briefings.analysis.sentences import split_sentences

    from bot.render import clip, esc, link

    words = keywords(question)
    low = question.lower()
    if context is not None:
        article_id, brief = context.article_id, context.brief
        got = await rt.store.get_brief(article_id)
        art = got.article if got else None
        title = brief.title or "the article"
        ref = link(brief.url, title)
        if "partner" in low:
            partners = brief.partners
            if not partners:
                return Answer(False, f"{ref} names no launch partners.", "No partners named.")
            lines = [f"• *{esc(p.name)}* ({esc(p.kind)}) — {esc(p.role)}: "
                     f"“{esc(clip(p.evidence[0].text, 240))}” _[{p.evidence[0].index}]_"
                     for p in partners]
            return Answer(True, f"Partners named in {ref}:\n" + "\n".join(lines),
                          "Partners: " + ", ".join(p.name for p in partners))
        sentences = split_sentences(art.text) if art is not None else []
        speaker_words = [w for w in words if any(w.lower() in (q.speaker or "").lower().split()
                                                  for q in brief.quotes)]
        topic = [w for w in words if w not in speaker_words]
        if speaker_words and re.search(r"\b(say|said|says|quote|told|think)\b", low):
            quotes = [q for q in brief.quotes
                      if any(w.lower() in (q.speaker or "").lower() for w in speaker_words)]
            on_topic = [q for q in quotes if not topic or _overlap(q.text, topic)]
            cited = [(i, s) for i, s in enumerate(sentences)
                     if topic and _overlap(s, topic) and _overlap(s, speaker_words)]
            lines = [f"> “{esc(q.text)}” _[{q.sentence_index}]_" for q in on_topic[:4]]
            lines += [f"> {esc(s)} _[{i}]_" for i, s in cited[:3] if not any(q.sentence_index == i
                                                                            for q in on_topic)]
            if lines:
                who = esc(quotes[0].speaker) if quotes else esc(" ".join(speaker_words))
                about = f" about {esc(' '.join(topic))}" if topic else ""
                return Answer(True, f"What {who} said{about}, from {ref}:\n" + "\n".join(lines), "Quotes found.")
        # topic words weigh more than the speaker's name: "what did X say about Japan" wants Japan
        scored = sorted(((2 * _overlap(s, topic) + _overlap(s, speaker_words), i, s) for i, s in enumerate(sentences)),
                        key=lambda x: (-x[0], x[1]))
        best = [(i, s) for n, i, s in scored[:3] if n > (1 if topic and speaker_words else 0)]
        if best:
            lead = ""
            if speaker_words and topic:
                lead = (f"{esc(' '.join(speaker_words))} is not quoted on {esc(' '.join(topic))}; "
                        "what the article says:\n")
            return Answer(True, f"{lead}From {ref}:\n" + "\n".join(f"> {esc(s)} _[{i}]_" for i, s in sorted(best)),
                          "Answer from the thread's article.")
    if words:
        hits = await rt.store.search(" ".join(words), limit=3)
        lines = []
        for h in hits:
            got = await rt.store.get_brief(h.article_id)
            if not got:
                continue
            sentences = split_sentences(got.article.text)
            score, idx = max(((_overlap(s, words), i) for i, s in enumerate(sentences)), default=(0, -1))
            if score > 0:
                lines.append(f"> {esc(sentences[idx])} _[{idx}]_ — {link(h.url, h.title or h.url)}")
        if lines:
            return Answer(True, "From stored articles:\n" + "\n".join(lines), "Answer from stored articles.")
    return Answer(False, f"I found nothing in the stored articles that answers “{esc(clip(question, 200))}”.",
                  "No answer in the archive.")
