"""A small Slack Web API double served on loopback.

It records every call, enforces Slack's message limits the way Slack does (``invalid_blocks`` /
``no_text``), answers 429 with Retry-After when told to, and receives ``response_url`` posts.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float


def check_message(payload: dict[str, Any], *, needs_text: bool = True) -> str | None:
    """Slack's limits: 50 blocks, 3,000 chars per section text/field, 150 per header, fallback text."""
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if needs_text and blocks and not (payload.get("text") or "").strip():
        return "no_text"
    if not blocks and not (payload.get("text") or "").strip() and needs_text:
        return "no_text"
    if len(blocks) > 50:
        return "invalid_blocks"
    for b in blocks:
        if b.get("type") == "section":
            if len((b.get("text") or {}).get("text", "")) > 3000:
                return "invalid_blocks"
            for f in b.get("fields") or []:
                if len(f.get("text", "")) > 2000:
                    return "invalid_blocks"
        if b.get("type") == "header" and len((b.get("text") or {}).get("text", "")) > 150:
            return "invalid_blocks"
        if b.get("type") == "context" and len(b.get("elements") or []) > 10:
            return "invalid_blocks"
    return None


@dataclass
class SlackDouble:
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    rate_limit: dict[str, list[int]] = field(default_factory=dict)  # method -> Retry-After values to answer first
    replies: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    users: dict[str, dict] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (method, error) answered
    messages: dict[str, list[dict]] = field(default_factory=dict)  # channel -> posted messages (newest last)
    served_429: dict[str, float] = field(default_factory=dict)  # channel -> Retry-After seconds served
    rate_limit_ratio: float = 0.0  # answer this share of chat.postMessage calls with 429
    # Web API errors on demand: method -> error, or (method, channel) -> error, answered every time
    # (e.g. "not_in_channel", "missing_scope", "channel_not_found", "is_archived", "account_inactive")
    fail: dict[Any, str] = field(default_factory=dict)
    channels: dict[str, dict] = field(default_factory=dict)  # conversations.info answers (default: a member)
    _rng_state: int = 12345
    sockets: list = field(default_factory=list)  # open Socket Mode connections (aiohttp WebSocketResponse)
    socket_acks: list[dict] = field(default_factory=list)  # what the app sent back over Socket Mode
    port: int = 0
    _ts: int = 0
    _runner: web.AppRunner | None = None
    _event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), timeout=0.05)
            except TimeoutError:
                pass
        raise AssertionError("the Slack double did not see the expected call in time")

    def _draw(self) -> float:
        """A repeatable pseudo-random draw (so a 429 storm is the same on every run)."""
        self._rng_state = (self._rng_state * 1103515245 + 12345) % 2**31
        return self._rng_state / 2**31

    def top_level(self, channel: str) -> list[dict]:
        return [m for m in self.messages.get(channel, []) if not m.get("thread_ts")]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        ctype = request.headers.get("Content-Type", "")
        if "json" in ctype:
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode()))
        params.update(dict(request.query))
        for key in ("blocks", "view", "attachments", "metadata"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except json.JSONDecodeError:
                    pass
        return params

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params, dict(request.headers), time.monotonic()))
        self._event.set()
        pending = self.rate_limit.get(method)
        retry = pending.pop(0) if pending else None
        if retry is None and method == "chat.postMessage" and self.rate_limit_ratio and self._draw() < \
                self.rate_limit_ratio:
            retry = 1
        if retry is not None:
            channel = str(params.get("channel"))
            self.served_429[channel] = self.served_429.get(channel, 0) + retry
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(retry)})
        if method == "apps.connections.open":  # Socket Mode: an app-level token buys a websocket URL
            if not request.headers.get("Authorization", "").startswith("Bearer xapp-"):
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if not request.headers.get("Authorization", "").startswith("Bearer xoxb-"):
            return web.json_response({"ok": False, "error": "not_authed"})
        failure = self.fail.get((method, str(params.get("channel")))) or self.fail.get(method)
        if failure:
            self.errors.append((method, failure))
            return web.json_response({"ok": False, "error": failure})
        if method == "conversations.info":
            channel = str(params.get("channel"))
            info = {"id": channel, "is_channel": True, "is_private": False, "is_archived": False, "is_member": True}
            info.update(self.channels.get(channel, {}))
            return web.json_response({"ok": True, "channel": info})
        if method in MESSAGE_METHODS:
            error = check_message(params)
            if error:
                self.errors.append((method, error))
                return web.json_response({"ok": False, "error": error})
            for key in ("link_names", "parse"):
                if params.get(key) in (True, "true", "1", 1, "full"):
                    self.errors.append((method, f"forbidden {key}"))
            self._ts += 1
            ts = f"{time.time():.0f}.{self._ts:06d}"
            message = {"ts": ts, "text": params.get("text"), "blocks": params.get("blocks"),
                       "thread_ts": params.get("thread_ts"), "metadata": params.get("metadata"),
                       "unfurl_links": params.get("unfurl_links")}
            self.messages.setdefault(str(params.get("channel")), []).append(message)
            return web.json_response({"ok": True, "channel": params.get("channel"), "ts": ts,
                                      "message": {"text": params.get("text")}})
        if method == "views.publish":
            view = params.get("view") or {}
            error = check_message({"blocks": view.get("blocks"), "text": "x"}, needs_text=False)
            if error or len(view.get("blocks") or []) > 100:
                self.errors.append((method, error or "invalid_blocks"))
                return web.json_response({"ok": False, "error": error or "invalid_blocks"})
            return web.json_response({"ok": True, "view": {"id": "V1"}})
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "B1",
                                      "url": "https://example.slack.com/", "team": "Test", "user": "launchbrief"})
        if method == "conversations.replies":
            msgs = self.replies.get((params.get("channel"), params.get("ts")), [])
            return web.json_response({"ok": True, "messages": msgs, "has_more": False})
        if method == "users.info":
            user = self.users.get(params.get("user"), {"id": params.get("user"), "tz": "UTC"})
            return web.json_response({"ok": True, "user": user})
        if method == "conversations.history":
            oldest = float(params.get("oldest") or 0)
            msgs = [m for m in reversed(self.messages.get(str(params.get("channel")), []))
                    if float(m["ts"]) >= oldest and not m.get("thread_ts")]
            if str(params.get("include_all_metadata")).lower() not in ("true", "1"):
                msgs = [{k: v for k, v in m.items() if k != "metadata"} for m in msgs]
            return web.json_response({"ok": True, "messages": msgs, "has_more": False})
        return web.json_response({"ok": True})

    async def response(self, request: web.Request) -> web.Response:
        payload = json.loads(await request.read() or b"{}")
        payload["_name"] = request.match_info["name"]
        payload["_at"] = time.monotonic()
        error = check_message(payload)
        if error:
            self.errors.append(("response_url", error))
            return web.Response(status=400, text=error)
        self.responses.append(payload)
        self._event.set()
        return web.Response(text="ok")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "double", "approximate_connection_time": 3600}})
        self.sockets.append(ws)
        self._event.set()
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
                self._event.set()
        self.sockets.remove(ws)
        return ws

    async def send_envelope(self, envelope_type: str, payload: dict, *, envelope_id: str,
                            retry_attempt: int = 0) -> None:
        """Deliver a Socket Mode envelope to the connected app, as Slack would."""
        body = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                "accepts_response_payload": envelope_type != "events_api", "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else ""}
        await self.sockets[-1].send_json(body)

    async def start(self) -> SlackDouble:
        app = web.Application()
        app.router.add_get("/socket", self.socket)
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)
        app.router.add_post("/response/{name}", self.response)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


async def _serve_forever(ratio: float) -> None:  # pragma: no cover - used by bench/ as a separate process
    double = SlackDouble(rate_limit_ratio=ratio)

    async def state(_request: web.Request) -> web.Response:
        return web.json_response({"messages": double.messages, "served_429": double.served_429,
                                  "calls": {m: len(double.calls_to(m)) for m in {c.method for c in double.calls}}})

    await double.start()
    app = web.Application()
    app.router.add_get("/_state", state)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"{double.port} {site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    import sys

    asyncio.run(_serve_forever(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0))
