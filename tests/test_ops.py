"""Running it: /readyz (503 naming the failed check, 200 when it recovers), /metrics moving with real traffic,
one-line logs (JSON with the request id), the quiet third-party loggers."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import observability
from bot.runtime import Runtime
from bot.digests.scheduler import DigestScheduler
from bot.server import HTTPServer
from bot.config import Settings
from briefings.engine import SAMPLE_ARTICLE

from .conftest import _pg_admin
from .slack_client import FORM, SECRET, TOKEN, command_body, post
from .slack_double import SlackDouble


@pytest.fixture
async def slack():
    double = await SlackDouble().start()
    yield double
    await double.stop()


async def start_bot(slack: SlackDouble, database_url: str, token: str = TOKEN, scheduler: bool = True):
    settings = Settings(_env_file=None, slack_bot_token=token, slack_signing_secret=SECRET,
                        slack_api_url=slack.api_url, database_url=database_url, allow_loopback_urls=True,
                        poll_minutes=0, fetch_total_timeout=5)
    rt = await Runtime.start(settings)
    server = await HTTPServer(rt).start()
    if scheduler:
        await DigestScheduler(rt, poll_every=timedelta(0), pace=0).start()
    server.base = f"http://127.0.0.1:{server.port}"
    return rt, server


def sample(families, name: str, **labels) -> float:
    for fam in families:
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


async def scrape(http: httpx.AsyncClient, base: str):
    resp = await http.get(base + "/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    return list(text_string_to_metric_families(resp.text))


async def test_readyz_is_503_with_the_database_down_and_200_when_it_is_back(slack, pg_url):
    rt, server = await start_bot(slack, pg_url)
    name = pg_url.rsplit("/", 1)[1]
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            ready = await http.get(server.base + "/readyz")
            assert ready.status_code == 200, ready.text
            body = ready.json()
            assert body["ready"] is True and body["failed"] == []
            assert body["checks"]["slack"]["team_id"] == "T1" and body["checks"]["scheduler"]["ok"]

            # the database goes away: no new connections, existing ones killed
            await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            down = await http.get(server.base + "/readyz")
            assert down.status_code == 503
            assert down.json()["failed"] == ["database"] and down.json()["checks"]["database"]["error"]
            assert (await http.get(server.base + "/healthz")).status_code == 200  # alive all the same
            families = await scrape(http, server.base)
            assert sample(families, "launchbrief_ready") == 0

            await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            back = await http.get(server.base + "/readyz")
            assert back.status_code == 200 and back.json()["ready"] is True
            assert sample(await scrape(http, server.base), "launchbrief_ready") == 1
            # auth.test is cached: three probes, one call
            assert len(slack.calls_to("auth.test")) == 1
    finally:
        await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await server.stop()
        await rt.close()


async def test_readyz_names_a_stopped_scheduler_and_a_rejected_token(slack, tmp_path):
    before = observability.SLACK_API_ERRORS.labels("auth.test", "not_authed")._value.get()
    rt, server = await start_bot(slack, f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}", token="xoxp-not-a-bot",
                                 scheduler=False)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.get(server.base + "/readyz")
            assert resp.status_code == 503
            body = resp.json()
            assert body["failed"] == ["scheduler", "slack"]
            assert body["checks"]["slack"]["error"] == "not_authed" and body["checks"]["database"]["ok"]
            families = await scrape(http, server.base)
            assert sample(families, "launchbrief_slack_api_errors_total", method="auth.test",
                          error="not_authed") == before + 1
            rt.closing = True  # shutting down: not ready, whatever the checks say
            resp = await http.get(server.base + "/readyz")
            assert resp.status_code == 503 and resp.json()["failed"] == ["shutting_down"]
    finally:
        await server.stop()
        await rt.close()


async def test_metrics_move_when_commands_are_handled(slack, server, tmp_path):
    rt, bot = await start_bot(slack, f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")
    events = bot.base + "/slack/events"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            m0 = await scrape(http, bot.base)
            assert sample(m0, "launchbrief_event_loop_lag_seconds") >= 0
            resp, _ = await post(http, events, command_body("help", slack.response_url("h")), FORM)
            assert resp.status_code == 200
            resp, _ = await post(http, events, command_body("help", slack.response_url("x")), FORM, secret="wrong")
            assert resp.status_code == 401

            url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
            await post(http, events, command_body(url, slack.response_url("b")), FORM)
            await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "b"], timeout=30)

            await post(http, events, command_body("digest daily 08:00 UTC", slack.response_url("d1")), FORM)
            await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d1"])
            await post(http, events, command_body("digest now", slack.response_url("d2")), FORM)
            await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d2"])

            m1 = await scrape(http, bot.base)

            def moved(name, **labels):
                return sample(m1, name, **labels) - sample(m0, name, **labels)

            assert moved("launchbrief_slack_requests_total", kind="command", status="200") == 4
            assert moved("launchbrief_slack_requests_total", kind="command", status="401") == 1
            assert moved("launchbrief_slack_ack_seconds_count", kind="command") == 5
            assert moved("launchbrief_slack_ack_seconds_bucket", kind="command", le="3.0") == 5  # acks under 3 s
            assert moved("launchbrief_briefs_total", source="on_demand") == 1
            assert moved("launchbrief_brief_seconds_count", source="on_demand") == 1
            # the digest has the sample article (stored just now) to post
            assert moved("launchbrief_digests_total", outcome="posted", reason="") == 1
            await post(http, events, command_body("digest now", slack.response_url("d3")), FORM)
            await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "d3"])
            m2 = await scrape(http, bot.base)
            # posted again within the second (the same "now" slot: already on its way) or nothing new: a skip
            skipped = [sample(m, "launchbrief_digests_total", outcome="skipped", reason=r)
                       for m in (m1, m2) for r in ("already", "empty")]
            assert sum(skipped[2:]) - sum(skipped[:2]) == 1
            assert moved("launchbrief_digests_total", outcome="failed", reason="") == 0
    finally:
        await bot.stop()
        await rt.close()


@pytest.fixture
def log_stream():
    """Route the root logger into a buffer, and put pytest's own handlers back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    yield stream
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])


async def test_json_logs_carry_the_request_id_into_background_work(log_stream):
    observability.configure_logging("json", "INFO", stream=log_stream)
    log = logging.getLogger("launchbrief.test")

    async def background():
        await asyncio.sleep(0)
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            log.exception("work failed")

    token = observability.bind(request_id="r1", event_id="Ev9")
    task = asyncio.ensure_future(background())  # spawned while handling the request
    observability.unbind(token)
    log.info("outside any request")
    await task
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 2  # one line per event, traceback included
    first, second = (json.loads(x) for x in lines)
    assert first["msg"] == "outside any request" and "request_id" not in first
    assert second["request_id"] == "r1" and second["event_id"] == "Ev9" and second["level"] == "ERROR"
    assert "ValueError: boom" in second["exc"]


def test_text_logs_are_one_line_and_noisy_loggers_are_quiet(log_stream):
    observability.configure_logging("text", "INFO", stream=log_stream)
    try:
        raise RuntimeError("a\nb")
    except RuntimeError:
        logging.getLogger("launchbrief.test").exception("failed")
    assert len(log_stream.getvalue().splitlines()) == 1 and "RuntimeError: a | b" in log_stream.getvalue()
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.WARNING)

    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    AsyncApp(token="xoxb-x", client=AsyncWebClient(token="xoxb-x"), signing_secret="s")  # Bolt's token warning
    assert "token" not in log_stream.getvalue()
    logging.getLogger("slack_bolt.AsyncApp").warning("something else")
    assert "something else" in log_stream.getvalue()


async def test_socket_mode_serves_the_probes_and_metrics_on_port(slack, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from .test_bot_process import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_", "LOG_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-test-token", "SLACK_API_URL": slack.api_url,
                "LAUNCHBRIEF_POLL_MINUTES": "0", "PORT": str(port), "HOST": "127.0.0.1",
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'socket.sqlite3'}"})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        await slack.wait_for(lambda: slack.sockets, timeout=40)
        async with httpx.AsyncClient(timeout=5) as http:
            deadline, ready = asyncio.get_running_loop().time() + 30, None
            while asyncio.get_running_loop().time() < deadline:
                ready = await http.get(f"http://127.0.0.1:{port}/readyz")
                if ready.status_code == 200:
                    break
                await asyncio.sleep(0.2)
            assert ready.status_code == 200 and ready.json()["checks"]["scheduler"]["ok"]
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            assert "launchbrief_event_loop_lag_seconds" in (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_event_loop_lag_shows_a_blocked_loop():
    import time

    def total() -> tuple[float, float]:
        return observability.LOOP_LAG_HIST._sum.get(), sum(b.get() for b in observability.LOOP_LAG_HIST._buckets)

    task = asyncio.ensure_future(observability.watch_loop_lag(0.05))
    try:
        await asyncio.sleep(0.12)
        lag0, n0 = total()
        time.sleep(0.3)  # something blocks the loop (CPU work that should have gone to a thread)
        await asyncio.sleep(0.12)
        lag1, n1 = total()
        assert 0.2 <= lag1 - lag0 < 1.0 and n1 - n0 >= 2
    finally:
        task.cancel()


async def test_feed_poll_metrics_count_polls_failures_and_new_briefs(slack, server, tmp_path):
    from .test_store_ingest import STORIES, publish

    rt, bot = await start_bot(slack, f"sqlite+aiosqlite:///{tmp_path / 'f.sqlite3'}", scheduler=False)
    try:
        await rt.store.add_feed(publish(server))
        await rt.store.add_feed(server.url("/missing.xml"))  # answers 404
        scheduler = DigestScheduler(rt, poll_every=timedelta(0), pace=0)
        before = (observability.FEED_POLLS._value.get(), observability.FEED_POLL_FAILURES._value.get(),
                  observability.BRIEFS.labels("feed")._value.get())
        await scheduler._poll()
        after = (observability.FEED_POLLS._value.get(), observability.FEED_POLL_FAILURES._value.get(),
                 observability.BRIEFS.labels("feed")._value.get())
        assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (2, 1, len(STORIES))
    finally:
        await bot.stop()
        await rt.close()
