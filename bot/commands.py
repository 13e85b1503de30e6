"""`/launchbrief` subcommands: the handlers that run after the ack, one per subcommand, found in a table.

Parsing the command text is :mod:`bot.parse` (pure); each handler does the slow work and returns a message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from briefings.errors import BriefingError
from briefings.intake.ingest import follow_feed
from briefings.analysis.kb import load_kb

from bot import oauth, render
from bot.admins import is_admin
from bot.corrections import marked
from bot.digests.command import digest_command
from bot.parse import SUBCOMMANDS, Command, find_url, parse_partners_args
from bot.render import Message, link
from bot.runtime import Runtime
from bot.service import brief_url
from bot.watch import watch_command

Handler = Callable[..., Awaitable[Message]]  # (rt, cmd, user_id, *, team_id, channel_id) -> Message


async def latest(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                 channel_id: str | None = None) -> Message:
    return render.latest_message(await rt.store.latest(limit=5, team_id=oauth.data_team(rt, team_id)))


async def brief(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                channel_id: str | None = None) -> Message:
    ref = await brief_url(rt, cmd.args[0], team_id=oauth.data_team(rt, team_id))
    return render.brief_message(ref.brief, marks=await marked(rt, team_id, ref.article_id), article_id=ref.article_id)


async def search(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                 channel_id: str | None = None) -> Message:
    if not cmd.rest:
        return render.help_message("Search for what? Try `/launchbrief search spaceport Norway`.")
    return render.search_message(cmd.rest, await rt.store.search(cmd.rest, limit=8,
                                                                 team_id=oauth.data_team(rt, team_id)))


async def help_(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                channel_id: str | None = None) -> Message:
    return render.help_message(cmd.error)


async def run(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
              channel_id: str | None = None) -> Message:
    """Do the (slow) work of a command; every failure becomes a plain message."""
    handler = HANDLERS.get(cmd.name, help_)  # "unknown": the help, with what was not understood
    try:
        return await handler(rt, cmd, user_id, team_id=team_id, channel_id=channel_id)
    except BriefingError as exc:
        return render.error_message(exc.message)


async def partners(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                   channel_id: str | None = None) -> Message:
    name, since, error = parse_partners_args(cmd.args)
    if error:
        return render.error_message(error)
    kb = load_kb()
    canonical = None
    if name:
        ent = kb.by_name(name)
        canonical = ent.name if ent else name
    scope = oauth.data_team(rt, team_id)  # OAuth mode: what this workspace reached
    stats = await rt.store.partner_stats(since=since, name=canonical, team_id=scope)
    from briefings.corrections import corrected_away, removed_counts

    removed = await removed_counts(rt.store, team_id or "", since)  # what this workspace corrected away
    if removed:
        stats = [s for s in stats if s.mentions > removed.get(s.entity, 0)]
        for s in stats:
            s.mentions -= removed.get(s.entity, 0)
    if name and not stats:
        return render.error_message(f"No stored article names {name} as a launch partner"
                                    + (f" since {since}." if since else "."))
    arts: list[Any] = []  # the stored articles naming the partner asked about
    if canonical:
        away = await corrected_away(rt.store, team_id or "") if removed else set()
        rows: list[Any] = await rt.store.partner_articles(canonical, since=since, limit=8 + len(away),
                                                          team_id=scope)
        arts = [a for a in rows if (a.id, canonical) not in away][:8]
    return render.partners_message(stats, title=f"Partner: {canonical}" if name else "Launch partners in the news",
                                   since=since.isoformat() if since else None, country_name=kb.country_name,
                                   articles=arts)


async def feeds(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                channel_id: str | None = None) -> Message:
    action = (cmd.args[0].lower() if cmd.args else "list")
    scope = oauth.data_team(rt, team_id)  # OAuth mode: each workspace follows its own feeds
    if action == "list":
        rows = await rt.store.list_feeds(team_id=scope)
        if not rows:
            return render.info_message("No feeds yet. An admin can add one with `/launchbrief feeds add &lt;url&gt;`.",
                                       "No feeds yet.")
        return render.info_message("*Feeds*\n" + "\n".join(render.feed_line(f) for f in rows), f"{len(rows)} feeds")
    if action not in ("add", "remove"):
        return render.help_message(f"`feeds {action}` is not a feeds command: use list, add or remove.")
    if not await is_admin(rt, user_id, team_id):
        return render.error_message("Only launchbrief admins can change feeds: the workspace's Slack admins, "
                                    "whoever installed launchbrief, or users in LAUNCHBRIEF_ADMINS.")
    url = find_url(cmd.raw.split(maxsplit=1)[1]) if len(cmd.raw.split(maxsplit=1)) > 1 else None
    if not url:
        return render.error_message(f"Give the feed's URL: `/launchbrief feeds {action} https://example.org/feed`.")
    if action == "add":  # the CLI's engine function: a page's own feed is found (autodiscovery)
        found = await follow_feed(rt.store, rt.fetcher, url, team_id=scope)
        where = f"Found {link(found.url)} on that page. " if found.discovered_from else ""
        return render.info_message(f"{where}Added {link(found.url, found.title or found.url)} "
                                   f"({len(found.parsed.entries)} entries now).",
                                   f"Added feed {found.title or found.url}")
    if await rt.store.remove_feed(url, team_id=scope):
        return render.info_message(f"Removed {link(url)}; its stored articles stay.", f"Removed feed {url}")
    return render.error_message(f"No feed with URL {url}.")


# `/launchbrief <name> …` -> its handler ("brief": the command text starts with a link)
HANDLERS: dict[str, Handler] = {"latest": latest, "brief": brief, "partners": partners, "search": search,
                                "feeds": feeds, "digest": digest_command, "watch": watch_command, "help": help_}
assert set(SUBCOMMANDS) <= set(HANDLERS), "every subcommand the parser knows has a handler"
