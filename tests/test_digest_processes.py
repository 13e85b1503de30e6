"""Exactly once across crashes and replicas: the bot as real processes, killed and restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from briefings.store.repo import Store

from .slack_client import SECRET, TOKEN
from .slack_double import SlackDouble
from .test_bot_process import free_port
from .test_digest import add_stories


def bot_env(slack: SlackDouble, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
                "PORT": str(free_port()), "HOST": "127.0.0.1", "DATABASE_URL": db_url,
                "LAUNCHBRIEF_POLL_MINUTES": "0", "LAUNCHBRIEF_DIGEST_LEASE_SECONDS": "1",
                "LAUNCHBRIEF_DIGEST_PACE_SECONDS": "0.1"})
    env.update(extra)
    return env


def start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def subscribe_with_missed_slot(db_url: str, channels: list[str]) -> None:
    """Subscriptions whose latest hourly slot passed while 'the bot was down' (within the catch-up bound)."""
    store = await Store.open(db_url)
    try:
        await add_stories(store)
        for ch in channels:
            sub = await store.upsert_subscription("T1", ch, cron="0 * * * *", timezone="UTC", text="hourly")
            await store.update_subscription(sub.id, created_at=datetime.now(UTC) - timedelta(hours=2),
                                            cursor_article_id=0)
    finally:
        await store.close()


async def wait_serving(env: dict[str, str], timeout: float = 60) -> None:
    """Until the bot answers /healthz: only then are its SIGTERM handlers installed (a loaded machine can take
    seconds just to import it, and a SIGTERM before that kills it with -15)."""
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"http://127.0.0.1:{env['PORT']}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)


async def wait_exit(proc: subprocess.Popen, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    return proc.wait()


@pytest.mark.parametrize("failpoint", ["after_claim", "after_post", "after_confirm"])
async def test_sigkill_between_claim_post_and_confirm_then_restart(tmp_path, failpoint):
    slack = await SlackDouble().start()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    await subscribe_with_missed_slot(db_url, ["CCRASH"])
    try:
        proc = start(bot_env(slack, db_url, LAUNCHBRIEF_FAILPOINT=failpoint))
        assert await wait_exit(proc) == -signal.SIGKILL  # it died at the failpoint
        posted_before = len(slack.top_level("CCRASH"))
        assert posted_before == (0 if failpoint == "after_claim" else 1)
        await asyncio.sleep(1.2)  # let the claim's lease (1 s in this test) run out
        env = bot_env(slack, db_url)
        proc = start(env)
        await wait_serving(env)
        await slack.wait_for(lambda: len(slack.top_level("CCRASH")) >= 1, timeout=30)
        await asyncio.sleep(2.5)  # recovery and catch-up have run; give a duplicate every chance to appear
        proc.send_signal(signal.SIGTERM)
        assert await wait_exit(proc) == 0
        assert len(slack.top_level("CCRASH")) == 1
        store = await Store.open(db_url)
        rows = [r for r in await store.ledger() if r.state != "skipped"]
        await store.close()
        assert len(rows) == 1 and rows[0].state == "posted" and rows[0].message_ts
    finally:
        await slack.stop()


async def test_two_replicas_on_postgresql_post_each_slot_once(pg_url):
    db_url = pg_url
    slack = await SlackDouble().start()
    channels = [f"CREP{i}" for i in range(6)]
    await subscribe_with_missed_slot(db_url, channels)
    envs = [bot_env(slack, db_url) for _ in range(2)]
    procs = [start(env) for env in envs]
    try:
        for env in envs:
            await wait_serving(env)
        await slack.wait_for(lambda: all(slack.top_level(c) for c in channels), timeout=40)
        await asyncio.sleep(3)
        for c in channels:
            assert len(slack.top_level(c)) == 1, c
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            assert await wait_exit(p) == 0
        await slack.stop()
