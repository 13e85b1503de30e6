"""Channel digests: the `/launchbrief digest …` subcommand, and posting each slot exactly once.

Exactly once: claim the ledger row (unique per subscription and slot) *before* posting; post the parent
message with Slack message metadata (event type ``launchbrief_digest``, the run id); record the message ts.
A claim whose lease ran out without a recorded ts is recovered by one replica (compare-and-swap): it looks
for the run id in the channel's history first and re-posts only when the message is not there.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from briefings.digests.build import build_digest
from briefings.digests.schedule import ScheduleError, next_slot, parse_schedule, slot_key, zone
from briefings.store.repo import utcnow

from bot import oauth, render
from bot.observability import metered_digest
from bot.render import esc
from bot.admins import is_admin
from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.commands import Command

log = logging.getLogger("launchbrief.digest")
EVENT_TYPE = "launchbrief_digest"

DIGEST_HELP = """*Channel digests*
• `digest daily 08:00 [Europe/Oslo]` · `digest weekly mon 09:00 [tz]` · `digest weekdays 07:30 [tz]`
• `digest cron "0 8 * * 1-5" [tz]` — any five-field cron
• `digest` — this channel's settings and next run · `digest now` — send one now · `digest off`
• `digest filter <keywords or partner names>` · `digest filter off`
• `digest empty post` / `digest empty skip` — post a short note, or nothing, when there is no news
The timezone defaults to yours in Slack."""


# Slack errors that retrying cannot fix: the subscription is paused until its settings change.
PERMANENT_ERRORS = {
    "not_in_channel": "I'm not a member of this channel. Invite me with `/invite @launchbrief`, then set the "
                      "digest again (or reinstall the app with the chat:write.public permission).",
    "channel_not_found": "I can't see this channel (private, deleted or in another workspace). Invite me with "
                         "`/invite @launchbrief`, then set the digest again.",
    "is_archived": "This channel is archived. Unarchive it, or set up the digest in another channel.",
    "missing_scope": "The app lacks a Slack permission it needs to post here; a workspace admin should "
                     "reinstall it from deploy/slack-manifest.yaml, then set the digest again.",
    "account_inactive": "The app's Slack token is no longer active; reinstall the app, then set the digest again.",
    "token_revoked": "The app's Slack token was revoked; reinstall the app, then set the digest again.",
}


def slack_error(exc: BaseException) -> str | None:
    """The Web API error code of a failed call (``not_in_channel``, …), or None for other failures."""
    if isinstance(exc, SlackApiError):
        return str((exc.response or {}).get("error") or "") or None
    return None


RETRY_NOTE = "transient failure ×"


def transient_failures(row) -> int:
    """How many transient failures a claim has had (kept in its ledger note)."""
    note = getattr(row, "note", None) or ""
    if note.startswith(RETRY_NOTE):
        digits = note[len(RETRY_NOTE):].split(":", 1)[0]
        return int(digits) if digits.isdigit() else 0
    return 0


def paused_text(sub) -> str:
    return f"Paused: {sub.last_error}" if sub.last_error else "Paused."


def failpoint(name: str) -> None:
    """Crash tests only: LAUNCHBRIEF_FAILPOINT=<name> kills the process (SIGKILL) at that point."""
    if os.environ.get("LAUNCHBRIEF_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class DigestPoster:
    """Posts digests: one at a time per channel, about one message a second; channels in parallel."""

    def __init__(self, rt: Runtime, pace: float = 1.0):
        self.rt = rt
        self.pace = pace
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}
        # Fan-out: many channels due at once usually share a cursor and filters, so their digests are the
        # same; build each distinct one once (cached for 30 s, keyed by cursor, filters and catch-up).
        self._built: dict[tuple, tuple[float, asyncio.Task]] = {}

    async def _digest(self, sub, catching_up: bool):
        # A story stored after the cached build is not lost: the cursor moves only to what was included.
        key = (sub.cursor_article_id or 0, tuple((sub.filters or {}).get("terms", [])), catching_up,
               sub.team_id)  # per workspace: its corrections shape the partners line
        now = time.monotonic()
        hit = self._built.get(key)
        if hit is None or now - hit[0] > 30:
            self._built = {k: v for k, v in self._built.items() if now - v[0] <= 30}
            hit = (now, asyncio.ensure_future(build_digest(self.rt.store, sub, catching_up=catching_up)))
            self._built[key] = hit
        digest = await hit[1]
        return digest.model_copy(update={"channel_id": sub.channel_id, "schedule": sub.schedule_text})

    async def _post(self, channel: str, msg: render.Message, client=None, **extra) -> str:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._last.get(channel, 0) + self.pace - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            resp = await (client or self.rt.client).chat_postMessage(channel=channel, unfurl_links=False,
                                                                     unfurl_media=False, **msg.as_kwargs(), **extra)
            self._last[channel] = time.monotonic()
            return resp["ts"]

    @metered_digest
    async def run_slot(self, sub_id: int, slot_at: datetime, *, catching_up: bool = False,
                       key: str | None = None) -> str:
        """Claim and deliver one slot. Returns what happened: posted | empty | already | gone | paused |
        failed (a permanent Slack error: the subscription is now paused) | retry (a transient failure: the
        claim stays, and recovery tries again after the lease)."""
        sub = await self.rt.store.subscription(sub_id=sub_id)
        if sub is None:
            return "gone"
        if sub.paused_at is not None:
            return "paused"  # no claim, no call: nothing is retried until the settings change
        key = key or slot_key(slot_at, sub.timezone)
        row = await self.rt.store.claim_slot(sub, key, slot_at, uuid.uuid4().hex, catching_up=catching_up)
        if row is None:
            return "already"
        failpoint("after_claim")
        return await self.deliver(sub, row)

    async def deliver(self, sub, row) -> str:
        client = await oauth.client_for_team(self.rt, sub.team_id)  # the workspace's own token (OAuth mode)
        if client is None:  # uninstalled or revoked: skip, and say why (ledger note, App Home, metrics)
            await self.rt.store.ledger_done(row.id, state="skipped", note=oauth.UNINSTALLED)
            return "uninstalled"
        try:
            return await self._deliver(sub, row, client)
        except Exception as exc:
            code = slack_error(exc)
            if code in PERMANENT_ERRORS:
                await self.pause(sub, code, row)
                return "failed"
            # transient (5xx, rate limit or connection after the client's own retries): the claim stays and
            # is recovered later, each failure doubling the wait (lease, 2 leases, 4 leases, … up to 64)
            failures = transient_failures(row) + 1
            log.warning("digest for %s failed (×%d), will be retried: %s", sub.channel_id, failures, code or exc)
            try:
                await self.rt.store.ledger_done(row.id, state="claimed",
                                                note=f"{RETRY_NOTE}{failures}: {render.clip(str(code or exc), 300)}")
            except Exception:
                log.exception("could not record the failure of %s", row.run_id)
            return "retry"

    async def pause(self, sub, code: str, row=None) -> None:
        """A permanent error: pause the subscription, record why, close the claim (so recovery leaves it)."""
        error = f"{code}: {PERMANENT_ERRORS.get(code, 'Slack refused the post.')}"
        log.warning("digest for %s paused: %s", sub.channel_id, code)
        await self.rt.store.update_subscription(sub.id, last_error=error, paused_at=utcnow())
        if row is not None:
            await self.rt.store.ledger_done(row.id, state="failed", note=error)

    async def _deliver(self, sub, row, client) -> str:
        digest = await self._digest(sub, row.catching_up)
        if digest.empty and not sub.post_when_empty:
            await self.rt.store.ledger_done(row.id, state="empty", cursor_to=digest.cursor_to)
            return "empty"
        messages = render.digest_messages(digest)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"run_id": row.run_id, "subscription_id": sub.id,
                                                                "slot": row.slot_key}}
        ts = await self._post(sub.channel_id, messages[0], client=client, metadata=metadata)
        failpoint("after_post")
        for reply in messages[1:]:
            await self._post(sub.channel_id, reply, client=client, thread_ts=ts)
        await self.rt.store.ledger_done(row.id, state="posted", message_ts=ts, cursor_to=digest.cursor_to)
        failpoint("after_confirm")
        return "posted"

    async def recover(self, lease: timedelta | None = None) -> int:
        """Finish claims whose process died: confirm from channel history, or post if it never arrived."""
        lease = lease if lease is not None else timedelta(seconds=self.rt.settings.digest_lease_seconds)
        done = 0
        now = utcnow()
        for row in await self.rt.store.stale_claims(lease):
            claimed = row.claimed_at.replace(tzinfo=row.claimed_at.tzinfo or UTC)
            if now - claimed < lease * 2 ** min(transient_failures(row), 6):
                continue  # backing off after transient failures
            if not await self.rt.store.take_over(row):
                continue  # another replica took it
            sub = await self.rt.store.subscription(sub_id=row.subscription_id)
            if sub is None:
                continue
            try:
                ts = await self._find_in_history(row)
            except Exception as exc:
                code = slack_error(exc)
                if code in PERMANENT_ERRORS:
                    await self.pause(sub, code, row)
                else:
                    log.warning("could not read %s's history to recover %s: %s", row.channel_id, row.run_id,
                                code or exc)
                continue
            if sub.paused_at is not None and not ts:
                await self.rt.store.ledger_done(row.id, state="failed", note="subscription paused")
                continue
            if ts:
                digest = await build_digest(self.rt.store, sub)
                await self.rt.store.ledger_done(row.id, state="posted", message_ts=ts, cursor_to=digest.cursor_to,
                                                note="confirmed from channel history after a restart")
            elif await self.deliver(sub, row) not in ("posted", "empty"):
                continue
            done += 1
        return done

    async def _find_in_history(self, row) -> str | None:
        oldest = (row.claimed_at.replace(tzinfo=row.claimed_at.tzinfo or UTC) - timedelta(minutes=1)).timestamp()
        cursor = None
        sub = await self.rt.store.subscription(sub_id=row.subscription_id)
        client = await oauth.client_for_team(self.rt, sub.team_id) if sub else None
        if client is None:
            return None
        for _ in range(20):
            resp = await client.conversations_history(channel=row.channel_id, oldest=str(oldest), limit=200,
                                                              include_all_metadata=True, cursor=cursor)
            for msg in resp.get("messages") or []:
                meta = msg.get("metadata") or {}
                if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("run_id") == \
                        row.run_id:
                    return msg.get("ts")
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None


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


async def digest_command(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                         channel_id: str | None = None) -> render.Message:
    scheduler = getattr(rt, "scheduler", None)
    words = cmd.args
    action = words[0].lower() if words else ""
    sub = await rt.store.subscription(team_id, channel_id)
    if action in ("", "show", "status"):
        if sub is None:
            return render.info_message("This channel has no digest. " + esc(DIGEST_HELP), "No digest here.")
        return render.info_message(describe(sub), "Digest settings")
    if action == "help":
        return render.info_message(esc(DIGEST_HELP), "Digest help")
    if action != "now" and rt.settings.digest_admins_only and not await is_admin(rt, user_id, team_id):
        return render.error_message("Only launchbrief admins can set, change or switch off this channel's digest "
                                    "(LAUNCHBRIEF_DIGEST_ADMINS_ONLY is on): the workspace's Slack admins, "
                                    "whoever installed launchbrief, or users in LAUNCHBRIEF_ADMINS.")
    if action == "off":
        removed = await rt.store.delete_subscription(team_id or "", channel_id or "")
        if removed is None:
            return render.info_message("This channel has no digest to turn off.", "No digest here.")
        if scheduler:
            scheduler.unschedule(removed)
        return render.info_message("Digest turned off for this channel.", "Digest off")
    if action == "now":
        if sub is None:
            return render.error_message("This channel has no digest yet; set one up first, e.g. "
                                        "`/launchbrief digest daily 08:00`.")
        poster = scheduler.poster if scheduler else DigestPoster(rt)
        now = utcnow()
        outcome = await poster.run_slot(sub.id, now, key="now-" + now.strftime("%Y-%m-%dT%H:%M:%S"))
        if outcome in ("paused", "failed"):
            sub = await rt.store.subscription(sub_id=sub.id) or sub
            return render.error_message(f"This channel's digest is paused. {sub.last_error or ''} "
                                        "Changing its settings (e.g. `/launchbrief digest daily 08:00`) resumes it.")
        text = {"posted": "Digest posted.", "empty": "Nothing new since the last digest.",
                "already": "A digest is already on its way.",
                "retry": "Slack did not take the digest just now; I'll try again in a few minutes."}.get(outcome, outcome)
        return render.info_message(text, text)
    if action == "filter":
        if sub is None:
            return render.error_message("Set up a digest first, e.g. `/launchbrief digest daily 08:00`.")
        terms = [t.strip() for t in " ".join(words[1:]).split(",") if t.strip()] if len(words) > 1 else []
        if len(terms) == 1 and " " in terms[0] and "," not in cmd.rest:
            terms = terms[0].split()
        await resume(rt, sub)
        if not terms or terms == ["off"]:
            await rt.store.update_subscription(sub.id, filters=None)
            return render.info_message("Digest filter removed: every launch-policy story is included.", "Filter off")
        await rt.store.update_subscription(sub.id, filters={"terms": terms})
        return render.info_message("Digest now only includes stories mentioning: " + esc(", ".join(terms)),
                                   "Filter set")
    if action == "empty":
        if sub is None or len(words) < 2 or words[1].lower() not in ("post", "skip"):
            return render.error_message("Use `digest empty post` or `digest empty skip` (after setting up a digest).")
        await resume(rt, sub)
        await rt.store.update_subscription(sub.id, post_when_empty=words[1].lower() == "post")
        return render.info_message("Saved.", "Saved")
    try:
        schedule = parse_schedule(cmd.rest)
    except ScheduleError as exc:
        return render.error_message(f"{exc} Try `/launchbrief digest help`.")
    refusal, note = await channel_problem(rt, channel_id, team_id)
    if refusal:
        return render.error_message(f"I can't post digests here: {refusal}")
    tz = schedule.timezone or await user_timezone(rt, user_id, team_id)
    sub = await rt.store.upsert_subscription(team_id or "", channel_id or "", cron=schedule.cron, timezone=tz,
                                             text=schedule.text, created_by=user_id)
    sub = await resume(rt, sub)
    if scheduler:
        scheduler.schedule(sub)
    extra = f"\n{esc(note)}" if note else ""
    return render.info_message("Digest set. " + describe(sub) + extra, f"Digest set: {schedule.text} ({tz})")


async def resume(rt: Runtime, sub):
    """Changed settings end a pause (the user has presumably fixed what Slack complained about)."""
    if sub is not None and (sub.paused_at is not None or sub.last_error):
        sub = await rt.store.update_subscription(sub.id, paused_at=None, last_error=None) or sub
    return sub


__all__ = ["DigestPoster", "digest_command"]
