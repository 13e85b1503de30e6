"""Block Kit rendering (slack_sdk models) for briefs, partner lists, the latest briefing and search results.

Rules kept here, in one place:
* all untrusted text (titles, sentences, quotes, names, user input) goes through :func:`esc`
  (:func:`bot.mrkdwn.escape`) -- ``&``, ``<``, ``>`` escaped, so nothing can ping ``@channel`` or forge a link;
* links are built only from http(s) URLs (:func:`link`), with escaped labels;
* Slack's limits: at most 50 blocks, 3,000 characters per section, 150 per header; long text is split at
  word boundaries into several sections (never cut silently: a cut is marked with "…"), and every message
  carries a plain fallback ``text``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from briefings.models import Brief, BriefMarks, CorrectionNote, Partner, Quote, group_by_country, known_family
from briefings.models import partners_by_tier
from bot.mrkdwn import escape as esc
from bot.mrkdwn import strip_bidi
from slack_sdk.models.blocks import (ActionsBlock, ButtonElement, ContextBlock, DividerBlock, HeaderBlock,
                                     MarkdownTextObject, PlainTextObject, SectionBlock)

if TYPE_CHECKING:
    from bot.service import Answer, Cited
    from briefings.store.rows import LatestStory

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000  # fallback text we send (Slack truncates at 40k; keep notifications short)
MAX_CONTEXT_ELEMENT = 2000

__all__ = ["esc", "strip_bidi"]  # re-exported: the escaping itself is bot.mrkdwn's


def plain(text: str | None) -> str:
    """Untrusted text for ``plain_text`` fields. Slack parses no markup there (its text object accepts
    formatting markup only when the type is ``mrkdwn``), so nothing is escaped: ``&amp;`` would show as is.
    Whitespace and bidi controls are folded away."""
    return " ".join(strip_bidi(text or "").split())


_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$", re.I)


def link(url: str | None, label: str | None = None) -> str:
    """A mrkdwn link when ``url`` is http(s) and has no characters that could break out; else the label."""
    label_text = esc(label or url or "")
    if url and _SAFE_URL.match(url):
        return f"<{url}|{label_text.replace('|', '¦')}>"
    return label_text


def clip(text: str, limit: int) -> str:
    """Cut at a word boundary, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _clip_escaped(text: str, limit: int) -> str:
    """Escape, then clip without cutting an entity (&amp;) in half."""
    out = esc(text)
    while len(out) > limit:
        text = clip(text, max(1, len(text) - (len(out) - limit) - 1))
        out = esc(text)
    return out


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split long mrkdwn into pieces under ``limit``: at line breaks, else at spaces; never mid-word."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        current = line
    if current:
        pieces.append(current)
    return pieces


@dataclass
class Message:
    """A Slack message: blocks plus the fallback text."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


class Builder:
    def __init__(self) -> None:
        self.blocks: list[Any] = []

    def header(self, text: str) -> Builder:
        # plain_text: shown literally (no mentions, no links, no entities), so not escaped, only clipped
        self.blocks.append(HeaderBlock(text=PlainTextObject(text=clip(plain(text) or "launchbrief", MAX_HEADER))))
        return self

    def section(self, mrkdwn: str) -> Builder:
        for piece in split_text(mrkdwn):
            self.blocks.append(SectionBlock(text=MarkdownTextObject(text=piece)))
        return self

    def context(self, *mrkdwn: str) -> Builder:
        elements = [MarkdownTextObject(text=clip(t, MAX_CONTEXT_ELEMENT)) for t in mrkdwn if t][:10]
        if elements:
            self.blocks.append(ContextBlock(elements=elements))
        return self

    def divider(self) -> Builder:
        self.blocks.append(DividerBlock())
        return self

    def buttons(self, *buttons: tuple[str, str, str]) -> Builder:
        self.blocks.append(ActionsBlock(elements=[
            ButtonElement(text=PlainTextObject(text=plain(label)), action_id=action, value=value[:2000])
            for label, action, value in buttons]))
        return self

    def build(self, text: str) -> Message:
        blocks = [b.to_dict() for b in self.blocks]
        if len(blocks) > MAX_BLOCKS:
            # trim content, never the buttons: the actions blocks stay, after a note saying what was cut
            actions = [b for b in blocks if b.get("type") == "actions"][: MAX_BLOCKS - 2]
            content = [b for b in blocks if b.get("type") != "actions"]
            keep = MAX_BLOCKS - 1 - len(actions)
            hidden = len(content) - keep
            blocks = content[:keep] + [ContextBlock(elements=[MarkdownTextObject(
                text=f"…and {hidden} more blocks not shown (Slack allows {MAX_BLOCKS}).")]).to_dict()] + actions
        # the fallback text is shown in notifications as mrkdwn: always escaped here, from plain input
        return Message(text=_clip_escaped(" ".join(text.split()), MAX_TEXT) or "launchbrief", blocks=blocks)


# ------------------------------------------------------------------------------------------- renderers
def _date(value: Any) -> str:
    return str(value)[:10] if value else ""


def listed_partners(brief: Brief) -> list[Partner]:
    """The partners to show: never the story's subject (the engine does not list it; older stored briefs
    and hand-made ones are filtered here too)."""
    skey, sname = (brief.subject.kb, brief.subject.name) if brief.subject else (None, None)
    return [p for p in brief.partners if not ((skey and p.key == skey) or (sname and p.name == sname))]


def role_text(p: Partner) -> str:
    """The role family, with the article's own phrase when it says more ("launch provider (Falcon 9)"). A
    partner stored before families existed (no family in its JSON) shows its role alone."""
    family = known_family(p)
    role = p.role or ""
    if not family:
        return role
    return role if role.startswith(family) else (f"{family}: {role}" if role and role != family else family)


_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")


def correction_note(note: CorrectionNote) -> str:
    """A workspace's correction of a line, as shown under it."""
    text = f":pencil2: _corrected: {esc(note.label)}"
    if note.value:
        text += f" → {esc(note.value)}"
    user = note.user or ""
    return text + (f" (by <@{user}>)_" if _USER_ID.match(user) else "_")


def _kb_facts(p: Partner) -> list[str]:
    kb = p.kb
    if kb is None:
        return []
    facts = []
    if kb.operator:
        facts.append(f"operator {esc(kb.operator)}")
    if kb.status and p.kind != "country":
        facts.append(esc(kb.status))
    if kb.orbits:
        facts.append("orbits " + esc(", ".join(kb.orbits[:5])))
    if kb.spaceports and p.kind == "country":
        facts.append("sites " + esc(", ".join(kb.spaceports[:3])))
    return facts


def partner_line(p: Partner, with_evidence: bool = True, corrections: list[CorrectionNote] | None = None) -> str:
    bits = [f"*{esc(p.name)}*", f"_{esc(p.kind)}_"]
    if corrections and any(n.label == "not a partner" for n in corrections):
        bits[0] = f"~{esc(p.name)}~"  # struck through, still shown: corrected, not silently dropped
    if p.role or known_family(p):
        bits.append(esc(role_text(p)))
    line = " · ".join(bits)
    facts = _kb_facts(p)
    if facts:
        line += f"\n      _our KB: {'; '.join(facts)}_"
    if with_evidence and p.evidence:
        ev = p.evidence[0]
        where = "headline" if ev.index < 0 else f"[{ev.index}]"
        line += f"\n> {esc(clip(ev.text, 280))} {where}"  # at the line's start: Slack renders a quote
    for note in corrections or []:
        line += "\n      " + correction_note(note)
    return line


def _brief_partners(out: Builder, brief: Brief, marks: BriefMarks | None) -> None:
    partners = listed_partners(brief)
    if not partners:
        return
    groups = partners_by_tier(partners)
    fixes = marks.partners if marks else {}
    out.divider()
    for key, label in (("established", "Established launch nations"), ("emerging", "Emerging spaceport nations"),
                       ("other", "Other partners")):
        if groups[key]:
            out.section(f"*{label}*\n" + "\n".join(partner_line(p, corrections=fixes.get(p.name))
                                                    for p in groups[key]))


def brief_message(brief: Brief, *, marks: BriefMarks | None = None, article_id: int | None = None,
                  buttons: bool = True) -> Message:
    """A brief, with this workspace's corrections (``marks``) shown under the lines they correct."""
    title = brief.title or brief.url or "Untitled article"
    out = Builder().header(title)
    meta = [x for x in (esc(brief.site_name), _date(brief.published),
                        f"relevance: {esc(brief.relevance.label)}") if x]
    headline = link(brief.url, title) if brief.url else esc(title)
    out.context(f"{headline}  ·  " + "  ·  ".join(meta))
    for note in brief.notes:  # e.g. an article in a language the analysis only skims
        out.context(f":warning: {esc(note)}")
    if marks and marks.whole:
        out.context("\n".join(correction_note(n) for n in marks.whole))
    if brief.tldr:
        out.section(f"*TL;DR* {esc(brief.tldr.text)}")
    tldr_index = brief.tldr.index if brief.tldr else None
    points = [s for s in brief.summary if s.index != tldr_index]  # the TL;DR is not repeated
    if points:
        out.section("*Key points*\n" + "\n".join(f"• {esc(s.text)} _[{s.index}]_" for s in points))
    _brief_partners(out, brief, marks)
    if brief.quotes:
        out.divider()
        out.section("*Key quotes*\n" + "\n".join(
            f"> “{esc(clip(q.text, 400))}” — {esc(_speaker(q))}" for q in brief.quotes[:6]))
    if brief.event_types:
        out.context("events: " + esc(", ".join(brief.event_types)))
    if buttons and article_id is not None:
        out.buttons(("Share in channel", "share_brief", str(article_id)),
                    ("Partners", "show_partners", str(article_id)),
                    ("More like this", "more_like_this", str(article_id)))
    fallback = f"{title}: {brief.tldr.text}" if brief.tldr else title
    return out.build(fallback)


def partners_message(stats: list[Any], *, title: str = "Launch partners in the news", since: str | None = None,
                     country_name=lambda c: c, articles: Sequence[Any] = ()) -> Message:
    out = Builder().header(title + (f" since {since}" if since else ""))
    if not stats:
        return out.section("No partners found in stored coverage yet.").build("No partners found yet.")
    for country, items in group_by_country(stats, country=lambda s: s.country, weight=lambda s: s.mentions,
                                           country_name=country_name):
        lines = []
        for s in items:
            latest = link(s.latest_url, clip(s.latest_title or "latest", 80)) if s.latest_url else ""
            lines.append(f"• *{esc(s.entity)}* _{esc(s.kind)}_ — {s.mentions} mention{'s' * (s.mentions != 1)}, "
                         f"{_date(s.first_seen)} → {_date(s.last_seen)}" + (f" · {latest}" if latest else ""))
        out.section(f"*{esc(country)}*\n" + "\n".join(lines))
    if articles:  # one partner's view: the stored articles naming it, with the role each gives it
        out.section("*Articles naming it*\n" + "\n".join(
            f"• {link(a.url, a.title or a.url)} — {a.published or ''} _({esc(a.role)})_" for a in articles))
    text = ", ".join(f"{s.entity} ({s.mentions})" for s in stats[:10])
    return out.build(f"{title}: {text}")


def latest_message(items: list[LatestStory]) -> Message:
    out = Builder().header("Latest launch-policy briefing")
    if not items:
        return out.section("Nothing stored yet. An admin can add feeds with `/launchbrief feeds add &lt;url&gt;`.") \
            .build("Nothing stored yet.")
    lines = []
    for story in items:
        art, brief = story.article, story.brief
        names = [p.name for p in listed_partners(brief)]  # one line: names; the brief shows the families
        partners = ", ".join(names[:6]) + (f" +{len(names) - 6} more" if len(names) > 6 else "")
        line = f"• {link(art.url, art.title or art.url)} — {_date(art.published)}"
        if brief.tldr:
            line += f"\n   {esc(clip(brief.tldr.text, 300))}"
        if partners:
            line += f"\n   _partners: {esc(partners)}_"
        if story.also:
            line += f"\n   _also covered by {esc(', '.join(story.also[:4]))}_"
        lines.append(line)
    out.section("\n".join(lines))
    return out.build("Latest launch-policy briefing: " + "; ".join((s.article.title or s.article.url) for s in items))


def search_message(query: str, hits: list[Any]) -> Message:
    query = clip(query, 200)  # a 20,000-word query is echoed in part, not in full
    out = Builder().header(f"Search: {query}")
    if getattr(hits, "cut", False):  # the store cut the query to its bounds: say so plainly
        out.context(f"Note: {esc(getattr(hits, 'note', None) or 'the search was cut short')}.")
    if not hits:
        return out.section(f"Nothing stored matches “{esc(query)}”.").build(f"Nothing stored matches {query}.")
    lines = []
    for h in hits:
        snippet = esc(h.snippet).replace("*", "")
        line = f"• {link(h.url, h.title or h.url)} — {_date(h.published)}\n   {snippet}"
        if h.also:
            line += f"\n   _also covered by {esc(', '.join(h.also[:4]))}_"
        lines.append(line)
    out.section("\n".join(lines))
    return out.build(f"{len(hits)} results for {query}")


def feed_line(feed: Any) -> str:
    """A feed and its health, the one way it is shown (``/launchbrief feeds``, App Home): ok, or how many polls
    in a row failed and the last error."""
    health = "ok" if not feed.consecutive_failures else \
        f":warning: failing ×{feed.consecutive_failures}: {esc(clip(feed.last_error or '', 200))}"
    return f"• {link(feed.url, feed.title or feed.url)} — {health}"


def error_message(text: str) -> Message:
    return Builder().section(f":warning: {esc(text)}").build(text)


def info_message(mrkdwn: str, text: str) -> Message:
    return Builder().section(mrkdwn).build(text)


HELP = """*launchbrief* — briefings on space-launch policy news
• `/launchbrief` — the latest briefing
• `/launchbrief <url>` — brief one article: summary, partners, quotes
• `/launchbrief partners [name] [since:YYYY-MM-DD]` — partners in stored coverage
• `/launchbrief search <terms>` — search stored articles
• `/launchbrief feeds [list]` · `feeds add <url>` · `feeds remove <url>` — feeds (changes: admins only)
• `/launchbrief digest …` — this channel's scheduled digest (`/launchbrief digest help`)
• `/launchbrief watch <partner | "phrase" | event:type>` — alert this channel on new matching stories (`watch help`)
• `@launchbrief` in a thread — brief the thread's link, or ask a question about it"""


def help_message(prefix: str | None = None) -> Message:
    body = (f"{esc(prefix)}\n\n" if prefix else "") + esc(HELP)  # the <url> placeholders must not become links
    return Builder().section(body).build((prefix + " " if prefix else "") + "launchbrief help")


def digest_messages(digest: Any, *, max_parent_stories: int = 8) -> list[Message]:
    """A digest as a parent message plus thread replies when long: [parent, *thread]."""
    title = "Launch-policy digest" + (" (catching up)" if digest.catching_up else "")
    head = Builder().header(title)
    head.context(" · ".join(x for x in (
        esc(digest.schedule or ""), f"{digest.story_count} new stor{'y' if digest.story_count == 1 else 'ies'}",
        ("filter: " + esc(", ".join(digest.filters))) if digest.filters else "") if x))
    if digest.empty:
        head.section("Nothing new since the last digest.")
        return [head.build(f"{title}: nothing new since the last digest.")]
    if digest.partners:
        head.section("*Partners in the news:* " + ", ".join(
            f"{esc(p.name)} ({p.count})" + (" :new:" if p.new else "") for p in digest.partners))

    def story_line(s: Any) -> str:
        line = f"• {link(s.url, s.title or s.url)}"
        if s.tldr:
            line += f" — {esc(clip(s.tldr, 280))}"
        roles = getattr(s, "partner_roles", None) or []
        if roles:
            more = f" +{len(roles) - 6} more" if len(roles) > 6 else ""
            line += f"\n   _partners: {esc(', '.join(roles[:6]))}{more}_"
        if s.also:
            line += f"\n   _also covered by {esc(', '.join(s.also[:5]))}_"
        return line

    sections = [f"*{esc(kind.capitalize())}*\n" + "\n".join(story_line(s) for s in stories)
                for kind, stories in digest.groups.items()]
    fallback = f"{title}: " + "; ".join((s.title or s.url) for v in digest.groups.values() for s in v)
    if digest.story_count <= max_parent_stories:
        for sec in sections:
            head.section(sec)
        return [head.build(fallback)]
    head.section(f"{digest.story_count} stories — grouped by event type in the thread below.")
    messages = [head.build(fallback)]
    for kind, stories in digest.groups.items():
        for i in range(0, len(stories), 20):  # ≤ 20 stories a reply keeps each well under Slack's limits
            part = stories[i:i + 20]
            b = Builder().section(f"*{esc(kind.capitalize())}*\n" + "\n".join(story_line(s) for s in part))
            messages.append(b.build(f"{kind}: " + "; ".join((s.title or s.url) for s in part)))
    return messages


def _cited(c: Cited) -> str:
    """A sentence an answer rests on, as a mrkdwn quote with its index (and its article, from the archive)."""
    text = f"“{esc(c.text)}”" if c.quote else esc(c.text)
    return f"> {text} _[{c.index}]_" + (f" — {link(c.url, c.title or c.url)}" if c.url else "")


def answer_text(ans: Answer) -> str:
    """A :class:`bot.service.Answer` as mrkdwn: every sentence cited by index, the article linked."""
    ref = link(ans.url, ans.title)
    if ans.kind == "no_partners":
        return f"{ref} names no launch partners."
    if ans.kind == "partners":
        return f"Partners named in {ref}:\n" + "\n".join(
            f"• *{esc(p.name)}* ({esc(p.kind)}) — {esc(p.role)}: “{esc(clip(p.evidence.text, 240))}” "
            f"_[{p.evidence.index}]_" for p in ans.partners)
    lines = "\n".join(_cited(c) for c in ans.cited)
    if ans.kind == "quotes":
        about = f" about {esc(ans.topic)}" if ans.topic else ""
        return f"What {esc(ans.speaker)} said{about}, from {ref}:\n" + lines
    if ans.kind == "article":
        lead = f"{esc(ans.speaker)} is not quoted on {esc(ans.topic)}; what the article says:\n" \
            if ans.speaker and ans.topic else ""
        return f"{lead}From {ref}:\n" + lines
    if ans.kind == "archive":
        return "From stored articles:\n" + lines
    return f"I found nothing in the stored articles that answers “{esc(clip(ans.question, 200))}”."


def answer_message(ans: Answer) -> Message:
    return info_message(answer_text(ans), ans.fallback)


def _speaker(q: Quote) -> str:
    """"Lena Sorensen (Fjordlift)": the speaker, with the organisation the article ties them to."""
    who, org = q.speaker or "unattributed", q.speaker_org
    return f"{who} ({org})" if org and org != who else who


# ------------------------------------------------------------------ corrections (bot/corrections.py)
OVERFLOW = "correct_partner"
MODAL = "correction_modal"
NOT_NEWS = "correct_not_news"
MISSING = "correct_missing"
MENU = (("not_partner", "Not a partner"), ("wrong_role", "Wrong role…"), ("wrong_country", "Wrong country…"))
PROMPTS = {"wrong_role": "The right role (e.g. launch provider, host nation)",
           "wrong_country": "The right country (two-letter ISO code, e.g. NO)",
           "missing_partner": "The partner the brief missed (name)"}


def partners_view(article_id: int, brief: Brief, marks: BriefMarks | None = None) -> Message:
    """Each partner on its own line with an overflow menu; buttons for the brief as a whole."""
    partner_list = brief.partners
    fixes = marks.partners if marks else {}
    b = Builder().header(f"Partners: {brief.title or 'article'}")
    blocks = [x.to_dict() for x in b.blocks]
    for note in marks.whole if marks else []:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": correction_note(note)}]})
    if not partner_list:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "This article names no launch partners."}})
    for i, p in enumerate(partner_list[:40]):
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": clip(partner_line(p, corrections=fixes.get(p.name)), 2900)},
                       "accessory": {"type": "overflow", "action_id": f"{OVERFLOW}:{i}", "options": [
                           {"text": {"type": "plain_text", "text": label}, "value": f"{kind}:{article_id}:{i}"}
                           for kind, label in MENU]}})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Missing partner…"}, "action_id": MISSING,
         "value": str(article_id)},
        {"type": "button", "text": {"type": "plain_text", "text": "Not launch news"}, "action_id": NOT_NEWS,
         "value": str(article_id)}]})
    text = "Partners: " + (", ".join(p.name for p in partner_list) or "none")
    return Message(text=_clip_escaped(text, MAX_TEXT), blocks=blocks[: MAX_BLOCKS])


def correction_modal(kind: str, article_id: int, partner: str, team_id: str, channel_id: str | None) -> dict:
    """The small modal a "…" correction opens: one text field; what it is about rides in private_metadata."""
    meta = json.dumps({"kind": kind, "article_id": article_id, "partner": partner, "team_id": team_id,
                       "channel_id": channel_id})
    title = {"wrong_role": "Wrong role", "wrong_country": "Wrong country", "missing_partner": "Missing partner"}[kind]
    return {"type": "modal", "callback_id": MODAL, "private_metadata": meta,
            "title": {"type": "plain_text", "text": title}, "submit": {"type": "plain_text", "text": "Save"},
            "blocks": ([{"type": "section", "text": {"type": "mrkdwn", "text": f"*{esc(partner)}*"}}]
                       if partner else [])
            + [{"type": "input", "block_id": "value", "label": {"type": "plain_text", "text": PROMPTS[kind]},
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200}}]}


# ------------------------------------------------------------------ watch alerts (bot/watch.py)
BRIEF_ACTION = "watch_brief"  # an alert's Brief button: f"{BRIEF_ACTION}:{article id}"
MAX_FULL = 10  # articles shown with partner lines and a button; more are listed as links


def watch_alert_message(items: list[tuple[Any, Brief, list[tuple[Any, Any]]]]) -> Message:
    """One alert: ``items`` are (article, brief, [(watch, match), …]) in article order."""
    b = Builder().header("Watch alert" + (f": {len(items)} new stories" if len(items) > 1 else ""))
    blocks = [blk.to_dict() for blk in b.blocks]
    for art, brief, hits in items[:MAX_FULL]:
        title = brief.title or art.title or art.url
        lines = [f"*{link(art.url, title)}*"]
        for watch, m in hits:
            lines.append(f"_{esc(watch.label)}_: {esc('; '.join(m.reasons))}")
        partners = [p for _, m in hits for p in m.partners]
        seen: set[str] = set()
        for p in partners:
            if p.name not in seen:
                seen.add(p.name)
                lines.append(partner_line(p, with_evidence=False))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), 2900)},
                       "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Brief"},
                                     "action_id": f"{BRIEF_ACTION}:{art.id}", "value": str(art.id)}})
    rest = items[MAX_FULL:]
    if rest:
        more = "\n".join(f"• {link(a.url, br.title or a.title or a.url)} — "
                         f"{esc('; '.join(r for _, m in h for r in m.reasons))}" for a, br, h in rest)
        for piece in split_text("*Also matching*\n" + more)[:5]:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
    fallback = "Watch alert: " + "; ".join((br.title or a.title or a.url) for a, br, _ in items)
    return Message(text=_clip_escaped(fallback, MAX_TEXT), blocks=blocks[: MAX_BLOCKS])
