"""Issue 9, Slack side: what a real workspace sends (signed requests, Slack's escaping, Web API errors)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest

from .slack_client import FORM, JSON, SECRET, command_body, post
from .test_bot import bot, slack  # noqa: F401  (fixtures)


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
