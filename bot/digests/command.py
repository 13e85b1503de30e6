"""The `/launchbrief digest …` subcommand: read what was asked, change the channel's subscription, reply.

Delivery (exactly once per slot) is :mod:`bot.digests.delivery`; the APScheduler jobs are
:mod:`bot.digests.scheduler`, reached through ``rt.scheduler``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from briefings.digests.schedule import ScheduleError, next_slot, parse_schedule, zone
from briefings.store.repo import utcnow

from bot import oauth, render
from bot.admins import is_admin
from bot.digests.delivery import PERMANENT_ERRORS, DigestPoster, slack_error
from bot.mrkdwn import escape as esc
from bot.parse import Command
from bot.runtime import Runtime

if TYPE_CHECKING:
    from briefings.store.models import Subscription

log = logging.getLogger("launchbrief.digest")

DIGEST_HELP = """*Channel digests*
• `digest daily 08:00 [Europe/Oslo]` · `digest weekly mon 09:00 [tz]` · `digest weekdays 07:30 [tz]`
• `digest cron "0 8 * * 1-5" [tz]` — any five-field cron
• `digest` — this channel's settings and next run · `digest now` — send one now · `digest off`
• `digest filter <keywords or partner names>` · `digest filter off`
• `digest empty post` / `digest empty skip` — post a short note, or nothing, when there is no news
The timezone defaults to yours in Slack."""


def paused_text(sub) -> str:
    return f"Paused: {sub.last_error}" if sub.last_error else "Paused."


async def user_timezone(rt: Runtime, user_id: str | None, team_id: str | None = None) -> str:
    if not user_id:
        return "UTC"
    try:
        client = await oauth.client_for_team(rt, team_id) or rt.client  # the workspace's token in OAuth mode
        resp = await client.users_info(user=user_id)
        tz = (resp.get("user") or {}).get("tz") or "UTC"
        zone(tz)
        return tz
    except Exception:  # no scope, unknown user, odd tz: fall back, the user can name one
        log.warning("could not read the timezone of %s", user_id)
        return "UTC"


def describe(sub, now: datetime | None = None) -> str:
    now = now or utcnow()
    nxt = next_slot(sub.cron, sub.timezone, now)
    when = nxt.astimezone(zone(sub.timezone)).strftime("%a %d %b %Y %H:%M %Z") if nxt else "never"
    terms = (sub.filters or {}).get("terms") or []
    if sub.paused_at is not None:
        when = "none while paused"
    out = (f"*Digest for <#{sub.channel_id}>*: {esc(sub.schedule_text or sub.cron)} ({esc(sub.timezone)})\n"
           f"Next: {esc(when)}\nFilter: {esc(', '.join(terms)) if terms else 'none'} · "
           f"When there is no news: {'post a short note' if sub.post_when_empty else 'post nothing'}")
    if sub.paused_at is not None:
        out += f"\n:warning: {esc(paused_text(sub))}"
    return out


async def channel_problem(rt: Runtime, channel_id: str | None,
                          team_id: str | None = None) -> tuple[str | None, str | None]:
    """Can the bot post digests here? (refusal, note): a refusal says how to fix it; a note is for information.

    A public channel the bot is not in still works with ``chat:write.public``; a private or archived one, or
    one the bot cannot see, does not. When the check itself is not allowed (no ``channels:read``), the first
    post will tell (and pause the digest with the reason)."""
    if not channel_id:
        return None, None
    try:
        client = await oauth.client_for_team(rt, team_id) or rt.client  # the workspace's token in OAuth mode
        resp = await client.conversations_info(channel=channel_id)
    except Exception as exc:
        code = slack_error(exc)
        if code in ("channel_not_found", "not_in_channel"):
            return PERMANENT_ERRORS["channel_not_found"].replace(", then set the digest again", ", then run this "
                                                                 "command again"), None
        log.info("could not check channel %s before setting a digest: %s", channel_id, code or exc)
        return None, None
    info = resp.get("channel") or {}
    if info.get("is_archived"):
        return PERMANENT_ERRORS["is_archived"], None
    if info.get("is_member") is False:
        if info.get("is_private"):
            return "I'm not a member of this private channel. Invite me with `/invite @launchbrief`, then run " \
                   "this command again.", None
        return None, ("I'm not a member of this channel, so I'll post with the chat:write.public permission. "
                      "Invite me (`/invite @launchbrief`) if you also want to mention me in its threads.")
    return None, None


@dataclass
class DigestCall:
    """One `/launchbrief digest …` invocation, as its handler sees it."""

    rt: Runtime
    cmd: Command
    user_id: str | None
    team_id: str | None
    channel_id: str | None
    sub: Subscription | None  # this channel's subscription, if any

    @property
    def words(self) -> list[str]:
        return self.cmd.args


NOW_OUTCOMES = {"posted": "Digest posted.", "empty": "Nothing new since the last digest.",
                "already": "A digest is already on its way.",
                "retry": "Slack did not take the digest just now; I'll try again in a few minutes."}
NO_DIGEST_YET = "Set up a digest first, e.g. `/launchbrief digest daily 08:00`."


async def _show(call: DigestCall) -> render.Message:
    if call.sub is None:
        return render.info_message("This channel has no digest. " + esc(DIGEST_HELP), "No digest here.")
    return render.info_message(describe(call.sub), "Digest settings")


async def _help(call: DigestCall) -> render.Message:
    return render.info_message(esc(DIGEST_HELP), "Digest help")


async def _off(call: DigestCall) -> render.Message:
    removed = await call.rt.store.delete_subscription(call.team_id or "", call.channel_id or "")
    if removed is None:
        return render.info_message("This channel has no digest to turn off.", "No digest here.")
    if call.rt.scheduler is not None:
        call.rt.scheduler.unschedule(removed)
    return render.info_message("Digest turned off for this channel.", "Digest off")


async def _now(call: DigestCall) -> render.Message:
    rt, sub = call.rt, call.sub
    if sub is None:
        return render.error_message("This channel has no digest yet; set one up first, e.g. "
                                    "`/launchbrief digest daily 08:00`.")
    poster = rt.scheduler.poster if rt.scheduler is not None else DigestPoster(rt)
    now = utcnow()
    outcome = await poster.run_slot(sub.id, now, key="now-" + now.strftime("%Y-%m-%dT%H:%M:%S"))
    if outcome in ("paused", "failed"):
        sub = await rt.store.subscription(sub_id=sub.id) or sub
        return render.error_message(f"This channel's digest is paused. {sub.last_error or ''} "
                                    "Changing its settings (e.g. `/launchbrief digest daily 08:00`) resumes it.")
    text = NOW_OUTCOMES.get(outcome, outcome)
    return render.info_message(text, text)


def filter_terms(cmd: Command) -> list[str]:
    """``filter a, b c`` -> ["a", "b c"]; ``filter a b`` (no comma) -> ["a", "b"]; ``filter`` -> []."""
    words = cmd.args
    terms = [t.strip() for t in " ".join(words[1:]).split(",") if t.strip()] if len(words) > 1 else []
    if len(terms) == 1 and " " in terms[0] and "," not in cmd.rest:
        terms = terms[0].split()
    return terms


async def _filter(call: DigestCall) -> render.Message:
    rt, sub = call.rt, call.sub
    if sub is None:
        return render.error_message(NO_DIGEST_YET)
    terms = filter_terms(call.cmd)
    await resume(rt, sub)
    if not terms or terms == ["off"]:
        await rt.store.update_subscription(sub.id, filters=None)
        return render.info_message("Digest filter removed: every launch-policy story is included.", "Filter off")
    await rt.store.update_subscription(sub.id, filters={"terms": terms})
    return render.info_message("Digest now only includes stories mentioning: " + esc(", ".join(terms)),
                               "Filter set")


async def _empty(call: DigestCall) -> render.Message:
    words = call.words
    if call.sub is None or len(words) < 2 or words[1].lower() not in ("post", "skip"):
        return render.error_message("Use `digest empty post` or `digest empty skip` (after setting up a digest).")
    await resume(call.rt, call.sub)
    await call.rt.store.update_subscription(call.sub.id, post_when_empty=words[1].lower() == "post")
    return render.info_message("Saved.", "Saved")


async def _set_schedule(call: DigestCall) -> render.Message:
    """Anything else is a schedule: ``daily 08:00``, ``weekly mon 09:00``, ``cron "…"`` (or a plain error)."""
    rt = call.rt
    try:
        schedule = parse_schedule(call.cmd.rest)
    except ScheduleError as exc:
        return render.error_message(f"{exc} Try `/launchbrief digest help`.")
    refusal, note = await channel_problem(rt, call.channel_id, call.team_id)
    if refusal:
        return render.error_message(f"I can't post digests here: {refusal}")
    tz = schedule.timezone or await user_timezone(rt, call.user_id, call.team_id)
    sub = await rt.store.upsert_subscription(call.team_id or "", call.channel_id or "", cron=schedule.cron,
                                             timezone=tz, text=schedule.text, created_by=call.user_id)
    sub = await resume(rt, sub)
    if rt.scheduler is not None:
        rt.scheduler.schedule(sub)
    extra = f"\n{esc(note)}" if note else ""
    return render.info_message("Digest set. " + describe(sub) + extra, f"Digest set: {schedule.text} ({tz})")


Handler = Callable[[DigestCall], Awaitable[render.Message]]
# `digest <action> …`; any other first word is read as a schedule (_set_schedule)
ACTIONS: dict[str, Handler] = {"": _show, "show": _show, "status": _show, "help": _help, "off": _off,
                               "now": _now, "filter": _filter, "empty": _empty}
OPEN_TO_ALL = {"", "show", "status", "help", "now"}  # the rest change settings: admins only, when so configured


async def digest_command(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                         channel_id: str | None = None) -> render.Message:
    action = cmd.args[0].lower() if cmd.args else ""
    sub = await rt.store.subscription(team_id, channel_id)
    if action not in OPEN_TO_ALL and rt.settings.digest_admins_only and not await is_admin(rt, user_id, team_id):
        return render.error_message("Only launchbrief admins can set, change or switch off this channel's digest "
                                    "(LAUNCHBRIEF_DIGEST_ADMINS_ONLY is on): the workspace's Slack admins, "
                                    "whoever installed launchbrief, or users in LAUNCHBRIEF_ADMINS.")
    handler = ACTIONS.get(action, _set_schedule)
    return await handler(DigestCall(rt, cmd, user_id, team_id, channel_id, sub))


async def resume(rt: Runtime, sub):
    """Changed settings end a pause (the user has presumably fixed what Slack complained about)."""
    if sub is not None and (sub.paused_at is not None or sub.last_error):
        sub = await rt.store.update_subscription(sub.id, paused_at=None, last_error=None) or sub
    return sub


__all__ = ["ACTIONS", "digest_command"]
