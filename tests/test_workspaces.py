"""Two workspaces installed through OAuth share one archive but see only what they reached: their own feeds
(and feed health), their own digests (posted with their own token), their own App Home, their own answers; an
installer is an admin in their workspace only, and a Slack admin counts too. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.digests.scheduler import DigestScheduler
from bot.home import home_view
from briefings.intake.ingest import IngestOptions, Ingestor
from briefings.store import workspaces

from .conftest import html_page
from .oauth_support import callback, start_install
from .slack_client import FORM, JSON, command_body, event_body, post
from .test_store_ingest import STORIES, rss

TEAMS = {"T2": "rocketlab-sda", "T3": "esrange"}  # each workspace follows a feed with one of these stories


@pytest.fixture
def slack(oauth_slack):  # in this module the Slack double also speaks OAuth
    return oauth_slack


def one_story_feed(server, slug: str) -> str:
    title, paras = STORIES[slug]
    page = server.add(f"/news/{slug}", html_page(title, paras))
    return server.add(f"/{slug}.xml", rss([(title, page, f"guid-{slug}")], title=f"{slug} wire"),
                      headers={"Content-Type": "application/rss+xml; charset=utf-8"})


async def command(bot, slack, team: str, text: str, user: str, name: str) -> dict:
    body = command_body(text, slack.response_url(name), user_id=user, channel_id=f"C{team}").replace(
        "team_id=T1", f"team_id={team}")
    resp, elapsed = await post(bot.http, bot.base + "/slack/events", body, FORM)
    assert resp.status_code == 200 and elapsed < 3
    return (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == name], timeout=30))[0]


async def install_both(bot, slack) -> None:
    for team in TEAMS:
        slack.grant(f"code-{team}", team)
        assert (await callback(bot, f"code-{team}", await start_install(bot))).status_code == 200


async def test_each_workspace_sees_only_its_own_feeds_digests_home_and_answers(multi, slack, server):
    rt = multi.rt
    await install_both(multi, slack)
    feeds = {team: one_story_feed(server, slug) for team, slug in TEAMS.items()}
    for team, url in feeds.items():  # each installer adds their workspace's feed
        added = await command(multi, slack, team, f"feeds add {url}", f"UINST{team}", f"add-{team}")
        assert "Added" in added["text"], added
    await Ingestor(rt.store, rt.fetcher, IngestOptions(retention_days=None)).run()

    for team, url in feeds.items():
        assert [f.url for f in await rt.store.list_feeds(team_id=team)] == [url]
        listed = await command(multi, slack, team, "feeds", "U1", f"list-{team}")
        other = next(u for t, u in feeds.items() if t != team)
        assert url in json.dumps(listed) and other not in json.dumps(listed)

    # digests: each channel's digest holds its own workspace's story, posted with its own token
    scheduler = DigestScheduler(rt, poll_every=timedelta(0), pace=0)
    await scheduler.start()
    now = datetime.now(UTC)
    for team in TEAMS:
        sub = await rt.store.upsert_subscription(team, f"C{team}", cron="0 8 * * *", timezone="UTC",
                                                 text="daily 08:00", created_by=f"UINST{team}")
        assert await scheduler.poster.run_slot(sub.id, now, key=f"k-{team}") == "posted"
    digests = {c.params["channel"]: c for c in slack.calls_to("chat.postMessage") if c.params.get("metadata")}
    for team, slug in TEAMS.items():
        text = json.dumps(digests[f"C{team}"].params["blocks"], ensure_ascii=False)
        assert digests[f"C{team}"].headers["Authorization"] == f"Bearer xoxb-{team.lower()}-token"
        assert STORIES[slug][0] in text
        assert all(STORIES[s][0] not in text for t, s in TEAMS.items() if t != team)
    scheduler.shutdown()

    # App Home: own feeds and own briefs only
    for team, slug in TEAMS.items():
        home = json.dumps(await home_view(rt, team), ensure_ascii=False)
        assert feeds[team] in home and STORIES[slug][0] in home
        assert all(feeds[t] not in home and STORIES[s][0] not in home for t, s in TEAMS.items() if t != team)

    # a question in T3 about T2's story finds nothing of T2's; in T2 it is answered from T2's article
    for team, event_id in (("T3", "Ev-q3"), ("T2", "Ev-q2")):
        event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> who won the Space Development Agency deal?",
                 "ts": f"9.{event_id[-1]}", "channel": f"C{team}", "event_ts": f"9.{event_id[-1]}"}
        body = event_body(event, event_id).replace('"team_id": "T1"', f'"team_id": "{team}"')
        assert (await post(multi.http, multi.base + "/slack/events", body, JSON))[0].status_code == 200
    answers = await slack.wait_for(lambda: (lambda got: len(got) >= 2 and got)(
        [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] in ("CT2", "CT3")
         and not c.params.get("metadata")]), timeout=30)
    by_channel = {c.params["channel"]: json.dumps(c.params, ensure_ascii=False) for c in answers}
    assert "Rocket Lab" in by_channel["CT2"] and "/news/rocketlab-sda" in by_channel["CT2"]
    assert "/news/rocketlab-sda" not in by_channel["CT3"]


async def test_same_feed_in_two_workspaces_is_fetched_once_and_unfollowing_keeps_the_other(multi, slack, server):
    rt = multi.rt
    await install_both(multi, slack)
    url = one_story_feed(server, "andoya-isar")
    for team in TEAMS:
        assert "Added" in (await command(multi, slack, team, f"feeds add {url}", f"UINST{team}", f"a-{team}"))["text"]
    await Ingestor(rt.store, rt.fetcher, IngestOptions(retention_days=None)).run()
    assert sum(1 for path, _ in server.requests if path == "/news/andoya-isar") == 1  # analysed once
    for team in TEAMS:
        assert [h.url for h in await rt.store.search("Spectrum Andøya", team_id=team)] != []
    removed = await command(multi, slack, "T2", f"feeds remove {url}", "UINSTT2", "rm-T2")
    assert "Removed" in removed["text"]
    assert await rt.store.list_feeds(team_id="T2") == [] and len(await rt.store.list_feeds(team_id="T3")) == 1


async def test_admins_are_the_installer_slack_admins_and_the_global_list(multi, slack, server):
    await install_both(multi, slack)
    url = one_story_feed(server, "esrange")
    # T2's installer is no admin in T3, nor is an ordinary member
    for user, name in (("UINSTT2", "x1"), ("U5", "x2")):
        refused = await command(multi, slack, "T3", f"feeds add {url}", user, name)
        assert "Only launchbrief admins" in refused["text"]
    assert await multi.rt.store.list_feeds(team_id="T3") == []
    # a Slack workspace admin of T3 is (users.info, asked with T3's token)
    slack.users["U6"] = {"id": "U6", "tz": "UTC", "is_admin": True}
    assert "Added" in (await command(multi, slack, "T3", f"feeds add {url}", "U6", "x3"))["text"]
    asked = [c for c in slack.calls_to("users.info") if c.params.get("user") == "U6"]
    assert asked and asked[-1].headers["Authorization"] == "Bearer xoxb-t3-token"


async def test_the_operators_feeds_are_every_workspaces(store, server):
    """What the terminal CLI (team '') stores is seen by every workspace; a workspace's brief is its own."""
    from briefings.models import Article

    feed = await store.add_feed(one_story_feed(server, "esrange"))
    assert [f.id for f in await store.list_feeds(team_id="T9")] == [feed.id]
    saved = await store.save(Article(url="https://news.example/own", source="t", title="Own brief",
                                     text="Rocket Lab will launch from New Zealand. " * 3), None)
    await workspaces.link_articles(store, "T8", [saved.article_id])
    assert await workspaces.can_see(store, "T8", saved.article_id)
    assert await workspaces.can_see(store, "T9", saved.article_id)  # saved with no team: the operator's
    mine = await store.save(Article(url="https://news.example/mine", source="t", title="Mine",
                                    text="Isar Aerospace launches from Andøya. " * 3), None, team_id="T8")
    assert await workspaces.can_see(store, "T8", mine.article_id)
    assert not await workspaces.can_see(store, "T9", mine.article_id)
