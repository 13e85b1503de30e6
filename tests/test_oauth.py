"""The OAuth install flow end to end against the loopback Slack double: /slack/install → Slack's authorize URL
(client id, scopes, state), /slack/oauth_redirect exchanging the code (oauth.v2.access), the installation
stored in the bot's database (SQLite and PostgreSQL), reused / forged states and org-wide installs refused,
each workspace answered with its own token, and uninstall forgetting it. Single-workspace mode is unchanged."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from bot import oauth
from bot.runtime import Runtime
from bot.digests.scheduler import DigestScheduler
from bot.server import HTTPServer
from bot.config import Settings

from .slack_client import FORM, JSON, SECRET, TOKEN, command_body, post
from .oauth_support import CLIENT_ID, callback, start_install

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def slack(oauth_slack):  # in this module the Slack double also speaks OAuth
    return oauth_slack


def mention(team: str, event_id: str, text: str = "<@UBOT> hello") -> str:
    event = {"type": "app_mention", "user": "U1", "text": text, "ts": "5.1", "channel": f"C{team}",
             "event_ts": "5.1"}
    return json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A1", "event": event,
                       "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                       "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}]})


async def test_install_exchanges_the_code_stores_it_and_refuses_replayed_or_forged_states(multi, slack):
    state = await start_install(multi)
    slack.grant("code-t2", "T2")
    ok = await callback(multi, "code-t2", state)
    assert ok.status_code == 200 and "launchbrief is installed" in ok.text and "Team T2" in ok.text
    exchange = slack.calls_to("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0].params["code"] == "code-t2"
    assert exchange[0].params["redirect_uri"] == "https://launchbrief.example.org/slack/oauth_redirect"

    store = oauth.InstallationStore(client_id=CLIENT_ID, engine=multi.rt.store.engine)
    inst = await store.async_find_installation(enterprise_id=None, team_id="T2")
    assert inst is not None and inst.bot_token == "xoxb-t2-token" and inst.user_id == "UINSTT2"
    assert inst.bot_id == "B1"  # from auth.test with the new token

    # the same state again (a replayed callback URL), even with a fresh code: refused, nothing exchanged
    slack.grant("code-again", "T2", "xoxb-stolen")
    replay = await callback(multi, "code-again", state)
    assert replay.status_code == 401 and "already used" in replay.text
    # a state we never issued, with a cookie to match: refused; without the cookie: refused (other browser)
    forged = await callback(multi, "code-again", "00000000-0000-0000-0000-000000000000")
    assert forged.status_code == 401
    no_cookie = await callback(multi, "code-again", await start_install(multi), cookie="")
    assert no_cookie.status_code == 400 and "another browser" in no_cookie.text
    assert len(slack.calls_to("oauth.v2.access")) == 1
    assert (await store.async_find_installation(enterprise_id=None, team_id="T2")).bot_token == "xoxb-t2-token"

    # an org-wide Enterprise Grid install: refused with a plain page, nothing stored
    slack.grant("code-org", None, "xoxb-org-token", org=True)
    org = await callback(multi, "code-org", await start_install(multi))
    assert org.status_code == 400 and "Org-wide install not supported" in org.text
    assert await store.async_find_bot(enterprise_id="E1", team_id=None, is_enterprise_install=True) is None


async def test_each_workspace_gets_its_own_token_and_uninstall_stops_only_its_digests(multi, slack):
    rt = multi.rt
    scheduler = DigestScheduler(rt, poll_every=timedelta(0), pace=0)
    await scheduler.start()
    subs = {}
    for team in ("T2", "T3"):
        slack.grant(f"code-{team}", team)
        assert (await callback(multi, f"code-{team}", await start_install(multi))).status_code == 200
        sub = await rt.store.upsert_subscription(team, f"C{team}", cron="0 8 * * *", timezone="UTC",
                                                 text="daily 08:00", created_by="U1")
        subs[team] = await rt.store.update_subscription(sub.id, post_when_empty=True)
        scheduler.schedule(subs[team])

    # requests: each workspace's mention is answered with that workspace's token
    url = multi.base + "/slack/events"
    for team in ("T2", "T3"):
        resp, elapsed = await post(multi.http, url, mention(team, f"Ev-{team}"), JSON)
        assert resp.status_code == 200 and elapsed < 3
    posts = await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= 2
                                 and slack.calls_to("chat.postMessage"))
    assert {c.params["channel"]: c.headers["Authorization"] for c in posts} == {
        "CT2": "Bearer xoxb-t2-token", "CT3": "Bearer xoxb-t3-token"}

    # scheduled digests, outside any request: each posted with its own workspace's token
    poster = scheduler.poster
    now = datetime.now(UTC)
    for team in ("T2", "T3"):
        assert await poster.run_slot(subs[team].id, now, key=f"k1-{team}") == "posted"
    digests = [c for c in slack.calls_to("chat.postMessage") if c.params.get("metadata")]
    assert {c.params["channel"]: c.headers["Authorization"] for c in digests} == {
        "CT2": "Bearer xoxb-t2-token", "CT3": "Bearer xoxb-t3-token"}

    # T2 uninstalls: its installation is gone, its digests stop and say why; T3 is untouched
    body = json.dumps({"token": "legacy", "team_id": "T2", "api_app_id": "A1", "type": "event_callback",
                       "event": {"type": "app_uninstalled", "event_ts": "6.1"}, "event_id": "Ev-un",
                       "event_time": int(time.time())})
    resp, _ = await post(multi.http, url, body, JSON)
    assert resp.status_code == 200
    deadline = time.monotonic() + 10
    while scheduler.scheduler.get_job(f"digest-{subs['T2'].id}") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert scheduler.scheduler.get_job(f"digest-{subs['T2'].id}") is None
    assert scheduler.scheduler.get_job(f"digest-{subs['T3'].id}") is not None
    assert await oauth.client_for_team(rt, "T2") is None
    assert (await oauth.client_for_team(rt, "T3")).token == "xoxb-t3-token"
    assert (await rt.store.subscription(sub_id=subs["T2"].id)).last_error == oauth.UNINSTALLED
    assert (await rt.store.subscription(sub_id=subs["T3"].id)).last_error is None

    before = len(slack.calls_to("chat.postMessage"))
    assert await poster.run_slot(subs["T2"].id, now, key="k2-T2") == "uninstalled"  # a slot already due
    assert await poster.run_slot(subs["T3"].id, now, key="k2-T3") == "posted"
    after = slack.calls_to("chat.postMessage")[before:]
    assert [c.params["channel"] for c in after] == ["CT3"]

    # reinstalling resumes T2's digests
    slack.grant("code-T2-again", "T2", "xoxb-t2-new")
    assert (await callback(multi, "code-T2-again", await start_install(multi))).status_code == 200
    assert scheduler.scheduler.get_job(f"digest-{subs['T2'].id}") is not None
    assert (await oauth.client_for_team(rt, "T2")).token == "xoxb-t2-new"
    scheduler.shutdown()


async def test_a_workspace_command_uses_that_workspace_token_for_slack_calls(multi, slack):
    slack.grant("code-T4", "T4")
    assert (await callback(multi, "code-T4", await start_install(multi))).status_code == 200
    slack.users["U1"] = {"id": "U1", "tz": "Europe/Oslo"}
    body = command_body("digest daily 08:00", slack.response_url("d"), channel_id="CT4").replace(
        "team_id=T1", "team_id=T4")
    resp, elapsed = await post(multi.http, multi.base + "/slack/events", body, FORM)
    assert resp.status_code == 200 and elapsed < 3
    await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d"])
    lookups = slack.calls_to("users.info")
    assert lookups and lookups[-1].headers["Authorization"] == "Bearer xoxb-t4-token"
    assert (await multi.rt.store.subscription("T4", "CT4")).timezone == "Europe/Oslo"
    # a workspace that never installed the app is not served
    stranger = command_body("digest daily 08:00", slack.response_url("s"), channel_id="CT5").replace(
        "team_id=T1", "team_id=T5")
    resp, _ = await post(multi.http, multi.base + "/slack/events", stranger, FORM)
    assert resp.status_code == 200
    told = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "s"])
    assert "install" in told[0]["text"]  # Bolt's "please reinstall this app" answer
    await asyncio.sleep(0.3)
    assert await multi.rt.store.subscription("T5", "CT5") is None


async def test_an_expiring_token_is_rotated_before_use_and_a_revoked_one_skips_the_workspace(multi, slack):
    for team in ("T6", "T7"):
        slack.grant(f"code-{team}", team)
        slack.codes[f"code-{team}"].update(refresh_token=f"r-{team}", expires_in=600)  # expires in 10 minutes
        assert (await callback(multi, f"code-{team}", await start_install(multi))).status_code == 200
    slack.refresh["r-T6"] = "xoxb-t6-rotated"  # T7's refresh token is not honoured (revoked)

    client = await oauth.client_for_team(multi.rt, "T6")
    assert client.token == "xoxb-t6-rotated"
    refreshes = [c for c in slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert [c.params["refresh_token"] for c in refreshes] == ["r-T6"]
    # stored: the next use needs no rotation (12 h left) and gets the same token
    assert (await oauth.client_for_team(multi.rt, "T6")).token == "xoxb-t6-rotated"
    assert len([c for c in slack.calls_to("oauth.v2.access") if c.params.get("grant_type")]) == 1

    assert await oauth.client_for_team(multi.rt, "T7") is None


async def test_single_workspace_mode_is_unchanged(slack, tmp_path):
    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=slack.api_url, database_url=f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}")
    rt = await Runtime.start(settings)
    server = await HTTPServer(rt).start()
    try:
        assert not oauth.enabled(rt) and server.bolt.oauth_flow is None
        assert await oauth.client_for_team(rt, "T1") is rt.client
        async with httpx.AsyncClient(timeout=5) as http:
            assert (await http.get(f"http://127.0.0.1:{server.port}/slack/install")).status_code == 404
    finally:
        await server.stop()
        await rt.close()


def test_default_scopes_are_the_manifests_and_the_redirect_url_is_registered():
    manifest = yaml.safe_load((ROOT / "deploy" / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert oauth.DEFAULT_SCOPES.split(",") == manifest["oauth_config"]["scopes"]["bot"]
    assert any(u.endswith("/slack/oauth_redirect") for u in manifest["oauth_config"]["redirect_urls"])
