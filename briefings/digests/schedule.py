"""Digest schedules: parsing what a user types, and the slots a schedule fires at.

A *slot* is identified by its local wall-clock time in the schedule's timezone (``2025-11-02T01:30``), not by
a UTC instant: on the night clocks go back, 01:30 happens twice but is one slot, so one digest; on the night
clocks go forward, a 02:30 that does not exist fires once at 03:30 (APScheduler's cron behaviour) and is
still one slot.

The cron evaluator here is plain datetime/zoneinfo (the engine does not depend on APScheduler); the bot's
APScheduler trigger (``bot.digests.scheduler``) fires at the same slots, which a test checks over a year.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
        _spec(cron)
        text = f"cron {cron}"
    else:
        raise ScheduleError(f"“{words[0]}” is not a schedule; use daily, weekly, weekdays or cron.")
    if tz is not None:
        zone(tz)
    extra = words[(3 if kind in ("daily", "weekdays", "cron") else 4):]
    if extra:
        raise ScheduleError(f"I don't understand “{' '.join(extra)}” after the schedule.")
    return Schedule(cron, tz, text)


_STD_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # standard cron: 0 (and 7) = Sunday
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _day(value: str) -> int:
    v = value.strip().lower()
    if v.isdigit() and int(v) <= 7:
        return int(v) % 7
    if v in DAYS:
        return _STD_DAYS.index(DAYS[v])
    raise ValueError(f"“{value}” is not a weekday (0-7 or sun-sat)")


def _step(part: str) -> tuple[str, int, bool]:
    """``"1-5/2"`` -> ("1-5", 2, True); a missing step is 1."""
    rng, _, step_s = part.partition("/")
    if step_s and not step_s.isdigit():
        raise ValueError(f"“{part}” has a bad step")
    step = int(step_s) if step_s else 1
    if step < 1:
        raise ValueError(f"“{part}” has a bad step")
    return rng, step, bool(step_s)


def weekday_numbers(field: str) -> set[int]:
    """A crontab weekday field as standard cron numbers it (0 and 7 = Sunday, 1-5 = Monday-Friday), names
    allowed, with ranges, lists and steps; a range may run through Sunday (5-7, fri-sun, sat-mon)."""
    if field.strip() in ("*", "?"):
        return set(range(7))
    days: set[int] = set()
    for part in field.split(","):
        rng, step, stepped = _step(part)
        if rng in ("*", "?"):
            first, last = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            first, last = _day(a), _day(b)
            if last < first:  # 5-7, fri-sun: through Sunday (and sat-mon wraps round the week)
                last += 7
        else:
            first = _day(rng)
            last = 6 if stepped else first  # "1/2": from Monday, every other day
        days.update(d % 7 for d in range(first, last + 1, step))
    if not days:
        raise ValueError(f"“{field}” names no weekday")
    return days


def standard_day_of_week(field: str) -> str:
    """The weekday field as explicit day names (``mon,tue``), which every cron reader takes the same way."""
    days = weekday_numbers(field)
    return "*" if len(days) == 7 and field.strip() in ("*", "?") else ",".join(_STD_DAYS[d] for d in sorted(days))


def _value(text: str, low: int, high: int, names: list[str] | None) -> int:
    v = text.strip().lower()
    if names and v in names:
        return names.index(v) + low
    if not v.isdigit() or not low <= int(v) <= high:
        raise ValueError(f"“{text}” is not between {low} and {high}")
    return int(v)


def _numbers(field: str, low: int, high: int, names: list[str] | None = None) -> frozenset[int]:
    """One numeric cron field (minute, hour, day, month): ``*``, values, ``a-b`` ranges, lists, ``/step``."""
    out: set[int] = set()
    for part in field.split(","):
        rng, step, stepped = _step(part)
        if rng == "*":
            first, last = low, high
        elif "-" in rng:
            a, b = rng.split("-", 1)
            first, last = _value(a, low, high, names), _value(b, low, high, names)
            if last < first:
                raise ValueError(f"“{part}”: the range runs backwards")
        else:
            first = _value(rng, low, high, names)
            last = high if stepped else first
        out.update(range(first, last + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class CronSpec:
    """A five-field crontab, evaluated in local wall time. As in APScheduler, day of month AND weekday must
    both match (classic cron matches either when both are restricted)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, cron: str) -> CronSpec:
        fields = cron.split()
        if len(fields) != 5:
            raise ValueError("a cron expression has five fields: minute hour day month weekday")
        minute, hour, day, month, weekday = fields
        return cls(_numbers(minute, 0, 59), _numbers(hour, 0, 23), _numbers(day.replace("?", "*"), 1, 31),
                   _numbers(month, 1, 12, _MONTHS), frozenset(weekday_numbers(weekday)))

    def matches_day(self, d: date) -> bool:
        return d.month in self.months and d.day in self.days and (d.weekday() + 1) % 7 in self.weekdays

    def times_on(self, d: date, tz: ZoneInfo) -> list[datetime]:
        """The instants this cron fires on local date ``d``, oldest first, one per wall-clock slot.

        A local time in a spring-forward gap is read with the offset before the change (02:30 -> 03:30, as
        zoneinfo's fold=0 does); once it has fired, the search goes on from the wall time it fired at, so the
        rest of the gap (02:40 -> 03:40) is passed over, as APScheduler does. A local time in a fall-back
        fold is its first occurrence only, so it fires once."""
        if not self.matches_day(d):
            return []
        out: list[datetime] = []
        last_wall: datetime | None = None
        for h in sorted(self.hours):
            for m in sorted(self.minutes):
                wall = datetime(d.year, d.month, d.day, h, m)
                if last_wall is not None and wall <= last_wall:
                    continue
                instant = wall.replace(tzinfo=tz).astimezone(UTC)
                out.append(instant)
                last_wall = instant.astimezone(tz).replace(tzinfo=None)
        return out


def _spec(cron: str) -> CronSpec:
    try:
        return CronSpec.parse(cron)
    except ValueError as exc:
        raise ScheduleError(f"“{cron}” is not a valid cron expression ({exc}).") from exc


def _fires_from(spec: CronSpec, tz: ZoneInfo, first_day: date, days: int) -> Iterator[datetime]:
    for n in range(days):
        yield from spec.times_on(first_day + timedelta(days=n), tz)


def slot_key(when: datetime, tz: str) -> str:
    """The slot's identity: local wall-clock minute in the schedule's timezone. Read through UTC, so a
    nonexistent local time (02:30 on the spring-forward night, as APScheduler hands it over) is the wall time
    it really is (03:30)."""
    return when.astimezone(UTC).astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


def fire_times(cron: str, tz: str, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
    """Fire times in (start, end], one per slot (DST folds collapsed), oldest first."""
    z, spec = zone(tz), _spec(cron)
    first_day = start.astimezone(z).date() - timedelta(days=1)
    days = (end.astimezone(z).date() - first_day).days + 2
    out: list[datetime] = []
    seen: set[str] = set()
    for t in _fires_from(spec, z, first_day, days):
        key = slot_key(t, tz)
        if start < t <= end and key not in seen:
            seen.add(key)
            out.append(t)
            if len(out) >= limit:
                break
    return out


def latest_slot(cron: str, tz: str, now: datetime, lookback: timedelta) -> datetime | None:
    """The most recent fire time at or before ``now`` within ``lookback``."""
    times = fire_times(cron, tz, now - lookback, now)
    return times[-1] if times else None


_HORIZON_DAYS = 366 * 28  # a weekday-and-date cron such as "0 0 29 2 1" repeats within 28 years


def next_slot(cron: str, tz: str, now: datetime) -> datetime | None:
    """The first fire time at or after ``now`` (None for a cron that never fires, e.g. 30 February)."""
    z, spec = zone(tz), _spec(cron)
    first_day = now.astimezone(z).date() - timedelta(days=1)
    return next((t for t in _fires_from(spec, z, first_day, _HORIZON_DAYS) if t >= now), None)
