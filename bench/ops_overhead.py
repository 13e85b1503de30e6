"""What observability costs an ack: signed `/launchbrief help` commands (answered in the ack itself, so the
request is Bolt's signature check plus our middleware) against two copies of the bot's aiohttp app in the same
process, the same run: one with the request-metrics middleware (as shipped), one with it removed (baseline).
Rounds alternate A/B so machine noise hits both. Also: GET /metrics and GET /readyz (auth.test cached) latency.

Usage: python bench/ops_overhead.py [--n 300] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from aiohttp import web  # noqa: E402

from bot import observability  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.digests.scheduler import DigestScheduler  # noqa: E402
from bot.server import web_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.slack_client import FORM, SECRET, TOKEN, command_body, headers  # noqa: E402
from tests.slack_double import SlackDouble  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


async def timed(http: httpx.AsyncClient, method: str, url: str, body: str | None = None) -> float:
    t0 = time.perf_counter()
    if body is None:
        resp = await http.get(url)
    else:
        resp = await http.post(url, content=body.encode(), headers=headers(body, FORM))
    assert resp.status_code == 200, resp.text
    return time.perf_counter() - t0


async def main(n: int, rounds: int) -> None:
    slack = await SlackDouble().start()
    tmp = tempfile.mkdtemp(prefix="lb-ops-bench-")
    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=slack.api_url, database_url=f"sqlite+aiosqlite:///{tmp}/b.sqlite3",
                        poll_minutes=0)
    rt = await Runtime.start(settings)
    await DigestScheduler(rt, poll_every=__import__("datetime").timedelta(0), pace=0).start()
    bolt = create_app(rt)
    shipped = web_app(bolt, rt)
    bare = web_app(bolt, rt)
    bare.middlewares.remove(observability.observe_requests)  # the baseline: no request metrics
    runners = {}
    for name, app in (("with metrics", shipped), ("without", bare)):
        runners[name] = await serve(app)
    body = command_body("help", slack.response_url("x"))
    lat: dict[str, list[float]] = {k: [] for k in runners}
    scrape, ready = [], []
    async with httpx.AsyncClient(timeout=10) as http:
        for _name, (_, port) in runners.items():  # warm-up
            for _ in range(20):
                await timed(http, "POST", f"http://127.0.0.1:{port}/slack/events", body)
        for r in range(rounds):
            order = list(runners.items()) if r % 2 == 0 else list(reversed(runners.items()))
            for name, (_, port) in order:
                for _ in range(n):
                    lat[name].append(await timed(http, "POST", f"http://127.0.0.1:{port}/slack/events", body))
        port = runners["with metrics"][1]
        for _ in range(50):
            scrape.append(await timed(http, "GET", f"http://127.0.0.1:{port}/metrics"))
            ready.append(await timed(http, "GET", f"http://127.0.0.1:{port}/readyz"))
    print(f"signed /launchbrief help, {rounds} rounds x {n} sequential requests per app, same process:")
    for name, xs in lat.items():
        print(f"  {name:13s} p50 {statistics.median(xs) * 1000:6.2f} ms  p99 {pct(xs, 99) * 1000:6.2f} ms  "
              f"max {max(xs) * 1000:6.2f} ms")
    ratio = statistics.median(lat["with metrics"]) / statistics.median(lat["without"])
    print(f"  p50 ratio with/without metrics: {ratio:.3f}")
    print(f"GET /metrics p50 {statistics.median(scrape) * 1000:.2f} ms (p99 {pct(scrape, 99) * 1000:.2f}); "
          f"GET /readyz p50 {statistics.median(ready) * 1000:.2f} ms (p99 {pct(ready, 99) * 1000:.2f}; "
          f"auth.test calls: {len(slack.calls_to('auth.test'))})")
    for runner, _ in runners.values():
        await runner.cleanup()
    await rt.close()
    await slack.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    asyncio.run(main(args.n, args.rounds))
