"""Runners: HTTP mode (aiohttp's production server: AppRunner + TCPSite) or Socket Mode.

HTTP mode serves ``POST /slack/events`` (commands, events, interactivity) and ``GET /healthz``.
SIGTERM/SIGINT: stop accepting requests, let in-flight work finish (bounded), close clients.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
import threading
import time
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.async_app import AsyncApp

from bot.config import Settings

from bot import oauth, observability
from bot.app import create_app
from bot.runtime import Runtime

log = logging.getLogger("launchbrief.bot")


MAX_SKEW = 5 * 60  # Slack's replay window: older (or future) timestamps are refused


def verify_signature(secret: str | None, raw: bytes, timestamp: str | None, signature: str | None,
                     now: float | None = None) -> str | None:
    """Check Slack's v0 signature over the raw bytes, before anything is parsed. None when valid, else why not."""
    if not secret:
        return "no signing secret configured"
    if not timestamp or not signature:
        return "unsigned request"
    try:
        ts = int(timestamp.strip())
    except ValueError:
        return "timestamp is not a number"
    if abs((now if now is not None else time.time()) - ts) > MAX_SKEW:
        return "stale timestamp"
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + str(ts).encode() + b":" + raw, hashlib.sha256).hexdigest()
    # compare bytes: a non-ASCII signature header must be a mismatch, not a TypeError
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


def check_body(text: str, content_type: str) -> str | None:
    """A signed body Bolt can parse: JSON for events, a form (with a JSON ``payload`` if any) otherwise."""
    try:
        if "json" in content_type.lower() or text.lstrip().startswith("{"):
            if not isinstance(json.loads(text), dict):
                return "JSON body is not an object"
            return None
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form and not isinstance(json.loads(form["payload"][0]), dict):
            return "payload is not a JSON object"
    except (ValueError, TypeError):
        return "body does not parse"
    return None


def web_app(bolt: AsyncApp, rt: Runtime) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        if rt.closing:
            return web.Response(status=503, text="shutting down")
        # Verify first, parse after: an unauthenticated request never reaches a parser (so never a 500).
        raw = await request.read()
        why = verify_signature(rt.settings.slack_signing_secret, raw,
                               request.headers.get("X-Slack-Request-Timestamp"),
                               request.headers.get("X-Slack-Signature"))
        if why:
            log.warning("refused a request to /slack/events from %s: %s", request.remote, why)
            return web.Response(status=401, text="invalid request")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        why = "body is not UTF-8" if text is None else check_body(text, request.headers.get("Content-Type", ""))
        if why:
            log.warning("refused a signed request to /slack/events from %s: %s", request.remote, why)
            return web.Response(status=400, text="malformed request")
        bolt_request = AsyncBoltRequest(body=text or "", query=request.query_string, headers=dict(request.headers))
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def health(_request: web.Request) -> web.Response:
        ok = not rt.closing
        return web.json_response({"ok": ok, "in_flight": len(rt.tasks)}, status=200 if ok else 503)

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", health)
    observability.install(app, rt)  # /readyz, /metrics, request metrics and ids in the logs
    oauth.install_routes(app, bolt)  # GET /slack/install and /slack/oauth_redirect in OAuth mode
    return app


class HTTPServer:
    """The bot as a real HTTP server; tests start it on port 0 and read :attr:`port`."""

    def __init__(self, rt: Runtime, host: str = "127.0.0.1", port: int = 0):
        self.rt, self.host, self.port = rt, host, port
        self.bolt = create_app(rt)
        self.runner = web.AppRunner(web_app(self.bolt, rt), access_log=None)

    async def start(self) -> HTTPServer:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        server = site._server  # the bound port when 0 was asked for
        if isinstance(server, asyncio.Server):
            self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.rt.closing = True
        await self.runner.shutdown()
        await self.rt.drain()
        await self.runner.cleanup()


async def serve(settings: Settings, stop_requested: threading.Event | None = None) -> None:
    """``stop_requested``: set by a SIGTERM/SIGINT caught while starting (imports, migrations): stop at once."""
    observability.configure_from_settings(settings)  # one line per event; JSON when LOG_FORMAT=json
    rt = await Runtime.start(settings)
    from bot.digests.scheduler import DigestScheduler

    scheduler = DigestScheduler(rt, pace=settings.digest_pace_seconds)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stop_requested is not None and stop_requested.is_set():
        stop.set()  # e.g. `docker stop` right after start: start, then shut down cleanly
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            from slack_sdk.web.async_client import AsyncWebClient

            # apps.connections.open goes to SLACK_API_URL too (tests point it at a loopback double)
            handler = AsyncSocketModeHandler(create_app(rt), settings.slack_app_token,
                                             web_client=AsyncWebClient(base_url=rt.client.base_url))
            await handler.connect_async()
            log.info("launchbrief connected in Socket Mode")
            probes = web.AppRunner(observability.ops_app(rt), access_log=None)  # /healthz /readyz /metrics
            await probes.setup()
            try:
                await web.TCPSite(probes, settings.host, settings.port).start()
            except OSError as exc:  # Socket Mode does not need the port: run on, without probes
                log.warning("probes not served on %s:%d: %s", settings.host, settings.port, exc)
            rt.spawn(scheduler.start(), "scheduler start")  # recovery and catch-up may take a while
            await stop.wait()
            await handler.close_async()
            await probes.cleanup()
        else:
            server = await HTTPServer(rt, settings.host, settings.port).start()
            log.info("launchbrief listening on http://%s:%d/slack/events", settings.host, server.port)
            # serve first: recovery and catch-up (paced posting) must not keep Slack's requests waiting
            rt.spawn(scheduler.start(), "scheduler start")
            await stop.wait()
            log.info("shutting down")
            await server.stop()
    finally:
        await rt.close()
