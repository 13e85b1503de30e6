"""The Slack app as a real HTTP server, driven by signed requests; the Web API is a loopback double."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from briefings.engine import SAMPLE_ARTICLE

from .slack_client import FORM, JSON, action_body, command_body, event_body, post

HOSTILE = ("<!DOCTYPE html><html><head><title>Launch deal &lt;!channel&gt; &lt;@U123&gt; "
           "&lt;http://evil|click&gt;</title></head><body><article><h1>Launch deal &lt;!channel&gt; &lt;@U123&gt; "
           "&lt;http://evil|click&gt;</h1>"
           "<p>Rocket Lab signed a launch agreement with the Norwegian Space Agency to fly from Andøya Spaceport "
           "in Norway, officials said on Monday in a statement about the partnership.</p>"
           "<p>“We will launch together &lt;!channel&gt; &lt;http://evil|click&gt;,” said Peter Beck, "
           "chief executive of Rocket Lab. The launch is planned for next year from the Arctic site.</p>"
           "</article></body></html>")


async def test_slash_command_url_acks_fast_then_responds_with_the_brief(bot, slack, server):
    url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
    resp, elapsed = await post(bot.http, bot.url, command_body(url, slack.response_url("c1")), FORM)
    assert resp.status_code == 200 and elapsed < 3.0
    assert "Working on it" in resp.text
    payload = await slack.wait_for(lambda: slack.responses and slack.responses[-1])
    assert payload["_name"] == "c1" and payload["response_type"] == "ephemeral"
    text = json.dumps(payload["blocks"])
    assert "Arianespace" in text and "Established launch nations" in text and "Emerging spaceport nations" in text
    assert "Kristin Panzenhagen" in text and "TL;DR" in text
    header = payload["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"].startswith("Space Force sounds out allies")
    actions = [b for b in payload["blocks"] if b["type"] == "actions"][0]
    assert {e["action_id"] for e in actions["elements"]} == {"share_brief", "show_partners", "more_like_this"}
    assert payload["text"]  # fallback text

    # the buttons work: Share posts the brief in the channel
    article_id = actions["elements"][0]["value"]
    resp, _ = await post(bot.http, bot.url, action_body("share_brief", article_id, slack.response_url("share")), FORM)
    assert resp.status_code == 200
    shared = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "share"])
    assert shared[0]["response_type"] == "in_channel"
    resp, _ = await post(bot.http, bot.url, action_body("show_partners", article_id, slack.response_url("p")), FORM)
    partners = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "p"])
    assert "Norway" in json.dumps(partners[0]["blocks"])
    assert not slack.errors


@pytest.mark.parametrize("kind", ["unsigned", "wrong", "stale"])
async def test_bad_signatures_are_rejected_and_do_nothing(bot, slack, kind):
    body = command_body("help", slack.response_url("x"))
    kw = {"unsigned": {"signed": False}, "wrong": {"secret": "not-the-secret"},
          "stale": {"timestamp": int(time.time()) - 6 * 60}}[kind]
    resp, _ = await post(bot.http, bot.url, body, FORM, **kw)
    assert resp.status_code == 401
    await asyncio.sleep(0.3)
    assert slack.responses == [] and [c for c in slack.calls if c.method != "auth.test"] == []


async def test_help_and_unknown_answer_in_the_ack(bot, slack):
    resp, elapsed = await post(bot.http, bot.url, command_body("frobnicate now", slack.response_url()), FORM)
    assert resp.status_code == 200 and elapsed < 3
    body = resp.json()
    assert "frobnicate" in json.dumps(body) and "/launchbrief partners" in json.dumps(body)
    assert "&lt;url&gt;" in json.dumps(body)  # placeholders are not links


async def test_bad_url_gets_a_plain_error(bot, slack):
    await post(bot.http, bot.url, command_body("http://127.0.0.1:1/nothing-here", slack.response_url("e")), FORM)
    payload = await slack.wait_for(lambda: slack.responses and slack.responses[-1])
    assert "could not connect" in json.dumps(payload["blocks"]) or "connect" in payload["text"]
    await post(bot.http, bot.url, command_body("partners since:yesterday", slack.response_url("e2")), FORM)
    payload = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "e2"])
    assert "since:YYYY-MM-DD" in payload[0]["text"]


async def test_mention_in_thread_replies_once_even_when_slack_retries(bot, slack, server):
    url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
    slack.replies[("C1", "1700000000.000100")] = [{"ts": "1700000000.000100", "text": f"look at <{url}>"}]
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT>", "ts": "1700000000.000200",
             "thread_ts": "1700000000.000100", "channel": "C1", "event_ts": "1700000000.000200"}
    body = event_body(event, "Ev42")
    r1, t1 = await post(bot.http, bot.url, body, JSON)
    r2, t2 = await post(bot.http, bot.url, body, JSON, retry=1)
    assert r1.status_code == r2.status_code == 200 and max(t1, t2) < 3
    posts = await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    await asyncio.sleep(0.5)
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["thread_ts"] == "1700000000.000100"
    assert "Arianespace" in json.dumps(posts[0].params["blocks"])
    assert str(posts[0].params.get("unfurl_links")).lower() in ("false", "0")


async def test_mention_question_is_answered_with_citations_or_plainly_not(bot, slack, server):
    url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
    slack.replies[("C1", "1.1")] = [{"ts": "1.1", "text": f"<{url}|sample>"}]

    before = 0
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> who are the partners?", "ts": "2.1",
             "thread_ts": "1.1", "channel": "C1", "event_ts": "2.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-q1"), JSON)
    posts = await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) > before and slack.calls_to(
        "chat.postMessage"))
    answer = json.dumps(posts[-1].params["blocks"])
    assert "Rocket Lab" in answer and "Norway" in answer
    # every partner line cites its evidence sentence by index, and the answer links the article it came from
    assert len(re.findall(r"_\[\d+\]_", answer)) >= 2 and url in answer

    event = dict(event, text="<@UBOT> what did Panzenhagen say about Japan?", ts="2.2", event_ts="2.2")
    await post(bot.http, bot.url, event_body(event, "Ev-q2"), JSON)
    posts = await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= 2 and slack.calls_to(
        "chat.postMessage"))
    answer = json.dumps(posts[-1].params["blocks"])
    assert "Japan" in answer and "Panzenhagen" in answer

    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> what about the lunar gateway budget?",
             "ts": "3.1", "channel": "C9", "event_ts": "3.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-q3"), JSON)
    posts = await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= 3 and slack.calls_to(
        "chat.postMessage"))
    assert "found nothing" in json.dumps(posts[-1].params["blocks"])
    assert posts[-1].params["thread_ts"] == "3.1"


async def test_hostile_text_renders_inert(bot, slack, server):
    url = server.add("/hostile", HOSTILE)
    await post(bot.http, bot.url, command_body(url, slack.response_url("h")), FORM)
    payload = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "h"])
    # every mrkdwn field is escaped; the header is plain_text, which Slack shows literally (no markup parsed)
    dumped = json.dumps({**payload[0], "blocks": [b for b in payload[0]["blocks"] if b["type"] != "header"]})
    assert [b["text"]["type"] for b in payload[0]["blocks"] if b["type"] == "header"] == ["plain_text"]
    for bad in ("<!channel>", "<@U123>", "<http://evil|click>"):
        assert bad not in dumped
    assert "&lt;!channel&gt;" in dumped and "&lt;http://evil|click&gt;" in dumped
    assert not slack.errors


async def test_web_api_429_is_retried_after_retry_after(bot, slack, server):
    url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
    slack.rate_limit["chat.postMessage"] = [1]
    event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> <{url}>", "ts": "5.1", "channel": "C1",
             "event_ts": "5.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-429"), JSON)
    await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= 2, timeout=15)
    first, second = slack.calls_to("chat.postMessage")[:2]
    assert second.at - first.at >= 0.9  # waited for Retry-After
    await asyncio.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 2  # one 429, one success: one message


async def test_app_home_and_admin_only_feed_changes(bot, slack, server):
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "6.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-home"), JSON)
    calls = await slack.wait_for(lambda: slack.calls_to("views.publish"))
    assert calls[0].params["user_id"] == "U1" and calls[0].params["view"]["type"] == "home"

    feed = server.add("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
                      "<item><title>A</title><link>http://127.0.0.1/a</link></item></channel></rss>",
                      headers={"Content-Type": "application/rss+xml"})
    await post(bot.http, bot.url, command_body(f"feeds add {feed}", slack.response_url("f1"), user_id="U1"), FORM)
    refused = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "f1"])
    assert "Only launchbrief admins" in refused[0]["text"]
    await post(bot.http, bot.url, command_body(f"feeds add {feed}", slack.response_url("f2"), user_id="UADMIN"), FORM)
    added = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "f2"])
    assert "Added feed Wire" in added[0]["text"]
    await post(bot.http, bot.url, command_body("feeds", slack.response_url("f3")), FORM)
    listed = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "f3"])
    assert "Wire" in json.dumps(listed[0]["blocks"])


async def test_health_endpoint(bot):
    resp = await bot.http.get(bot.url.replace("/slack/events", "/healthz"))
    assert resp.status_code == 200 and resp.json()["ok"] is True


async def test_latest_partners_and_search_from_the_archive(bot, slack, server):
    url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
    await post(bot.http, bot.url, command_body(url, slack.response_url("b")), FORM)
    await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "b"])

    async def ask(text, name):
        resp, elapsed = await post(bot.http, bot.url, command_body(text, slack.response_url(name)), FORM)
        assert resp.status_code == 200 and elapsed < 3
        return (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == name]))[0]

    latest = json.dumps(await ask("", "l"))
    assert "Latest launch-policy briefing" in latest and "Space Force sounds out allies" in latest
    assert "partners: Japan, New Zealand, France" in latest and "+3 more" in latest  # one line each, with partners
    partners = json.dumps(await ask("partners", "p"))
    assert "Norway" in partners and "Rocket Lab" in partners and "1 mention" in partners
    detail = json.dumps(await ask("partners rocket lab since:2020-01-01", "pd"))
    assert "Partner: Rocket Lab" in detail and "Articles naming it" in detail
    found = json.dumps(await ask("search Panzenhagen partnerships", "s"))
    assert "Space Force sounds out allies" in found
    nothing = await ask("search zeppelin", "s0")
    assert "Nothing stored matches" in nothing["text"]
    assert not slack.errors
