"""Channel digests, delivered exactly once per slot.

Claim the ledger row (unique per subscription and slot) *before* posting; post the parent message with
Slack message metadata (event type ``launchbrief_digest``, the run id); record the message ts. A claim whose
lease ran out without a recorded ts is recovered by one replica (compare-and-swap): it looks for the run id
in the channel's history first and re-posts only when the message is not there. A permanent Slack error
(``not_in_channel``, a revoked token, …) pauses the subscription until its settings change.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError

from briefings.digests.build import build_digest
from briefings.digests.schedule import slot_key
from briefings.store.repo import utcnow

from bot import oauth, render
from bot.observability import metered_digest
from bot.runtime import Runtime

log = logging.getLogger("launchbrief.digest")
EVENT_TYPE = "launchbrief_digest"


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


# Test hook, for tests/test_digest_processes.py only: LAUNCHBRIEF_FAILPOINT=<one of FAILPOINTS> makes the
# process kill itself (SIGKILL) at that point of a delivery, to prove a crash there neither loses nor doubles
# a digest. Read once, here, at start-up; unset (always, outside that test) it does nothing.
FAILPOINTS = ("after_claim", "after_post", "after_confirm")
_CRASH_AT = os.environ.get("LAUNCHBRIEF_FAILPOINT") or None


def failpoint(name: str) -> None:
    """Crash here if the test hook names this point (see ``_CRASH_AT``)."""
    if _CRASH_AT is not None and name == _CRASH_AT:
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
        # One run at a time per subscription in this process: two slots delivered at once (a slot firing
        # while a catch-up or a recovery runs) would both start from the same cursor and post the same stories.
        self._runs: dict[int, asyncio.Lock] = {}

    async def _digest(self, sub, catching_up: bool):
        # Keyed by the newest stored article too: a story stored after a build makes that build stale, so a
        # slot right after it (or a channel whose cursor has moved since) never gets an out-of-date digest.
        key = (sub.cursor_article_id or 0, tuple((sub.filters or {}).get("terms", [])), catching_up,
               sub.team_id,  # per workspace: its corrections shape the partners line
               await self.rt.store.newest_article_id())
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
        async with self._run_lock(sub_id):
            return await self._run_slot(sub_id, slot_at, catching_up=catching_up, key=key)

    def _run_lock(self, sub_id: int) -> asyncio.Lock:
        return self._runs.setdefault(sub_id, asyncio.Lock())

    async def _run_slot(self, sub_id: int, slot_at: datetime, *, catching_up: bool, key: str | None) -> str:
        sub = await self.rt.store.subscription(sub_id=sub_id)  # read under the lock: the cursor is current
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
                                                                "slot": row.slot_key, "cursor_to": digest.cursor_to}}
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
            async with self._run_lock(row.subscription_id):
                if not await self._recover_one(row):
                    continue
            done += 1
        return done

    async def _recover_one(self, row) -> bool:
        """Finish one taken-over claim; True when it ended posted (found or sent) or empty."""
        sub = await self.rt.store.subscription(sub_id=row.subscription_id)
        if sub is None:
            return False
        try:
            found = await self._find_in_history(row)
        except Exception as exc:
            code = slack_error(exc)
            if code in PERMANENT_ERRORS:
                await self.pause(sub, code, row)
            else:
                log.warning("could not read %s's history to recover %s: %s", row.channel_id, row.run_id,
                            code or exc)
            return False
        if sub.paused_at is not None and not found:
            await self.rt.store.ledger_done(row.id, state="failed", note="subscription paused")
            return False
        if found:
            ts, payload = found
            # the cursor the posted digest reached is in its metadata: a rebuild now would also count the
            # stories stored since the crash, and they would never be posted
            cursor_to = payload.get("cursor_to")
            if not isinstance(cursor_to, int):  # posted by a version that did not record it
                cursor_to = (await build_digest(self.rt.store, sub)).cursor_to
            await self.rt.store.ledger_done(row.id, state="posted", message_ts=ts, cursor_to=cursor_to,
                                            note="confirmed from channel history after a restart")
        elif await self.deliver(sub, row) not in ("posted", "empty"):
            return False
        return True

    async def _find_in_history(self, row) -> tuple[str, dict] | None:
        """The digest this claim posted, if it reached the channel: its ts and its metadata payload."""
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
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE and payload.get("run_id") == row.run_id and msg.get("ts"):
                    return msg["ts"], payload
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None
