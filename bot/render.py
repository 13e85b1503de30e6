"""Block Kit rendering (slack_sdk models) for briefs, partner lists, the latest briefing and search results.

Rules kept here, in one place:
* all untrusted text (titles, sentences, quotes, names, user input) goes through :func:`esc` -- ``&``, ``<``,
  ``>`` escaped, so nothing can ping ``@channel`` or forge a link;
* links are built only from http(s) URLs (:func:`link`), with escaped labels;
* Slack's limits: at most 50 blocks, 3,000 characters per section, 150 per header; long text is split at
  word boundaries into several sections (never cut silently: a cut is marked with "…"), and every message
  carries a plain fallback ``text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from briefings.models import Brief, BriefMarks, CorrectionNote, Partner, Quote, known_family, partners_by_tier
from slack_sdk.models.blocks import (ActionsBlock, ButtonElement, ContextBlock, DividerBlock, HeaderBlock,
                                     MarkdownTextObject, PlainTextObject, SectionBlock)

if TYPE_CHECKING:  # the store's row type, for annotations only: rendering never loads the store
    from briefings.store.rows import LatestStory

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000  # fallback text we send (Slack truncates at 40k; keep notifications short)
MAX_CONTEXT_ELEMENT = 2000


# Bidirectional embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069): in a title they can make
# text display in another order than it reads ("evil.com/txt.exe" shown as "exe.txt/moc.live"); never shown.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi(text: str) -> str:
    return _BIDI.sub("", text)


def esc(text: str | None) -> str:
    """Escape untrusted text for mrkdwn: & < > (Slack's control characters), bidi controls removed."""
    if not text:
        return ""
    return strip_bidi(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
                     country_name=lambda c: c) -> Message:
    out = Builder().header(title + (f" since {since}" if since else ""))
    if not stats:
        return out.section("No partners found in stored coverage yet.").build("No partners found yet.")
    by_country: dict[str, list[Any]] = {}
    for s in stats:
        by_country.setdefault(country_name(s.country) or "International", []).append(s)
    for country, items in sorted(by_country.items(), key=lambda kv: -sum(s.mentions for s in kv[1])):
        lines = []
        for s in items:
            latest = link(s.latest_url, clip(s.latest_title or "latest", 80)) if s.latest_url else ""
            lines.append(f"• *{esc(s.entity)}* _{esc(s.kind)}_ — {s.mentions} mention{'s' * (s.mentions != 1)}, "
                         f"{_date(s.first_seen)} → {_date(s.last_seen)}" + (f" · {latest}" if latest else ""))
        out.section(f"*{esc(country)}*\n" + "\n".join(lines))
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
            line += f"\n   _partners: {esc(', '.join(roles[:6]))}" + (f" +{len(roles) - 6} more" if len(roles) > 6 else "") + "_"
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


def _speaker(q: Quote) -> str:
    """"Lena Sorensen (Fjordlift)": the speaker, with the organisation the article ties them to."""
    who, org = q.speaker or "unattributed", q.speaker_org
    return f"{who} ({org})" if org and org != who else who
