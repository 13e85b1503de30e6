"""Digest fan-out: N subscribed channels due at once, a share of posts answered 429, in one run.

Each channel's digest is long enough to need a parent message plus thread replies, so per-channel pacing
(about one message a second, Slack's limit) matters. The loopback Slack double (its own process) answers RATIO of
chat.postMessage calls with 429 and Retry-After: 1.

The pacing floor is the least time the run could take given what the double answered: for each channel,
pace x (messages - 1) + the Retry-After seconds served to it; the floor is the largest of those.
Printed: total time, the floor, their ratio (goal <= 1.2), and lost / duplicate digests (goal 0 and 0).

Usage: python bench/digest_fanout.py [--channels 200] [--ratio 0.05] [--pace 1.0] [--stories 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.runtime import Runtime  # noqa: E402
from bot.digests.scheduler import DigestScheduler  # noqa: E402
from bot.config import Settings  # noqa: E402
from briefings.engine import brief_text  # noqa: E402
from briefings.models import Article  # noqa: E402
from tests.slack_client import SECRET, TOKEN  # noqa: E402
import httpx  # noqa: E402

PARTNERS = ["Rocket Lab", "Arianespace", "JAXA", "Isar Aerospace", "SpaceX", "Orbex", "ISRO", "Firefly Aerospace"]
WORDS = ("resilience cadence payload fairing booster range licence budget sovereign constellation polar "
         "equatorial rideshare engine test pad crew cargo lunar customer award europe asia pacific arctic "
         "defence capacity reusable upper stage weather window schedule delay regulator congress parliament "
         "minister treaty export insurance orbit debris tracking telemetry ground station antenna").split()
SITES = ["Andøya Spaceport in Norway", "the Guiana Space Centre in Kourou, France", "Tanegashima Space Center in Japan",
         "SaxaVord Spaceport in the UK", "Esrange Space Center in Sweden", "Satish Dhawan Space Centre in India"]


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=200)
    ap.add_argument("--ratio", type=float, default=0.05)
    ap.add_argument("--pace", type=float, default=1.0)
    ap.add_argument("--stories", type=int, default=30)
    args = ap.parse_args()

    # the Slack double runs in its own process: Slack's work is not ours, so it must not share our CPU
    double = subprocess.Popen([sys.executable, "-m", "tests.slack_double", str(args.ratio)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    api_port, state_port = map(int, double.stdout.readline().split())
    tmp = tempfile.mkdtemp()
    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=f"http://127.0.0.1:{api_port}/api/",
                        database_url=f"sqlite+aiosqlite:///{tmp}/fanout.sqlite3")
    rt = await Runtime.start(settings)
    rng = random.Random(7)
    for i in range(args.stories):
        partner, site = PARTNERS[i % len(PARTNERS)], SITES[i % len(SITES)]
        # distinct stories (no two near-duplicates), so each is its own line in the digest
        filler = " ".join(rng.choices(WORDS, k=40))
        text = (f"{partner} signed a launch agreement to fly from {site}, officials said. {filler}. "
                f"The partnership covers launches to polar orbit and the agency called it a launch policy milestone.")
        art = Article(url=f"https://news.example/story-{i}", source="bench", site_name=f"Site {i % 7}",
                      title=f"{partner} agreement {i} for launches from {site.split(' in ')[0]}", text=text)
        await rt.store.save(art, brief_text(f"{art.title}\n\n{text}", source="bench"))
    subs = [await rt.store.upsert_subscription("T1", f"C{i:04d}", cron="0 8 * * *", timezone="UTC", text="daily")
            for i in range(args.channels)]
    for s in subs:
        await rt.store.update_subscription(s.id, cursor_article_id=0)
    sched = DigestScheduler(rt, pace=args.pace)
    slot = datetime.now(UTC).replace(second=0, microsecond=0)

    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(sched.poster.run_slot(s.id, slot) for s in subs))
    elapsed = time.perf_counter() - t0
    # the same slot again (a second replica, a retry): must post nothing
    again = await asyncio.gather(*(sched.poster.run_slot(s.id, slot) for s in subs))

    async with httpx.AsyncClient() as http:
        state = (await http.get(f"http://127.0.0.1:{state_port}/_state")).json()
    double.terminate()
    posted = state["messages"]
    per_channel = {s.channel_id: len([m for m in posted.get(s.channel_id, []) if not m.get("thread_ts")])
                   for s in subs}
    messages = {s.channel_id: len(posted.get(s.channel_id, [])) for s in subs}
    floor = max(args.pace * (messages[c] - 1) + state["served_429"].get(c, 0) for c in per_channel)
    lost = sum(1 for n in per_channel.values() if n == 0)
    dup = sum(n - 1 for n in per_channel.values() if n > 1)
    n429 = state["calls"].get("chat.postMessage", 0) - sum(messages.values())
    await rt.close()

    print(f"{args.channels} channels due at once, {args.stories} new stories each "
          f"({max(messages.values())} messages per digest: parent + thread), pace {args.pace:g} s/message/channel, "
          f"{args.ratio:.0%} of posts answered 429 (Retry-After 1 s)\n")
    print(f"posted: {sum(1 for o in outcomes if o == 'posted')}  second run of the same slot: "
          f"{sum(1 for o in again if o == 'already')} already claimed")
    print(f"messages: {sum(messages.values())}  429 answers: {n429}")
    print(f"total time {elapsed:.2f} s; pacing floor {floor:.2f} s; ratio {elapsed / floor:.2f}x  (goal <= 1.2)")
    print(f"lost digests: {lost}   duplicate digests: {dup}   (goal 0 and 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
