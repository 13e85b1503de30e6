"""Scheduled digests: parsing, DST, the slash command, a firing slot, catch-up, 429s -- exactly once."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.digests.scheduler import DigestScheduler
from briefings.engine import brief_text
from briefings.digests.schedule import ScheduleError, fire_times, parse_schedule, slot_key

from .slack_client import FORM, command_body, post

STORIES = [
    ("Rocket Lab signs launch agreement with Norway", "Rocket Lab signed a launch agreement with the Norwegian Space "
     "Agency to fly Electron from Andøya Spaceport in Norway, officials said. The partnership covers two launches "
     "next year from the Arctic spaceport."),
    ("Arianespace wins contract for Space Force launch", "Arianespace won a launch contract from the US Space Force "
     "to fly a payload on Ariane 6 from the Guiana Space Centre in Kourou, France, the company said. The award is "
     "the first of its kind for the European launch provider."),
    ("Obesity study finds shorter lives", "Adults with extreme obesity have increased risks of dying young, "
     "according to a pooled analysis of 20 studies. The study found reduced life expectancy."),
]


async def add_stories(store, stories=STORIES, prefix="s"):
    ids = []
    for i, (title, body) in enumerate(stories):
        brief = brief_text(f"{title}\n\n{body} {body}", source="t")
        from briefings.models import Article

        art = Article(url=f"https://news.example/{prefix}{i}", source="t", site_name=f"Site {i}", title=title,
                      text=f"{body} {body}")
        ids.append((await store.save(art, brief)).article_id)
    return ids


@pytest.mark.parametrize("text, cron", [
    ("daily 08:00 Europe/Oslo", "0 8 * * *"), ("weekly mon 09:00", "0 9 * * mon"),
    ("weekdays 07:30", "30 7 * * mon-fri"), ('cron "*/15 6-18 * * 1-5" UTC', "*/15 6-18 * * 1-5")])
def test_schedule_parsing(text, cron):
    assert parse_schedule(text).cron == cron


@pytest.mark.parametrize("text", ["daily", "daily 8pm", "weekly someday 09:00", 'cron "61 * * * *"',
                                  "daily 08:00 Not/AZone", "hourly", 'cron "0 8 * *"'])
def test_schedule_errors_are_helpful(text):
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text)
    assert str(info.value) and "Traceback" not in str(info.value)


def test_dst_gap_and_overlap_give_one_slot_each_day():
    tz = "America/New_York"
    fall = fire_times("30 1 * * *", tz, datetime(2025, 11, 1, 12, tzinfo=UTC), datetime(2025, 11, 3, 12, tzinfo=UTC))
    assert [slot_key(t, tz) for t in fall] == ["2025-11-02T01:30", "2025-11-03T01:30"]
    spring = fire_times("30 2 * * *", tz, datetime(2025, 3, 8, 12, tzinfo=UTC), datetime(2025, 3, 10, 12, tzinfo=UTC))
    assert len(spring) == 2 and len({slot_key(t, tz) for t in spring}) == 2
    oslo = fire_times("0 8 * * *", "Europe/Oslo", datetime(2025, 3, 29, tzinfo=UTC),
                      datetime(2025, 3, 31, 12, tzinfo=UTC))
    assert [t.astimezone(UTC).hour for t in oslo] == [7, 6, 6]  # 08:00 local across the switch to summer time


async def test_subscribe_by_slash_command_then_one_digest_fires(bot, slack):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    frozen = datetime.now(UTC)  # the job fires every 0.5 s, always for this same one-minute slot
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.05, clock=lambda: frozen,
                            trigger_factory=lambda cron, tz: IntervalTrigger(seconds=0.5))
    await sched.start()
    try:
        slack.users["U1"] = {"id": "U1", "tz": "Europe/Oslo"}
        resp, elapsed = await post(bot.http, bot.url, command_body('digest cron "* * * * *"', slack.response_url("d"),
                                                                   channel_id="CDIG"), FORM)
        assert resp.status_code == 200 and elapsed < 3
        set_msg = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d"])
        assert "Digest set" in set_msg[0]["text"] and "Europe/Oslo" in set_msg[0]["text"]  # the user's timezone
        posts = await slack.wait_for(lambda: slack.top_level("CDIG"), timeout=15)
        await asyncio.sleep(2.0)  # the job keeps firing every 0.5 s: the ledger allows one digest per slot
        posts = slack.top_level("CDIG")
        assert len(posts) == 1
        blocks = json.dumps(posts[0]["blocks"])
        assert "Launch-policy digest" in blocks
        assert "Rocket Lab signs launch agreement" in blocks and "Arianespace wins contract" in blocks
        assert "Obesity" not in blocks
        assert "Partners in the news" in blocks and ":new:" in blocks
        assert re.search(r"_partners: [^_]*\((?:partner|launch provider|launch site|host nation|launch customer|"
                         r"support / funder)\)", blocks)  # each story line names its partners with their family
        assert posts[0]["metadata"]["event_type"] == "launchbrief_digest"
        assert str(posts[0]["unfurl_links"]).lower() in ("false", "0")
        # the next digest has only what is new since this one (cursor, not clock)
        await add_stories(rt.store, LATE, prefix="late")
        sub = await rt.store.subscription(channel_id="CDIG")
        outcome = await sched.poster.run_slot(sub.id, datetime.now(UTC), key="manual-2")
        assert outcome == "posted"
        second = json.dumps(slack.top_level("CDIG")[-1]["blocks"])
        assert "Isar Aerospace" in second and "Rocket Lab signs" not in second
    finally:
        sched.shutdown()


LATE = [("Isar Aerospace launches Spectrum from Andøya", "Isar Aerospace launched its Spectrum rocket from Andøya "
         "Spaceport in Norway on its second flight, the company said, reaching orbit this time.")]


def _mentions(slack, channel, text):
    return [m for m in slack.top_level(channel) if text in json.dumps(m["blocks"])]


async def test_two_slots_at_once_post_each_story_once(bot, slack):  # noqa: F811
    """A slot firing while another run of the same channel is under way (catch-up, recovery, a fast cron)
    starts from the cursor that run leaves, not the one before it."""
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "CTWO", cron="* * * * *", timezone="UTC", text="every minute")
    poster = DigestScheduler(rt, poll_every=timedelta(0), pace=0.01).poster
    now = datetime.now(UTC)
    results = await asyncio.gather(*(poster.run_slot(sub.id, now, key=k) for k in ("a", "b", "c")))
    assert sorted(results) == ["empty", "empty", "posted"]
    assert len(_mentions(slack, "CTWO", "Rocket Lab signs")) == 1
    # a story stored just after an (empty) build is in the very next slot: no stale build is reused
    assert await poster.run_slot(sub.id, now, key="d") == "empty"
    await add_stories(rt.store, LATE, prefix="two")
    assert await poster.run_slot(sub.id, now, key="e") == "posted"
    assert len(_mentions(slack, "CTWO", "Isar Aerospace")) == 1
    assert len(_mentions(slack, "CTWO", "Rocket Lab signs")) == 1


async def test_recovery_keeps_the_cursor_the_posted_digest_reached(bot, slack, monkeypatch):  # noqa: F811
    """Posted, then the confirmation failed: recovery finds the post in the channel and moves the cursor
    only as far as that post went, so a story stored meanwhile is still in the next digest."""
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "CREC", cron="* * * * *", timezone="UTC", text="every minute")
    poster = DigestScheduler(rt, poll_every=timedelta(0), pace=0.01).poster
    real_done = rt.store.ledger_done

    async def lost_confirmation(row_id, *, state, **kw):
        if state == "posted":
            raise ConnectionError("database went away")
        return await real_done(row_id, state=state, **kw)

    monkeypatch.setattr(rt.store, "ledger_done", lost_confirmation)
    assert await poster.run_slot(sub.id, datetime.now(UTC), key="first") == "retry"
    monkeypatch.setattr(rt.store, "ledger_done", real_done)
    assert len(_mentions(slack, "CREC", "Rocket Lab signs")) == 1
    await add_stories(rt.store, LATE, prefix="rec")  # stored after the post, before recovery
    assert await poster.recover(lease=timedelta(0)) == 1
    rows = {r.slot_key: r for r in await rt.store.ledger(sub.id)}
    assert rows["first"].state == "posted" and "channel history" in (rows["first"].note or "")
    assert await poster.run_slot(sub.id, datetime.now(UTC), key="second") == "posted"
    assert len(_mentions(slack, "CREC", "Isar Aerospace")) == 1
    assert len(_mentions(slack, "CREC", "Rocket Lab signs")) == 1


async def test_digest_settings_commands(bot, slack):  # noqa: F811
    async def cmd(text, name):
        await post(bot.http, bot.url, command_body(text, slack.response_url(name), channel_id="CSET"), FORM)
        return (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == name]))[0]

    assert "no digest" in (await cmd("digest", "a"))["text"].lower()
    assert "not a time" in (await cmd("digest daily 25:99", "b"))["text"]
    assert "Digest set" in (await cmd("digest weekly mon 09:00 America/New_York", "c"))["text"]
    shown = await cmd("digest", "d")
    assert "weekly mon 09:00" in json.dumps(shown["blocks"]) and "Mon" in json.dumps(shown["blocks"])
    filtered = await cmd("digest filter Norway, Rocket Lab", "e")
    assert "only includes" in json.dumps(filtered["blocks"]) and "Rocket Lab" in json.dumps(filtered["blocks"])
    sub = await bot.rt.store.subscription(channel_id="CSET")
    assert sub.filters == {"terms": ["Norway", "Rocket Lab"]}
    assert (await cmd("digest now", "f"))["text"] == "Nothing new since the last digest."
    assert "turned off" in json.dumps((await cmd("digest off", "g"))["blocks"])
    assert await bot.rt.store.subscription(channel_id="CSET") is None


async def test_catch_up_after_downtime_sends_once_and_records_older_as_skipped(bot, slack):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "CUP", cron="0 * * * *", timezone="UTC", text="hourly")
    await rt.store.update_subscription(sub.id, created_at=datetime.now(UTC) - timedelta(hours=5), cursor_article_id=0)
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.05, catch_up=timedelta(hours=12))
    await sched.start()
    try:
        posts = await slack.wait_for(lambda: slack.top_level("CUP"))
        assert len(posts) == 1 and "catching up" in json.dumps(posts[0]["blocks"])
        rows = await rt.store.ledger(sub.id)
        states = sorted(r.state for r in rows)
        assert states.count("posted") == 1 and states.count("skipped") >= 3
        # a second start (restart) sends nothing more
        sched.shutdown()
        sched2 = DigestScheduler(rt, poll_every=timedelta(0), pace=0.05)
        await sched2.start()
        await asyncio.sleep(0.5)
        sched2.shutdown()
        assert len(slack.top_level("CUP")) == 1
    finally:
        sched.shutdown()


async def test_missed_slot_older_than_the_bound_is_skipped_not_sent(bot, slack):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "COLD", cron="0 6 * * *", timezone="UTC", text="daily 06:00")
    now = datetime.now(UTC)
    await rt.store.update_subscription(sub.id, created_at=now - timedelta(days=3))
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.05, catch_up=timedelta(minutes=1),
                            clock=lambda: now.replace(hour=12, minute=0) if now.hour >= 12 else now)
    await sched.start()
    sched.shutdown()
    await asyncio.sleep(0.3)
    assert slack.top_level("COLD") == []
    rows = await rt.store.ledger(sub.id)
    assert rows and all(r.state == "skipped" for r in rows)


async def test_429_storm_delays_but_neither_loses_nor_duplicates(bot, slack):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    subs = []
    for ch in ("C429a", "C429b", "C429c"):
        subs.append(await rt.store.upsert_subscription("T1", ch, cron="0 8 * * *", timezone="UTC", text="daily"))
    slack.rate_limit["chat.postMessage"] = [1, 1, 1, 1]
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.05)
    t0 = asyncio.get_running_loop().time()
    results = await asyncio.gather(*(sched.poster.run_slot(s.id, datetime.now(UTC), key="storm") for s in subs))
    elapsed = asyncio.get_running_loop().time() - t0
    assert results == ["posted"] * 3
    assert elapsed >= 1.0  # waited out Retry-After
    for ch in ("C429a", "C429b", "C429c"):
        assert len(slack.top_level(ch)) == 1
    # and the same slot again: already claimed, nothing posted
    again = await asyncio.gather(*(sched.poster.run_slot(s.id, datetime.now(UTC), key="storm") for s in subs))
    assert again == ["already"] * 3


async def test_cli_mirrors_subscriptions(tmp_path):
    from briefings.store.repo import Store

    from .test_cli import assert_plain_error, run

    db_url = f"sqlite+aiosqlite:///{tmp_path / 'cli-digest.sqlite3'}"
    store = await Store.open(db_url)
    await add_stories(store)
    sub = await store.upsert_subscription("T1", "CCLI", cron="0 8 * * *", timezone="Europe/Oslo", text="daily 08:00")
    await store.update_subscription(sub.id, cursor_article_id=0)
    await store.close()
    env = {"DATABASE_URL": db_url}
    listed = json.loads(run("digest", "list", "--json", env=env).stdout)
    assert listed[0]["channel"] == "CCLI" and listed[0]["next_run"].endswith(("+01:00", "+02:00"))
    preview = json.loads(run("digest", "preview", "--channel", "CCLI", "--json", env=env).stdout)
    titles = [s["title"] for group in preview["groups"].values() for s in group]
    assert "Rocket Lab signs launch agreement with Norway" in titles and len(titles) == 2
    assert_plain_error(run("digest", "preview", "--channel", "CNONE", env=env), "no digest subscription")
