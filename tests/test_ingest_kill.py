"""SIGKILL in the middle of `launchbrief ingest`, then run it again: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from briefings.store import models as m
from briefings.store.repo import Store

from .conftest import html_page
from .test_store_ingest import rss

N = 16


def _env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHBRIEF_")}
    env.update({"DATABASE_URL": db_url, "LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true"})
    return env


async def _counts(db_url: str) -> tuple[int, int, int, int]:
    store = await Store.open(db_url)
    try:
        async with store.session() as s:
            arts = (await s.execute(select(func.count(m.Article.id)))).scalar_one()
            distinct = (await s.execute(select(func.count(func.distinct(m.Article.entry_id))))).scalar_one()
            analyses = (await s.execute(select(func.count(m.Analysis.id)))).scalar_one()
            mentions = (await s.execute(select(func.count(m.PartnerMention.id)))).scalar_one()
        return arts, distinct, analyses, mentions
    finally:
        await store.close()


async def test_sigkill_mid_ingest_then_rerun(server, db_url):
    items = []
    for i in range(N):
        url = server.add(f"/news/story-{i}", html_page(f"Launch story {i}", [
            f"Rocket Lab will launch mission {i} for the Space Development Agency from Launch Complex 1 in "
            f"New Zealand, the company said in statement number {i}.",
            f"The Electron rocket is scheduled to fly mission {i} from the Mahia Peninsula spaceport.",
        ]), delay=0.4)
        items.append((f"Launch story {i}", url, f"story-{i}"))
    feed = server.add("/feed.xml", rss(items), headers={"Content-Type": "application/rss+xml"})

    store = await Store.open(db_url)
    await store.add_feed(feed)
    await store.close()

    cmd = [sys.executable, "-m", "bot.cli", "ingest", "--per-host", "2"]
    proc = subprocess.Popen(cmd, env=_env(db_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        stored = (await _counts(db_url))[0]
        if stored >= 3:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    killed_at = (await _counts(db_url))[0]
    assert 3 <= killed_at < N, f"kill landed at {killed_at} of {N}; the test needs it mid-run"

    # the feed is still due (its ETag/next poll were not recorded), so a plain re-run picks it up
    done = subprocess.run(cmd, env=_env(db_url), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    arts, distinct, analyses, mentions = await _counts(db_url)
    assert arts == distinct == analyses == N
    assert mentions >= N  # partners stored once per article, not twice
    # and once more: nothing new, nothing duplicated
    again = subprocess.run(cmd, env=_env(db_url), capture_output=True, timeout=120)
    assert again.returncode == 0
    assert await _counts(db_url) == (arts, distinct, analyses, mentions)
