"""`/launchbrief` subcommands: parsing (pure) and the handlers that run after the ack."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from briefings.errors import BriefingError
from briefings.intake.ingest import follow_feed
from briefings.analysis.kb import load_kb

from bot import render
from bot.render import Message, esc, link
from bot.runtime import Runtime
from bot.service import brief_url, find_url, unescape_slack

SUBCOMMANDS = ("partners", "search", "feeds", "digest", "watch", "help", "latest")


@dataclass
class Command:
    name: str  # latest | brief | partners | search | feeds | digest | help | unknown
    args: list[str] = field(default_factory=list)
    rest: str = ""  # the text after the subcommand, as typed (Slack's &amp; &lt; &gt; undone once)
    error: str | None = None
    raw: str = ""  # the same, still Slack-formatted: where links are looked for (``<https://x|label>``)


_LEADING_LINK = re.compile(r"^\s*(<https?://[^>]*>|https?://\S+)")


def parse(text: str | None) -> Command:
    """Parse Slack's command text. Slack escapes ``&`` ``<`` ``>`` in it; they are undone here, once."""
    raw = (text or "").strip()
    if not raw:
        return Command("latest")
    lead = _LEADING_LINK.match(raw)
    url = find_url(lead.group(1)) if lead else None
    if url:
        return Command("brief", [url], unescape_slack(raw), raw=raw)
    head, _, rest_raw = raw.partition(" ")
    head, rest = unescape_slack(head), unescape_slack(rest_raw)
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


async def run(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
              channel_id: str | None = None) -> Message:
    """Do the (slow) work of a command; every failure becomes a plain message."""
    try:
        if cmd.name == "latest":
            return render.latest_message(await rt.store.latest(limit=5))
        if cmd.name == "brief":
            ref = await brief_url(rt, cmd.args[0])
            from bot.corrections import marked

            return render.brief_message(ref.brief, marks=await marked(rt, team_id, ref.article_id),
                                        article_id=ref.article_id)
        if cmd.name == "partners":
            return await partners(rt, cmd, team_id)
        if cmd.name == "search":
            if not cmd.rest:
                return render.help_message("Search for what? Try `/launchbrief search spaceport Norway`.")
            return render.search_message(cmd.rest, await rt.store.search(cmd.rest, limit=8))
        if cmd.name == "feeds":
            return await feeds(rt, cmd, user_id)
        if cmd.name == "digest":
            from bot.digests.command import digest_command

            return await digest_command(rt, cmd, user_id, team_id=team_id, channel_id=channel_id)
        if cmd.name == "watch":
            from bot.watch import watch_command

            return await watch_command(rt, cmd, user_id, team_id=team_id, channel_id=channel_id)
        return render.help_message(cmd.error)
    except BriefingError as exc:
        return render.error_message(exc.message)


async def partners(rt: Runtime, cmd: Command, team_id: str | None = None) -> Message:
    name, since, error = parse_partners_args(cmd.args)
    if error:
        return render.error_message(error)
    kb = load_kb()
    canonical = None
    if name:
        ent = kb.by_name(name)
        canonical = ent.name if ent else name
    stats = await rt.store.partner_stats(since=since, name=canonical)
    from briefings.corrections import corrected_away, removed_counts

    removed = await removed_counts(rt.store, team_id or "", since)  # what this workspace corrected away
    if removed:
        stats = [s for s in stats if s.mentions > removed.get(s.entity, 0)]
        for s in stats:
            s.mentions -= removed.get(s.entity, 0)
    if name and not stats:
        return render.error_message(f"No stored article names {name} as a launch partner"
                                    + (f" since {since}." if since else "."))
    msg = render.partners_message(stats, title=f"Partner: {canonical}" if name else "Launch partners in the news",
                                  since=since.isoformat() if since else None, country_name=kb.country_name)
    if name:
        away = await corrected_away(rt.store, team_id or "") if removed else set()
        arts = [a for a in await rt.store.partner_articles(canonical, since=since, limit=8 + len(away))
                if (a.id, canonical) not in away][:8]
        extra = "\n".join(f"• {link(a.url, a.title or a.url)} — {a.published or ''} _({esc(a.role)})_" for a in arts)
        if extra:
            b = render.Builder()
            b.section("*Articles naming it*\n" + extra)
            msg.blocks.extend(b.build("").blocks)
            msg.blocks = msg.blocks[: render.MAX_BLOCKS]
    return msg


async def feeds(rt: Runtime, cmd: Command, user_id: str | None) -> Message:
    action = (cmd.args[0].lower() if cmd.args else "list")
    if action == "list":
        rows = await rt.store.list_feeds()
        if not rows:
            return render.info_message("No feeds yet. An admin can add one with `/launchbrief feeds add &lt;url&gt;`.",
                                       "No feeds yet.")
        lines = []
        for f in rows:
            health = "ok" if not f.consecutive_failures else f"failing ×{f.consecutive_failures}: {f.last_error or ''}"
            lines.append(f"• {link(f.url, f.title or f.url)} — {esc(render.clip(health, 200))}")
        return render.info_message("*Feeds*\n" + "\n".join(lines), f"{len(rows)} feeds")
    if action not in ("add", "remove"):
        return render.help_message(f"`feeds {action}` is not a feeds command: use list, add or remove.")
    if not rt.is_admin(user_id):
        return render.error_message("Only launchbrief admins can change feeds (ask one to add you to "
                                    "LAUNCHBRIEF_ADMINS).")
    url = find_url(cmd.raw.split(maxsplit=1)[1]) if len(cmd.raw.split(maxsplit=1)) > 1 else None
    if not url:
        return render.error_message(f"Give the feed's URL: `/launchbrief feeds {action} https://example.org/feed`.")
    if action == "add":  # the CLI's engine function: a page's own feed is found (autodiscovery)
        found = await follow_feed(rt.store, rt.fetcher, url)
        where = f"Found {link(found.url)} on that page. " if found.discovered_from else ""
        return render.info_message(f"{where}Added {link(found.url, found.title or found.url)} "
                                   f"({len(found.parsed.entries)} entries now).",
                                   f"Added feed {found.title or found.url}")
    if await rt.store.remove_feed(url):
        return render.info_message(f"Removed {link(url)}; its stored articles stay.", f"Removed feed {url}")
    return render.error_message(f"No feed with URL {url}.")


_QUESTION = re.compile(r"\?|^\s*(who|what|when|where|why|how|which|did|does|is|are)\b", re.I)


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))
