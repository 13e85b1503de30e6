"""APScheduler 3.11 in the bot's event loop: one feed-poll job, one cron job per digest subscription.

Jobs are rebuilt from the database at start-up and updated live when a subscription changes. At start-up a
recovery pass finishes claims left by a crashed process, then a catch-up pass sends, once and marked
"catching up", the most recent slot missed while the bot was down if it is within the catch-up bound;
older missed slots are recorded as skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from briefings.digests.schedule import fire_times, latest_slot, slot_key, standard_day_of_week, zone
from briefings.store.repo import utcnow

from bot import observability, watch
from bot.digests.delivery import DigestPoster
from bot.runtime import Runtime

log = logging.getLogger("launchbrief.scheduler")


class SafeCronTrigger(CronTrigger):
    """APScheduler's CronTrigger, guarded: on a DST fold it can return the same past instant again and
    again; a fire time must always move forward."""

    def get_next_fire_time(self, previous_fire_time, now):
        nxt = super().get_next_fire_time(previous_fire_time, now)
        guard = 0
        while nxt is not None and previous_fire_time is not None and nxt <= previous_fire_time and guard < 10:
            nxt = super().get_next_fire_time(None, max(now, previous_fire_time) + timedelta(minutes=1 + guard * 60))
            guard += 1
        return nxt


def to_apscheduler(cron: str) -> str:
    """A standard five-field crontab with its weekday field as day names: APScheduler numbers weekdays from
    Monday = 0, so a standard ``1-5`` would mean Tuesday-Saturday to it."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError("a cron expression has five fields: minute hour day month weekday")
    fields[4] = standard_day_of_week(fields[4])
    return " ".join(fields)


def trigger(cron: str, tz: str) -> SafeCronTrigger:
    """The APScheduler trigger of a digest's cron (its slots are those of briefings.digests.schedule)."""
    base = CronTrigger.from_crontab(to_apscheduler(cron), timezone=zone(tz))
    t = SafeCronTrigger.__new__(SafeCronTrigger)
    t.__setstate__(base.__getstate__())
    return t


class DigestScheduler:
    def __init__(self, rt: Runtime, *, catch_up: timedelta | None = None, poll_every: timedelta | None = None,
                 trigger_factory: Callable = trigger, clock: Callable[[], datetime] = utcnow, pace: float = 1.0):
        self.rt = rt
        self.catch_up = catch_up or timedelta(hours=rt.settings.digest_catch_up_hours)
        self.poll_every = poll_every if poll_every is not None else timedelta(minutes=rt.settings.poll_minutes)
        self.trigger_factory = trigger_factory
        self.clock = clock
        self.poster = DigestPoster(rt, pace=pace)
        self.events: list[str] = []  # missed/failed job notes, newest last (shown in App Home)
        self.scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": int(self.catch_up.total_seconds())})
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        rt.scheduler = self

    def _on_event(self, event: JobExecutionEvent) -> None:
        what = "missed" if event.code == EVENT_JOB_MISSED else f"failed: {event.exception!r}"
        note = f"{utcnow():%Y-%m-%d %H:%M} UTC job {event.job_id} {what}"
        log.warning(note)
        self.events = (self.events + [note])[-20:]

    async def start(self) -> None:
        await self.poster.recover()
        await watch.alerter(self.rt).recover()
        for sub in await self.rt.store.subscriptions():
            await self.catch_up_subscription(sub)
            self.schedule(sub)
        if self.poll_every.total_seconds() > 0:
            self.scheduler.add_job(self._poll, IntervalTrigger(seconds=self.poll_every.total_seconds()),
                                   id="poll-feeds", replace_existing=True)
        self.scheduler.add_job(self._housekeeping, IntervalTrigger(minutes=1), id="recover", replace_existing=True)
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def schedule(self, sub) -> None:
        self.scheduler.add_job(self._fire, self.trigger_factory(sub.cron, sub.timezone), args=[sub.id],
                               id=f"digest-{sub.id}", replace_existing=True, name=f"digest {sub.channel_id}")

    def unschedule(self, sub_id: int) -> None:
        job = self.scheduler.get_job(f"digest-{sub_id}")
        if job:
            job.remove()

    async def _fire(self, sub_id: int) -> None:
        observability.job(f"digest-{sub_id}")
        sub = await self.rt.store.subscription(sub_id=sub_id)
        if sub is None:
            self.unschedule(sub_id)
            return
        if sub.paused_at is not None:
            return  # a permanent Slack error: nothing is tried until the settings change
        now = self.clock()
        slot = latest_slot(sub.cron, sub.timezone, now + timedelta(seconds=1), self.catch_up)
        if slot is None:
            return
        late = now - slot > timedelta(minutes=5)
        outcome = await self.poster.run_slot(sub.id, slot, catching_up=late)
        log.info("digest %s slot %s: %s", sub.channel_id, slot_key(slot, sub.timezone), outcome)

    async def catch_up_subscription(self, sub) -> None:
        """After downtime: the latest missed slot within the bound is sent once; older ones recorded skipped."""
        if sub.paused_at is not None:
            return
        now = self.clock()
        created = sub.created_at if sub.created_at.tzinfo else sub.created_at.replace(tzinfo=now.tzinfo)
        done = await self.rt.store.slot_keys(sub.id)
        missed = [t for t in fire_times(sub.cron, sub.timezone, max(created, now - timedelta(days=7)), now, limit=200)
                  if slot_key(t, sub.timezone) not in done]
        if not missed:
            return
        latest = missed[-1]
        for t in missed[:-1] + ([latest] if now - latest > self.catch_up else []):
            await self.rt.store.claim_slot(sub, slot_key(t, sub.timezone), t, f"skip-{sub.id}-{t.timestamp():.0f}",
                                           state="skipped", note="missed while the bot was down")
            observability.digest_outcome("skipped", "missed")
        if now - latest <= self.catch_up:
            await self.poster.run_slot(sub.id, latest, catching_up=True)

    async def _housekeeping(self) -> None:
        observability.job("recover")
        await self.poster.recover()
        await watch.alerter(self.rt).recover()
        await self.rt.store.prune_events()

    async def _poll(self) -> None:
        from briefings.intake.ingest import Ingestor

        observability.job("poll-feeds")
        try:
            report = await Ingestor(self.rt.store, self.rt.fetcher).run()
        except Exception:
            observability.FEED_POLL_FAILURES.inc()
            raise
        observability.feed_poll_report(report)
        log.info("polled %d feeds: %d new articles", len(report.feeds), report.new_articles)
        await watch.alerter(self.rt).run()  # watchlists: one alert per channel for what this poll stored
