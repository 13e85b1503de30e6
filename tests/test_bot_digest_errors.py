"""Issue 9, item 2: digests in a channel the bot cannot post to. A permanent Slack error pauses the
subscription once, records why, shows it in App Home and `/launchbrief digest`, and nothing is retried until
the settings change; a transient error keeps its claim for a later retry."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.home import home_view
from bot.digests.scheduler import DigestScheduler

from .slack_client import FORM, command_body, post
from .test_digest import add_stories


async def _cmd(bot, slack, text, name, channel):  # noqa: F811
    await post(bot.http, bot.url, command_body(text, slack.response_url(name), channel_id=channel), FORM)
    return (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == name]))[0]


def _posts(slack, channel):  # noqa: F811
    return [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == channel]


async def test_not_in_channel_pauses_once_warns_and_stops_retrying(bot, slack):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "CGONE", cron="* * * * *", timezone="UTC", text="every minute")
    slack.fail[("chat.postMessage", "CGONE")] = "not_in_channel"
    # the job fires every 0.3 s and recovery runs with no lease: a retry storm would show as many calls
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.01,
                            trigger_factory=lambda cron, tz: IntervalTrigger(seconds=0.3))
    await sched.start()
    try:
        await slack.wait_for(lambda: _posts(slack, "CGONE"))
        for _ in range(5):
            await asyncio.sleep(0.3)
            await sched.poster.recover(lease=timedelta(0))
    finally:
        sched.shutdown()
    assert len(_posts(slack, "CGONE")) == 1  # one attempt, no retry storm
    sub = await rt.store.subscription(sub_id=sub.id)
    assert sub.paused_at is not None and sub.last_error.startswith("not_in_channel")
    rows = await rt.store.ledger(sub.id)
    assert [r.state for r in rows] == ["failed"]  # one recorded error, no claim left for recovery
    home = json.dumps(await home_view(rt, "T1"))
    assert "paused" in home and "not_in_channel" in home and "/invite @launchbrief" in home
    shown = await _cmd(bot, slack, "digest", "show", "CGONE")
    assert "Paused" in json.dumps(shown["blocks"]) and "not_in_channel" in json.dumps(shown["blocks"])
    now = await _cmd(bot, slack, "digest now", "now", "CGONE")
    assert "paused" in now["text"] and len(_posts(slack, "CGONE")) == 1  # still not retried

    # the user fixes it (invites the bot) and changes the settings: the digest resumes
    del slack.fail[("chat.postMessage", "CGONE")]
    assert "Digest set" in (await _cmd(bot, slack, "digest daily 08:00 UTC", "set", "CGONE"))["text"]
    sub = await rt.store.subscription(sub_id=sub.id)
    assert sub.paused_at is None and sub.last_error is None
    assert (await _cmd(bot, slack, "digest now", "now2", "CGONE"))["text"] == "Digest posted."
    assert len(slack.top_level("CGONE")) == 1


@pytest.mark.parametrize("error", ["missing_scope", "channel_not_found", "is_archived"])
async def test_each_permanent_error_pauses(bot, slack, error):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "CERR", cron="0 8 * * *", timezone="UTC", text="daily 08:00")
    slack.fail[("chat.postMessage", "CERR")] = error
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.01)
    assert await sched.poster.run_slot(sub.id, datetime.now(UTC), key="a") == "failed"
    assert await sched.poster.run_slot(sub.id, datetime.now(UTC), key="b") == "paused"
    assert len(_posts(slack, "CERR")) == 1
    assert (await rt.store.subscription(sub_id=sub.id)).last_error.startswith(error)


async def test_transient_error_keeps_the_claim_and_backs_off(bot, slack):  # noqa: F811
    rt = bot.rt
    await add_stories(rt.store)
    sub = await rt.store.upsert_subscription("T1", "CFLAKY", cron="0 8 * * *", timezone="UTC", text="daily")
    slack.fail[("chat.postMessage", "CFLAKY")] = "internal_error"
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.01)
    lease = timedelta(seconds=1.0)  # waits: 2 leases after the 1st failure, 4 after the 2nd (margins for load)
    assert await sched.poster.run_slot(sub.id, datetime.now(UTC), key="t") == "retry"
    sub = await rt.store.subscription(sub_id=sub.id)
    assert sub.paused_at is None and sub.last_error is None  # transient: not paused
    assert await sched.poster.recover(lease) == 0  # within the lease: not yet
    await asyncio.sleep(1.2)
    assert await sched.poster.recover(lease) == 0 and len(_posts(slack, "CFLAKY")) == 1  # backing off: 2 leases
    await asyncio.sleep(1.0)
    assert await sched.poster.recover(lease) == 0 and len(_posts(slack, "CFLAKY")) == 2  # retried, failed again
    del slack.fail[("chat.postMessage", "CFLAKY")]
    await asyncio.sleep(2.5)
    assert await sched.poster.recover(lease) == 0  # now 4 leases after the second failure
    await asyncio.sleep(1.7)
    assert await sched.poster.recover(lease) == 1
    assert len(slack.top_level("CFLAKY")) == 1 and [r.state for r in await rt.store.ledger(sub.id)] == ["posted"]


async def test_recovery_meeting_a_permanent_error_pauses_instead_of_raising(bot, slack):  # noqa: F811
    rt = bot.rt
    sub = await rt.store.upsert_subscription("T1", "CLOST", cron="0 8 * * *", timezone="UTC", text="daily")
    row = await rt.store.claim_slot(sub, "2025-06-01T08:00", datetime.now(UTC), "run-lost")  # a crash left it
    assert row is not None
    slack.fail["conversations.history"] = "channel_not_found"
    sched = DigestScheduler(rt, poll_every=timedelta(0), pace=0.01)
    assert await sched.poster.recover(timedelta(0)) == 0
    assert (await rt.store.subscription(sub_id=sub.id)).paused_at is not None
    assert [r.state for r in await rt.store.ledger(sub.id)] == ["failed"]
    assert await sched.poster.recover(timedelta(0)) == 0 and len(slack.calls_to("conversations.history")) == 1


async def test_setup_checks_membership(bot, slack):  # noqa: F811
    slack.channels["CPRIV"] = {"is_member": False, "is_private": True}
    refused = await _cmd(bot, slack, "digest daily 08:00 UTC", "p", "CPRIV")
    assert "/invite @launchbrief" in refused["text"] and "Digest set" not in refused["text"]
    assert await bot.rt.store.subscription(channel_id="CPRIV") is None

    slack.fail[("conversations.info", "CHIDDEN")] = "channel_not_found"
    refused = await _cmd(bot, slack, "digest daily 08:00 UTC", "h", "CHIDDEN")
    assert "/invite @launchbrief" in refused["text"]
    assert await bot.rt.store.subscription(channel_id="CHIDDEN") is None

    slack.channels["CPUB"] = {"is_member": False, "is_private": False}
    accepted = await _cmd(bot, slack, "digest daily 08:00 UTC", "o", "CPUB")
    assert "Digest set" in accepted["text"] and "chat:write.public" in json.dumps(accepted["blocks"])

    slack.fail[("conversations.info", "CNOSCOPE")] = "missing_scope"  # no channels:read: the first post will tell
    assert "Digest set" in (await _cmd(bot, slack, "digest daily 08:00 UTC", "n", "CNOSCOPE"))["text"]


def test_manifest_has_the_scopes_digests_need():
    from pathlib import Path

    manifest = (Path(__file__).resolve().parent.parent / "deploy" / "slack-manifest.yaml").read_text(encoding="utf-8")
    for scope in ("chat:write.public", "channels:read", "groups:read"):
        assert f"- {scope} " in manifest or f"- {scope}\n" in manifest
