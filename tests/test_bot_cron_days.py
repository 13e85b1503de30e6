"""Issue 9, item 5: cron weekdays are numbered as standard cron numbers them (0 and 7 = Sunday). What is tested
is the days a schedule fires on, not its string."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from briefings.digests.schedule import ScheduleError, fire_times, next_slot, parse_schedule, zone

WEEK_START = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)  # a Sunday
WEEK_END = datetime(2025, 6, 8, 0, 0, tzinfo=UTC)  # the next Sunday, 00:00 (exclusive of its 08:00)


def fired_days(expr: str, tz: str = "UTC") -> list[str]:
    cron = parse_schedule(f'cron "{expr}" {tz}').cron
    return [t.astimezone(zone(tz)).strftime("%a") for t in fire_times(cron, tz, WEEK_START, WEEK_END)]


@pytest.mark.parametrize("expr, days", [
    ("0 8 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
    ("0 8 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
    ("0 8 * * 0", ["Sun"]),
    ("0 8 * * 7", ["Sun"]),
    ("0 8 * * 6,0", ["Sun", "Sat"]),
    ("0 8 * * 5-7", ["Sun", "Fri", "Sat"]),
    ("0 8 * * */2", ["Sun", "Tue", "Thu", "Sat"]),
    ("0 8 * * 1", ["Mon"]),
    ("0 8 * * *", ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]),
])
def test_cron_fires_on_standard_cron_days(expr, days):
    assert fired_days(expr) == days


def test_weekdays_in_a_zone_fire_monday_to_friday_local():
    # 08:00 in Auckland is the previous evening in UTC: the local day is what must be Mon-Fri
    assert fired_days("0 8 * * 1-5", "Pacific/Auckland") == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    named = parse_schedule("weekdays 08:00 UTC").cron
    assert [t.strftime("%a") for t in fire_times(named, "UTC", WEEK_START, WEEK_END)] == \
        ["Mon", "Tue", "Wed", "Thu", "Fri"]


def test_next_run_after_friday_is_monday():
    friday_evening = datetime(2025, 6, 6, 18, 0, tzinfo=UTC)
    assert next_slot("0 8 * * 1-5", "UTC", friday_evening).strftime("%a %H:%M") == "Mon 08:00"
    assert next_slot("0 8 * * 0", "UTC", friday_evening).strftime("%a") == "Sun"


@pytest.mark.parametrize("expr", ["0 8 * * 8", "0 8 * * funday", "0 8 * * 1-5/0"])
def test_bad_weekdays_are_plain_errors(expr):
    with pytest.raises(ScheduleError):
        parse_schedule(f'cron "{expr}"')
