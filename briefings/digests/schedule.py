"""Digest schedules: parsing what a user types, and the slots a schedule fires at.

A *slot* is identified by its local wall-clock time in the schedule's timezone (``2025-11-02T01:30``), not by
a UTC instant: on the night clocks go back, 01:30 happens twice but is one slot, so one digest; on the night
clocks go forward, a 02:30 that does not exist fires once at 03:30 (APScheduler's cron behaviour) and is
still one slot.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

DAYS = {"mon": "mon", "monday": "mon", "tue": "tue", "tues": "tue", "tuesday": "tue", "wed": "wed",
        "wednesday": "wed", "thu": "thu", "thur": "thu", "thurs": "thu", "thursday": "thu", "fri": "fri",
        "friday": "fri", "sat": "sat", "saturday": "sat", "sun": "sun", "sunday": "sun"}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)$")


class ScheduleError(ValueError):
    """A schedule the user typed that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Schedule:
    cron: str  # five-field crontab, in ``timezone``
    timezone: str | None  # None: use the user's Slack timezone
    text: str  # how to show it: "daily 08:00", "weekly mon 09:00", "cron 0 8 * * 1-5"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"“{name}” is not a timezone I know; use a name like Europe/Oslo or America/New_York.") \
            from exc


def _time(value: str) -> tuple[int, int]:
    m = _TIME.match(value.strip())
    if not m:
        raise ScheduleError(f"“{value}” is not a time; use 24-hour HH:MM, e.g. 08:00 or 17:30.")
    return int(m.group(1)), int(m.group(2))


def parse_schedule(args: str) -> Schedule:
    """``daily 08:00 [tz]``, ``weekly mon 09:00 [tz]``, ``weekdays 07:30 [tz]``, ``cron "<expr>" [tz]``."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise ScheduleError("unbalanced quotes; write the cron expression in double quotes.") from exc
    if not words:
        raise ScheduleError("say when: daily 08:00, weekly mon 09:00, weekdays 07:30 or cron \"0 8 * * 1-5\".")
    kind = words[0].lower()
    if kind in ("daily", "weekdays"):
        if len(words) < 2:
            raise ScheduleError(f"`{kind}` needs a time, e.g. `digest {kind} 08:00`.")
        h, m = _time(words[1])
        tz = words[2] if len(words) > 2 else None
        dow = "*" if kind == "daily" else "mon-fri"
        cron, text = f"{m} {h} * * {dow}", f"{kind} {h:02d}:{m:02d}"
    elif kind == "weekly":
        if len(words) < 3 or words[1].lower() not in DAYS:
            raise ScheduleError("`weekly` needs a day and a time, e.g. `digest weekly mon 09:00`.")
        h, m = _time(words[2])
        day = DAYS[words[1].lower()]
        tz = words[3] if len(words) > 3 else None
        cron, text = f"{m} {h} * * {day}", f"weekly {day} {h:02d}:{m:02d}"
    elif kind == "cron":
        if len(words) < 2:
            raise ScheduleError("`cron` needs an expression in quotes, e.g. `digest cron \"0 8 * * 1-5\"`.")
        cron = " ".join(words[1].split())
        if len(cron.split()) != 5:
            raise ScheduleError("a cron expression has five fields: minute hour day month weekday.")
        tz = words[2] if len(words) > 2 else None
        try:
            CronTrigger.from_crontab(to_apscheduler(cron), timezone="UTC")
        except ValueError as exc:
            raise ScheduleError(f"“{cron}” is not a valid cron expression ({exc}).") from exc
        text = f"cron {cron}"
    else:
        raise ScheduleError(f"“{words[0]}” is not a schedule; use daily, weekly, weekdays or cron.")
    if tz is not None:
        zone(tz)
    extra = words[(3 if kind in ("daily", "weekdays", "cron") else 4):]
    if extra:
        raise ScheduleError(f"I don't understand “{' '.join(extra)}” after the schedule.")
    return Schedule(cron, tz, text)


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


_STD_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # standard cron: 0 (and 7) = Sunday


def _day(value: str) -> int:
    v = value.strip().lower()
    if v.isdigit() and int(v) <= 7:
        return int(v) % 7
    if v in DAYS:
        return _STD_DAYS.index(DAYS[v])
    raise ValueError(f"“{value}” is not a weekday (0-7 or sun-sat)")


def standard_day_of_week(field: str) -> str:
    """A crontab weekday field, numbered as standard cron does (0 and 7 = Sunday, 1-5 = Monday-Friday, names
    allowed, ranges, lists and steps), as the explicit day names APScheduler reads unambiguously (its own
    numbers start at Monday = 0, so ``1-5`` would have meant Tuesday-Saturday)."""
    if field.strip() in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step_s = part.partition("/")
        step = int(step_s) if step_s else 1
        if step < 1 or (step_s and not step_s.isdigit()):
            raise ValueError(f"“{part}” has a bad step")
        if rng in ("*", "?"):
            first, last = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            first, last = _day(a), _day(b)
            if last < first:  # 5-7, fri-sun: through Sunday (and sat-mon wraps round the week)
                last += 7
        else:
            first = _day(rng)
            last = 6 if step_s else first  # "1/2": from Monday, every other day
        days.update(d % 7 for d in range(first, last + 1, step))
    if not days:
        raise ValueError(f"“{field}” names no weekday")
    return ",".join(_STD_DAYS[d] for d in sorted(days))


def to_apscheduler(cron: str) -> str:
    """A standard five-field crontab with its weekday field rewritten for APScheduler (see above)."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError("a cron expression has five fields: minute hour day month weekday")
    fields[4] = standard_day_of_week(fields[4])
    return " ".join(fields)


def trigger(cron: str, tz: str) -> SafeCronTrigger:
    base = CronTrigger.from_crontab(to_apscheduler(cron), timezone=zone(tz))
    t = SafeCronTrigger.__new__(SafeCronTrigger)
    t.__setstate__(base.__getstate__())
    return t


def slot_key(when: datetime, tz: str) -> str:
    """The slot's identity: local wall-clock minute in the schedule's timezone."""
    return when.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


def fire_times(cron: str, tz: str, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
    """Fire times in (start, end], one per slot (DST folds collapsed), oldest first."""
    t = trigger(cron, tz)
    out: list[datetime] = []
    seen: set[str] = set()
    prev = None
    now = start + timedelta(seconds=1)
    for _ in range(limit * 2):
        nxt = t.get_next_fire_time(prev, now)
        if nxt is None or nxt > end:
            break
        key = slot_key(nxt, tz)
        if key not in seen:
            seen.add(key)
            out.append(nxt)
            if len(out) >= limit:
                break
        prev, now = nxt, nxt + timedelta(seconds=1)
    return out


def latest_slot(cron: str, tz: str, now: datetime, lookback: timedelta) -> datetime | None:
    """The most recent fire time at or before ``now`` within ``lookback``."""
    times = fire_times(cron, tz, now - lookback, now)
    return times[-1] if times else None


def next_slot(cron: str, tz: str, now: datetime) -> datetime | None:
    return trigger(cron, tz).get_next_fire_time(None, now)
