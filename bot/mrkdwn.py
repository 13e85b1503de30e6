"""Slack mrkdwn escaping, in one place: what goes out is escaped once, what comes in is unescaped once.

Slack's control characters in mrkdwn are ``&``, ``<`` and ``>`` (``<!channel>``, ``<@U1>``, ``<https://x|y>``);
escaping them is exactly ``html.escape(text, quote=False)``. Bidirectional controls (U+202A-U+202E,
U+2066-U+2069) are removed too: in a title they can make text display in another order than it reads
("evil.com/txt.exe" shown as "exe.txt/moc.live").
"""

from __future__ import annotations

import html
import re

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi(text: str) -> str:
    return _BIDI.sub("", text)


def escape(text: str | None) -> str:
    """Untrusted text for mrkdwn: ``&`` ``<`` ``>`` escaped (nothing can ping ``@channel`` or forge a link),
    bidi controls removed."""
    if not text:
        return ""
    return html.escape(strip_bidi(text), quote=False)


def unescape(text: str | None) -> str:
    """Undo Slack's escaping of user input, once: ``&lt;`` ``&gt;`` ``&amp;`` and nothing else (``&amp;`` last,
    so ``&amp;lt;`` stays the literal ``&lt;`` the user typed). Not ``html.unescape``: Slack escapes only these
    three, so any other entity is what the user typed."""
    if not text:
        return ""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
