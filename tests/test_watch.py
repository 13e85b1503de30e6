"""Watchlists (issue 13): set through signed slash commands, alerted after a poll through the Slack double --
a partner, not a passing mention; once across restarts; several matches in one poll make one message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sqlalchemy import update

from bot.digests.scheduler import DigestScheduler
from bot.watch import WatchAlerter
from briefings.models import Brief, Partner, Relevance
from briefings.store import models as m
from briefings.store import watches as ws
from briefings.watch import WatchError, match, parse_terms

from .slack_client import FORM, JSON, action_body, command_body, event_body, post
from .test_digest import add_stories

NORWAY_PARTNER = ("Rocket Lab signs launch agreement with Norway", "Rocket Lab signed a launch agreement with the "
                  "Norwegian Space Agency to fly Electron from Andøya Spaceport in Norway, officials said. The "
                  "partnership covers two launches next year from the Arctic spaceport.")
NORWAY_IN_PASSING = ("Arianespace wins contract for Space Force launch", "Arianespace won a launch contract from "
                     "the US Space Force to fly a payload on Ariane 6 from the Guiana Space Centre in Kourou, France, "
                     "the company said. The award follows a ski trip the chief executive took in Norway last "
                     "winter, where he spoke about weather.")
ISAR = ("Isar Aerospace launches Spectrum from Andøya", "Isar Aerospace launched its Spectrum rocket from Andøya "
        "Spaceport in Norway on its second flight, the company said, reaching orbit this time. Norway hosts the "
        "range under a technology safeguards agreement.")


async def command(bot, slack, text, name, channel="CW", user="U1"):  # noqa: F811
    resp, elapsed = await post(bot.http, bot.url, command_body(text, slack.response_url(name), channel_id=channel,
                                                               user_id=user), FORM)
    assert resp.status_code == 200 and elapsed < 3
    return (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == name]))[0]


def scheduler(rt):
    return DigestScheduler(rt, poll_every=timedelta(0), pace=0.01)


def test_terms_resolve_through_the_kb_and_bad_ones_are_plain_errors():
    terms = parse_terms('Japan Space Force event:contract award "safeguards agreement"')
    assert [(t.kind, t.value) for t in terms] == [("partner", "Japan"), ("partner", "US Space Force"),
                                                  ("event", "contract award"), ("phrase", "safeguards agreement")]
    andoya = parse_terms("Andoya")[0]  # an alias, without the ø
    assert andoya.value == "Andøya Spaceport" and "Andøya Space" in andoya.names  # its operator counts too
    for bad in ("Atlantis", "event:party", '""', ""):
        with pytest.raises(WatchError):
            parse_terms(bad)
    brief = Brief(title=None, source="t", url=None, published=None, language="en", tldr=None, summary=[],
                  partners=[Partner(name="Norway", kind="country", role="host nation", evidence=[])], quotes=[],
                  people=[], relevance=Relevance(label="launch-policy", score=1.0), event_types=["spaceport"],
                  word_count=0, sentence_count=0, engine_version="t")
    assert match(parse_terms("Norway event:spaceport"), brief, set()).reasons == ["Norway as host nation",
                                                                                  "event: spaceport"]
    assert match(parse_terms("Norway event:contract_award"), brief, set()) is None  # terms AND together


async def test_partner_watch_alerts_once_for_a_partner_not_a_passing_mention(bot, slack):  # noqa: F811
    rt = bot.rt
    set_msg = await command(bot, slack, "watch Norway", "w1")
    assert "Watching" in set_msg["text"] and "Norway" in set_msg["text"]
    await add_stories(rt.store, [NORWAY_IN_PASSING], prefix="passing")
    sched = scheduler(rt)
    await sched._poll()  # the poll job: ingest (no feeds here), then watchlists
    assert slack.top_level("CW") == []  # Norway named only in passing: no alert
    await add_stories(rt.store, [NORWAY_PARTNER], prefix="partner")
    await sched._poll()
    posts = slack.top_level("CW")
    assert len(posts) == 1
    blocks = json.dumps(posts[0]["blocks"], ensure_ascii=False)
    assert "Rocket Lab signs launch agreement with Norway" in blocks and "_Norway_: Norway as " in blocks
    assert "Arianespace" not in blocks
    assert posts[0]["metadata"]["event_type"] == "launchbrief_watch"
    button = [b["accessory"] for b in posts[0]["blocks"] if b.get("accessory")][0]
    assert button["text"]["text"] == "Brief"
    # the Brief button answers with the full brief
    await post(bot.http, bot.url, action_body(button["action_id"], button["value"], slack.response_url("b")), FORM)
    brief = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "b"])
    assert "TL;DR" in json.dumps(brief[0]["blocks"])
    await sched._poll()
    assert len(slack.top_level("CW")) == 1  # nothing new: no second alert

    # a restart (a new scheduler and alerter, cursors forced back) does not re-alert: the ledger holds
    sched2 = scheduler(rt)
    rt._watch_alerter = WatchAlerter(rt)
    async with rt.store.session() as s, s.begin():
        await s.execute(update(m.Watch).values(cursor_article_id=0))
    await sched2._poll()
    assert len(slack.top_level("CW")) == 1
    rows = await ws.alerts(rt.store)
    assert [r.state for r in rows] == ["posted"]

    listed = await command(bot, slack, "watch list", "l")
    assert "Norway" in json.dumps(listed["blocks"]) and "last alert" in json.dumps(listed["blocks"])

    # App Home lists the workspace's watches with their last alert
    event = {"type": "app_home_opened", "user": "U2", "channel": "D2", "tab": "home", "event_ts": "6.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-home-watch"), JSON)
    [home] = await slack.wait_for(lambda: slack.calls_to("views.publish"))
    text = json.dumps(home.params["view"]["blocks"])
    assert "*Watches*" in text and "Norway" in text and "<#CW>" in text and "last alert 20" in text


async def test_two_matches_in_one_poll_make_one_message_and_dm_watches_go_to_the_user(bot, slack):  # noqa: F811
    rt = bot.rt
    await command(bot, slack, "watch Andøya", "a")
    await command(bot, slack, 'watch "safeguards agreement"', "p")
    await command(bot, slack, "watch me Rocket Lab", "me", user="U7")
    await add_stories(rt.store, [NORWAY_PARTNER, ISAR, NORWAY_IN_PASSING], prefix="two")
    await scheduler(rt)._poll()
    posts = slack.top_level("CW")
    assert len(posts) == 1  # one message for everything that matched in this poll
    blocks = json.dumps(posts[0]["blocks"], ensure_ascii=False)
    assert "Rocket Lab signs launch agreement" in blocks and "Isar Aerospace launches" in blocks
    assert "mentions “safeguards agreement”" in blocks and "Arianespace" not in blocks
    assert "2 new stories" in blocks
    dm = slack.top_level("U7")
    assert len(dm) == 1 and "Rocket Lab signs" in json.dumps(dm[0]["blocks"])
    assert not slack.errors


async def test_watch_commands_list_remove_pause_and_errors(bot, slack):  # noqa: F811
    rt = bot.rt
    assert "not a partner I know" in (await command(bot, slack, "watch Atlantis", "e"))["text"]
    await command(bot, slack, "watch Norway event:partnership/agreement", "s")
    await command(bot, slack, "watch pause", "pa")
    [w] = await ws.watches(rt.store)
    assert w.paused_at is not None and w.label == "Norway + event:partnership/agreement"
    await add_stories(rt.store, [NORWAY_PARTNER], prefix="paused")
    await scheduler(rt)._poll()
    assert slack.top_level("CW") == []  # paused
    await command(bot, slack, "watch resume", "re")
    await scheduler(rt)._poll()
    assert slack.top_level("CW") == []  # resuming starts from now: no backlog
    assert "not a watch number" in (await command(bot, slack, "watch remove 5", "r5"))["text"]
    assert "Removed" in (await command(bot, slack, "watch remove 1", "r1"))["text"]
    assert await ws.watches(rt.store) == []


async def test_a_crash_after_the_claim_is_recovered_from_history_or_posted_once(bot, slack):  # noqa: F811
    rt = bot.rt
    await command(bot, slack, "watch Norway", "w")
    await add_stories(rt.store, [NORWAY_PARTNER], prefix="crash")
    [w] = await ws.watches(rt.store)
    (art_id,) = [r.article_id for r in await ws.articles_after(rt.store, 0)]
    # a process claimed the alert, then died before posting
    assert await ws.claim_alerts(rt.store, [(w.id, art_id)], run_id="dead-run", target="CW") == [(w.id, art_id)]
    alerter = WatchAlerter(rt)
    assert await alerter.run() == 0  # the claim holds: no second claim, no post
    assert await alerter.recover(lease=timedelta(hours=1)) == 0  # still within the lease
    assert await alerter.recover(lease=timedelta(0)) == 1
    assert await alerter.recover(lease=timedelta(0)) == 0
    posts = slack.top_level("CW")
    assert len(posts) == 1 and posts[0]["metadata"]["event_payload"]["run_id"] == "dead-run"
    assert [r.state for r in await ws.alerts(rt.store)] == ["posted"]


async def test_ledger_and_phrase_match_on_both_databases(store):
    """The store side on SQLite and PostgreSQL: phrase matching through the full-text index, and two replicas
    (two Store objects on one database) racing to claim the same (watch, article): one wins."""
    from briefings.store.repo import Store

    ids = await add_stories(store, [NORWAY_PARTNER, ISAR], prefix="db")
    watch = await ws.add_watch(store, team_id="T1", channel_id="C1", user_id=None, terms=[], label="x",
                               created_by="U1")
    assert watch.cursor_article_id == max(ids)
    assert await ws.phrase_matches(store, "technology safeguards agreement", ids) == {ids[1]}
    assert await ws.phrase_matches(store, "agreement safeguards", ids) == set()  # a phrase, not a bag of words
    other = await Store.open(store.url, migrate=False)
    try:
        import asyncio

        first, second = await asyncio.gather(
            ws.claim_alerts(store, [(watch.id, ids[0]), (watch.id, ids[1])], run_id="r1", target="C1"),
            ws.claim_alerts(other, [(watch.id, ids[1]), (watch.id, ids[0])], run_id="r2", target="C1"))
        assert sorted(first + second) == sorted([(watch.id, ids[0]), (watch.id, ids[1])])
    finally:
        await other.close()
    await ws.alerts_done(store, "r1" if first else "r2", state="posted", message_ts="1.0")
    assert (await ws.watches(store, "T1"))[0].last_alert_at is not None


async def test_a_brief_saved_by_a_user_alerts_too_with_its_text_escaped(bot, slack, server):  # noqa: F811
    from .test_bot import HOSTILE

    await command(bot, slack, "watch Norway", "w")
    url = server.add("/hostile", HOSTILE)
    await post(bot.http, bot.url, command_body(url, slack.response_url("brief"), channel_id="COTHER"), FORM)
    await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "brief"])
    [alert] = await slack.wait_for(lambda: slack.top_level("CW"))
    raw = json.dumps(alert["blocks"]) + alert["text"]
    assert "Launch deal" in raw and "<!channel>" not in raw and "<@U123>" not in raw and "<http://evil" not in raw
    assert "&lt;!channel&gt;" in raw


async def test_a_channel_that_refuses_posts_pauses_its_watches_instead_of_retrying_forever(bot, slack):  # noqa: F811
    rt = bot.rt
    await command(bot, slack, "watch Norway", "w", channel="CGONE")
    slack.fail[("chat.postMessage", "CGONE")] = "not_in_channel"
    await add_stories(rt.store, [NORWAY_PARTNER], prefix="gone")
    await scheduler(rt)._poll()
    assert [r.state for r in await ws.alerts(rt.store)] == ["failed"]
    [w] = await ws.watches(rt.store)
    assert w.paused_at is not None
    assert await WatchAlerter(rt).recover(lease=timedelta(0)) == 0  # nothing left to retry
    assert "(paused)" in (await command(bot, slack, "watch list", "l", channel="CGONE"))["blocks"][0]["text"]["text"]
