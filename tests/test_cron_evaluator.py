"""The engine's own cron evaluator (briefings.digests.schedule, plain datetime/zoneinfo) fires at the same slots
as the bot's APScheduler trigger (bot.digests.scheduler.SafeCronTrigger), over a year and across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.digests.scheduler import trigger
from briefings.digests.schedule import CronSpec, ScheduleError, fire_times, next_slot, parse_schedule, slot_key

CRONS = ["0 8 * * *", "30 7 * * mon-fri", "0 9 * * mon", "0 */6 * * *", "15,45 9-17/4 * * *", "0 8 * * 1-5",
         "30 2 * * *", "30 1 * * *", "0 2 * * *", "0 3 1,15 * 0", "0 12 * jan-mar,dec sat-mon", "*/20 2 * * 0"]
ZONES = ["Europe/Oslo", "America/New_York", "Australia/Sydney", "UTC"]
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)


def apscheduler_slots(cron: str, tz: str, start: datetime, end: datetime) -> list[str]:
    """The slots APScheduler's trigger fires at in (start, end], one per slot."""
    t = trigger(cron, tz)
    keys: list[str] = []
    prev, now = None, start + timedelta(seconds=1)
    while True:
        nxt = t.get_next_fire_time(prev, now)
        if nxt is None or nxt > end:
            return keys
        if slot_key(nxt, tz) not in keys[-3:]:
            keys.append(slot_key(nxt, tz))
        prev, now = nxt, nxt + timedelta(seconds=1)


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("cron", CRONS)
def test_evaluator_fires_at_apschedulers_slots_for_a_year(cron, tz):
    ours = [slot_key(t, tz) for t in fire_times(cron, tz, START, END, limit=10_000)]
    assert ours == apscheduler_slots(cron, tz, START, END)
    assert len(ours) == len(set(ours)) and ours  # one fire per slot, and it fires at all


def test_gap_maps_forward_and_fold_fires_once():
    spring = fire_times("30 2 * * *", "Europe/Oslo", datetime(2025, 3, 29, 12, tzinfo=UTC),
                        datetime(2025, 3, 30, 12, tzinfo=UTC))
    assert [slot_key(t, "Europe/Oslo") for t in spring] == ["2025-03-30T03:30"]  # 02:30 does not exist
    fall = fire_times("30 2 * * *", "Europe/Oslo", datetime(2025, 10, 25, 12, tzinfo=UTC),
                      datetime(2025, 10, 26, 12, tzinfo=UTC))
    assert [t.astimezone(UTC).strftime("%H:%M") for t in fall] == ["00:30"]  # first of the two 02:30s only


def test_day_and_weekday_must_both_match():
    # the 13th that is a Friday (APScheduler's reading), not every 13th plus every Friday (classic cron's)
    hits = fire_times("0 9 13 * 5", "UTC", START, END)
    assert [t.strftime("%Y-%m-%d") for t in hits] == ["2025-06-13"]


def test_next_slot_includes_now_and_is_none_for_a_date_that_never_comes():
    at = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    assert next_slot("0 8 * * *", "UTC", at) == at
    assert next_slot("0 8 30 2 *", "UTC", at) is None


@pytest.mark.parametrize("expr", ["60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *",
                                  "* * * foo *", "5-1 * * * *", "*/0 * * * *", "* * L * *", "a * * * *"])
def test_bad_fields_are_refused(expr):
    with pytest.raises(ValueError):
        CronSpec.parse(expr)
    with pytest.raises(ScheduleError):
        parse_schedule(f'cron "{expr}"')
