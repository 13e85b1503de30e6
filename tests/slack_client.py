"""Requests signed exactly as Slack signs them (v0 HMAC-SHA256 of ``v0:timestamp:body``), sent over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlencode

import httpx

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


def sign(body: str, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers(body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET,
            signed: bool = True, retry: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    h = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts)}
    if signed:
        h["X-Slack-Signature"] = sign(body, ts, secret)
    if retry is not None:
        h["X-Slack-Retry-Num"] = str(retry)
        h["X-Slack-Retry-Reason"] = "http_timeout"
    return h


def command_body(text: str, response_url: str, *, user_id: str = "U1", channel_id: str = "C1",
                 trigger_id: str | None = None) -> str:
    """A slash command as Slack sends it; every invocation has its own trigger_id (as in Slack)."""
    trigger_id = trigger_id or f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
    return urlencode({"token": "legacy", "team_id": "T1", "team_domain": "test", "channel_id": channel_id,
                      "channel_name": "launch-policy", "user_id": user_id, "user_name": "analyst",
                      "command": "/launchbrief", "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
                      "response_url": response_url, "trigger_id": trigger_id})


def event_body(event: dict, event_id: str = "Ev1") -> str:
    return json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "event": event,
                       "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                       "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})


def action_body(action_id: str, value: str, response_url: str, user_id: str = "U1") -> str:
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": user_id}, "api_app_id": "A1",
               "container": {"type": "message"}, "trigger_id": "1.2.3", "channel": {"id": "C1"},
               "response_url": response_url,
               "actions": [{"action_id": action_id, "block_id": "b1", "value": value, "type": "button",
                            "action_ts": str(time.time())}]}
    return urlencode({"payload": json.dumps(payload)})


async def post(client: httpx.AsyncClient, url: str, body: str, content_type: str, **kw) -> tuple[httpx.Response, float]:
    t0 = time.perf_counter()
    resp = await client.post(url, content=body.encode(), headers=headers(body, content_type, **kw))
    return resp, time.perf_counter() - t0


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
