"""Issue 9, Slack side: what a real workspace sends (signed requests, Slack's escaping, Web API errors)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time

import pytest

from .slack_client import FORM, JSON, SECRET, command_body, event_body, post


def _signed(raw: bytes, content_type: str, *, timestamp: str | None = None, secret: str = SECRET) -> dict:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


MALFORMED = {
    "bad json": (b'{"type": "event_callback", ', JSON),
    "non-utf8 form": (b"text=caf\xe9&command=%2Flaunchbrief", FORM),
    "payload not json": (b"payload=%7Bnot-json", FORM),
    "json array": (b"[1, 2]", JSON),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
async def test_malformed_requests_get_401_unsigned_400_signed_and_one_log_line(bot, slack, kind, caplog):  # noqa: F811
    raw, ctype = MALFORMED[kind]
    caplog.set_level(logging.INFO)
    unsigned = await bot.http.post(bot.url, content=raw, headers={"Content-Type": ctype,
                                                                  "X-Slack-Request-Timestamp": str(int(time.time())),
                                                                  "X-Slack-Signature": "v0=00"})
    assert unsigned.status_code == 401
    signed = await bot.http.post(bot.url, content=raw, headers=_signed(raw, ctype))
    assert signed.status_code == 400
    mine = [r for r in caplog.records if r.name.startswith(("launchbrief", "slack_bolt", "aiohttp"))
            and r.levelno >= logging.WARNING]
    assert len(mine) == 2, [r.getMessage() for r in mine]  # one line per refused request
    assert not any(r.exc_info for r in caplog.records)  # never a traceback
    assert [c for c in slack.calls if c.method != "auth.test"] == []


@pytest.mark.parametrize("stamp", ["soon", "", "1e9", "0x10"])
async def test_non_numeric_timestamp_is_401_not_500(bot, slack, stamp, caplog):  # noqa: F811
    body = command_body("help", slack.response_url("x")).encode()
    headers = _signed(body, FORM)
    headers["X-Slack-Request-Timestamp"] = stamp
    resp = await bot.http.post(bot.url, content=body, headers=headers)
    assert resp.status_code == 401
    assert not any(r.exc_info for r in caplog.records)


async def test_healthz_is_503_when_not_ok(bot):  # noqa: F811
    url = bot.url.replace("/slack/events", "/healthz")
    assert (await bot.http.get(url)).status_code == 200
    bot.rt.closing = True
    try:
        resp = await bot.http.get(url)
        assert resp.status_code == 503 and resp.json()["ok"] is False
    finally:
        bot.rt.closing = False


# ------------------------------------------------------------------ item 1: Slack's escaping, undone once
async def test_links_with_ampersands_are_fetched_as_sent(bot, slack, server):  # noqa: F811
    from briefings.engine import SAMPLE_ARTICLE

    page = SAMPLE_ARTICLE.read_bytes()
    linked = server.add("/a?id=7&page=2", page)
    bare = server.add("/b?id=7&page=2", page)
    mentioned = server.add("/c?id=7&page=2", page)
    # as Slack sends them: inside <url|label> and bare (should_escape false), & always as &amp;
    await post(bot.http, bot.url, command_body(f"<{linked.replace('&', '&amp;')}|story &amp; more>",
                                               slack.response_url("a")), FORM)
    await post(bot.http, bot.url, command_body(bare.replace("&", "&amp;"), slack.response_url("b")), FORM)
    for name in ("a", "b"):
        got = await slack.wait_for(lambda name=name: [r for r in slack.responses if r["_name"] == name], timeout=20)
        assert "Arianespace" in json.dumps(got[0]["blocks"]), got[0]["text"]
    event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> <{mentioned.replace('&', '&amp;')}>",
             "ts": "9.1", "channel": "C1", "event_ts": "9.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-amp"), JSON)
    posts = await slack.wait_for(lambda: slack.calls_to("chat.postMessage"), timeout=20)
    assert "Arianespace" in json.dumps(posts[0].params["blocks"])
    paths = [p for p, _ in server.requests]
    assert {"/a?id=7&page=2", "/b?id=7&page=2", "/c?id=7&page=2"} <= set(paths)
    assert not any("&amp;" in p or "%26amp" in p for p in paths)


async def test_user_text_echoed_back_is_escaped_exactly_once(bot, slack):  # noqa: F811
    await post(bot.http, bot.url, command_body("search AT&amp;T &lt;b&gt; launch", slack.response_url("s")), FORM)
    got = (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "s"]))[0]
    dumped = json.dumps(got)
    assert "&amp;amp;" not in dumped and "&amp;lt;" not in dumped
    section = next(b for b in got["blocks"] if b["type"] == "section")["text"]["text"]
    assert "AT&amp;T &lt;b&gt; launch" in section
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> what about AT&amp;T &lt;3?", "ts": "9.2",
             "channel": "C7", "event_ts": "9.2"}
    await post(bot.http, bot.url, event_body(event, "Ev-echo"), JSON)
    posts = await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    answer = json.dumps(posts[0].params["blocks"])
    assert "AT&amp;T &lt;3?" in answer and "&amp;amp;" not in answer


def test_parse_unescapes_once():
    from bot.parse import find_url, parse, user_text

    assert find_url("<https://x.example/s?a=1&amp;b=2|a &amp; b>") == "https://x.example/s?a=1&b=2"
    assert find_url("see https://x.example/s?a=1&amp;b=2.") == "https://x.example/s?a=1&b=2"
    assert parse("search R&amp;D &amp;lt;").rest == "R&D &lt;"  # a literal "&lt;" the user typed stays
    assert parse("feeds add <https://f.example/rss?x=1&amp;y=2>").raw.endswith("y=2>")
    assert user_text("<@UBOT> is <#C1|launch> &gt; <https://a.b|here>?") == "is > ?"


# ------------------------------------------------------- item 4: the ack is replaced, not left standing
async def test_command_answer_replaces_the_working_on_it_ack(bot, slack):  # noqa: F811
    resp, _ = await post(bot.http, bot.url, command_body("search nothing-here", slack.response_url("w")), FORM)
    assert "Working on it" in resp.text
    got = (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "w"]))[0]
    assert got["replace_original"] is True and got["response_type"] == "ephemeral"


# --------------------------------------------------------- item 3: a failing mention answers in the thread
@pytest.mark.parametrize("error, says", [("missing_scope", "not allowed to read"),
                                         ("channel_not_found", "/invite @launchbrief"),
                                         ("ratelimited_forever", "please try again")])
async def test_mention_failure_is_answered_in_the_thread(bot, slack, error, says):  # noqa: F811
    slack.fail["conversations.replies"] = error
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> brief this", "ts": "4.2", "thread_ts": "4.1",
             "channel": "G1", "event_ts": "4.2"}
    await post(bot.http, bot.url, event_body(event, f"Ev-fail-{error}"), JSON)
    posts = await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    assert posts[0].params["thread_ts"] == "4.1"
    assert says in posts[0].params["text"] and "Traceback" not in posts[0].params["text"]


# ------------------------------------------------------------------ item 17: replayed commands run once
async def test_replayed_slash_command_runs_once(bot, slack):  # noqa: F811
    body = command_body("search replay", slack.response_url("rp"))
    for _ in range(3):  # the same signed request, three times inside the 5-minute window
        resp, _elapsed = await post(bot.http, bot.url, body, FORM)
        assert resp.status_code == 200
    await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "rp"])
    await asyncio.sleep(0.5)
    assert len([r for r in slack.responses if r["_name"] == "rp"]) == 1
    # a new invocation (its own trigger_id) still runs
    await post(bot.http, bot.url, command_body("search replay", slack.response_url("rp")), FORM)
    await slack.wait_for(lambda: len([r for r in slack.responses if r["_name"] == "rp"]) == 2)


# ------------------------------------------------------------------- item 22: bots, admins, event ids
async def test_other_bots_mentions_are_ignored_unless_allowed(bot, slack):  # noqa: F811
    event = {"type": "app_mention", "user": "U9", "bot_id": "B9", "text": "<@UBOT> who are the partners?",
             "ts": "8.1", "channel": "C1", "event_ts": "8.1"}
    await post(bot.http, bot.url, event_body(event, "Ev-bot1"), JSON)
    human = dict(event, bot_id=None, ts="8.2", event_ts="8.2")
    await post(bot.http, bot.url, event_body(human, "Ev-human"), JSON)
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    await asyncio.sleep(0.4)
    assert [c.params["thread_ts"] for c in slack.calls_to("chat.postMessage")] == ["8.2"]
    bot.rt.settings.answer_bots = True
    await post(bot.http, bot.url, event_body(dict(event, ts="8.3", event_ts="8.3"), "Ev-bot2"), JSON)
    await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) == 2)


async def test_digest_changes_can_be_admins_only(bot, slack):  # noqa: F811
    bot.rt.settings.digest_admins_only = True

    async def cmd(text, name, user):
        await post(bot.http, bot.url, command_body(text, slack.response_url(name), user_id=user, channel_id="CADM"),
                   FORM)
        return (await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == name]))[0]["text"]

    assert "Only launchbrief admins" in await cmd("digest daily 08:00 UTC", "u1", "U1")
    assert await bot.rt.store.subscription(channel_id="CADM") is None
    assert "Digest set" in await cmd("digest daily 08:00 UTC", "a1", "UADMIN")
    assert "Only launchbrief admins" in await cmd("digest off", "u2", "U1")
    assert await bot.rt.store.subscription(channel_id="CADM") is not None
    assert "no digest" not in (await cmd("digest", "u3", "U1")).lower()  # reading the settings stays open


@pytest.fixture
async def pg_bot(slack, pg_url):  # noqa: F811
    import httpx

    from bot.runtime import Runtime
    from bot.server import HTTPServer
    from bot.config import Settings

    from .slack_client import TOKEN

    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=slack.api_url, database_url=pg_url, allow_loopback_urls=True)
    rt = await Runtime.start(settings)
    srv = await HTTPServer(rt).start()
    srv.url = f"http://127.0.0.1:{srv.port}/slack/events"
    async with httpx.AsyncClient(timeout=10) as http:
        srv.http = http
        yield srv
    await srv.stop()
    await rt.close()


async def test_event_ids_and_trigger_ids_of_any_length_fit(pg_bot, slack):  # noqa: F811
    long_id = "Ev" + "X" * 300
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> what about zeppelins?", "ts": "7.1",
             "channel": "C1", "event_ts": "7.1"}
    for retry in (None, 1):
        resp, _ = await post(pg_bot.http, pg_bot.url, event_body(event, long_id), JSON, retry=retry)
        assert resp.status_code == 200
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    await asyncio.sleep(0.4)
    assert len(slack.calls_to("chat.postMessage")) == 1  # deduplicated, and stored without an error
    body = command_body("search zeppelin", slack.response_url("lt"), trigger_id="9" * 200)
    for _ in range(2):
        await post(pg_bot.http, pg_bot.url, body, FORM)
    await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "lt"])
    await asyncio.sleep(0.4)
    assert len([r for r in slack.responses if r["_name"] == "lt"]) == 1
