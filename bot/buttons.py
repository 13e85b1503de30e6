"""What a brief's buttons do, after the listener has acked: load the brief the button belongs to and answer.

Each handler gets the brief found (or None) and returns (message, response_type); the messages come from
:mod:`bot.render`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from briefings.store.rows import BriefRef

from bot import render
from bot.runtime import Runtime

Found = BriefRef | None  # the button's article and its brief, if still stored
# (runtime, the brief found, the workspace whose data the answer may show: None = all) -> (message, response type)
ButtonHandler = Callable[[Runtime, Found, str | None], Awaitable[tuple[render.Message, str]]]


def article_id_of(body: dict) -> int | None:
    """The article id a button carries in its value."""
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, ValueError, TypeError):
        return None


async def brief_of(rt: Runtime, body: dict) -> Found:
    article_id = article_id_of(body)
    if article_id is None:
        return None
    got = await rt.store.get_brief(article_id)
    return BriefRef(article_id, got.brief) if got and got.brief else None


async def share(rt: Runtime, found: Found, team_id: str | None = None) -> tuple[render.Message, str]:
    """Share in channel: the brief, without buttons, for everyone in the channel."""
    if not found:
        return render.error_message("That brief is no longer stored."), "ephemeral"
    return render.brief_message(found.brief, article_id=None, buttons=False), "in_channel"


async def more_like_this(rt: Runtime, found: Found, team_id: str | None = None) -> tuple[render.Message, str]:
    """Stored stories naming the same partners (or with the same title words), this one left out."""
    title = (found.brief.title if found else None) or ""
    terms = " ".join(([p.name for p in found.brief.partners[:3]] if found else []) or [title])
    hits = [h for h in await rt.store.search(terms, limit=6, team_id=team_id)
            if not found or h.article_id != found.article_id]
    return render.search_message(f"more like “{title or terms}”", hits[:5]), "ephemeral"


# a brief's buttons (bot.render.brief_message) by action id; "show_partners" is bot.corrections'
BUTTONS: dict[str, ButtonHandler] = {"share_brief": share, "more_like_this": more_like_this}
