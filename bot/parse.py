"""Parsing what people send the bot (pure: no Slack calls, no store, no Block Kit).

Slash-command text becomes a :class:`Command`; a mention becomes a :class:`Mention` (its question and link).
Slack escapes ``&`` ``<`` ``>`` in what users type; it is undone here, once (:func:`bot.mrkdwn.unescape`), and
escaped again, once, on output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.mrkdwn import unescape

SUBCOMMANDS = ("partners", "search", "feeds", "digest", "watch", "help", "latest")

_URL_IN_SLACK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>|(https?://[^\s<>]+)")
_MARKUP = re.compile(r"<[^<>]*>")  # Slack's own markup: <@U1>, <#C1|name>, <!here>, <https://x|label>
_LEADING_LINK = re.compile(r"^\s*(<https?://[^>]*>|https?://\S+)")
_QUESTION = re.compile(r"\?|^\s*(who|what|when|where|why|how|which|did|does|is|are)\b", re.I)


def user_text(text: str | None) -> str:
    """What a user typed, without Slack's markup (mentions, channel and link tokens), unescaped once."""
    return " ".join(unescape(_MARKUP.sub(" ", text or "")).split())


def find_url(text: str | None) -> str | None:
    """The first http(s) link in Slack-formatted text (``<https://x|label>``, ``<https://x>`` or bare),
    with Slack's entities undone: ``?id=7&amp;page=2`` is the URL ``?id=7&page=2``."""
    if not text:
        return None
    m = _URL_IN_SLACK.search(text)
    if not m:
        return None
    url = unescape(m.group(1) or m.group(2))
    return url.rstrip(").,;") or None


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


@dataclass
class Command:
    name: str  # latest | brief | partners | search | feeds | digest | watch | help | unknown
    args: list[str] = field(default_factory=list)
    rest: str = ""  # the text after the subcommand, as typed (Slack's &amp; &lt; &gt; undone once)
    error: str | None = None
    raw: str = ""  # the same, still Slack-formatted: where links are looked for (``<https://x|label>``)


def parse(text: str | None) -> Command:
    """Parse Slack's command text. Slack escapes ``&`` ``<`` ``>`` in it; they are undone here, once."""
    raw = (text or "").strip()
    if not raw:
        return Command("latest")
    lead = _LEADING_LINK.match(raw)
    url = find_url(lead.group(1)) if lead else None
    if url:
        return Command("brief", [url], unescape(raw), raw=raw)
    head, _, rest_raw = raw.partition(" ")
    head, rest = unescape(head), unescape(rest_raw)
    name = head.lower()
    if name not in SUBCOMMANDS:
        return Command("unknown", [head], rest, error=f"I don't know the command “{head}”.", raw=rest_raw)
    return Command(name, rest.split(), rest.strip(), raw=rest_raw.strip())


def parse_partners_args(args: list[str]) -> tuple[str | None, date | None, str | None]:
    """``[name words…] [since:YYYY-MM-DD]`` -> (name, since, error)."""
    since = None
    words = []
    for a in args:
        if a.lower().startswith("since:"):
            try:
                since = date.fromisoformat(a[6:])
            except ValueError:
                return None, None, f"“{a}” is not a date: use since:YYYY-MM-DD, e.g. since:2025-01-31."
        else:
            words.append(a)
    return (" ".join(words) or None), since, None


@dataclass(frozen=True)
class Mention:
    """An ``@launchbrief`` mention: the link it names (if any) and what was asked."""

    url: str | None
    said: str  # what was typed, unescaped once, without mention, channel and link tokens
    in_thread: bool  # a reply in a thread: the thread's first message may hold the link

    def with_thread_link(self, first_message_text: str | None) -> Mention:
        """The mention, with the link taken from the thread's first message when it named none itself."""
        return self if self.url else Mention(find_url(first_message_text), self.said, self.in_thread)

    @property
    def question(self) -> str:
        """What was asked, without the link itself."""
        if not self.url:
            return self.said
        return " ".join(w for w in self.said.split() if w.rstrip(").,;") != self.url)

    @property
    def wants_answer(self) -> bool:
        """A question to answer (else, with a link, the brief itself is the answer)."""
        return is_question(self.question)


def parse_mention(event: dict) -> Mention:
    text = event.get("text") or ""
    return Mention(find_url(text), user_text(text), bool(event.get("thread_ts")))
