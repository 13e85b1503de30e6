"""Ack latency of `/launchbrief` under load: N concurrent signed slash commands to the HTTP server.

The bot runs as a real process (`launchbrief run`, HTTP mode) on loopback; its Web API and response_url
point at a loopback Slack double in this process; the commands ask for briefs of article pages served from
loopback (so each one fetches, extracts, analyses and stores after its ack). Printed:
  * ack latency p50/p99/max (goal: p99 <= 50 ms), and the same for GET /healthz fired at the same
    concurrency in the same run (the baseline: what the server costs with no Bolt work at all);
  * time from sending the command until its response_url answer arrived (p50/p99/max);
  * the bot process's RSS idle after start (goal <= 120 MB), after the burst, and its peak.

Usage: python bench/ack.py [--n 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from briefings.engine import SAMPLE_ARTICLE  # noqa: E402
from tests.slack_client import FORM, SECRET, TOKEN, command_body, headers  # noqa: E402
from tests.slack_double import SlackDouble  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def fmt(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name:<34} n={len(ms):<4} p50={statistics.median(ms):8.1f} ms  p99={pct(ms, 99):8.1f} ms  "
            f"max={max(ms):8.1f} ms")


def proc_rss(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    try:
        for line in open(f"/proc/{pid}/status", encoding="ascii"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def article_server() -> tuple[ThreadingHTTPServer, int]:
    page = SAMPLE_ARTICLE.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    slack = await SlackDouble().start()
    pages, pages_port = article_server()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
                "PORT": str(port), "HOST": "127.0.0.1", "LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true",
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/ack.sqlite3"})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    acks: list[float] = []
    rss: dict[str, float] = {}
    health: list[float] = []
    answered: list[float] = []
    try:
        # aiohttp as the load generator: httpx's per-request client overhead dominated the figures
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         timeout=aiohttp.ClientTimeout(total=30)) as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # let start-up work (scheduler, catch-up) settle
            rss["idle"] = proc_rss(proc.pid, "VmRSS")
            # warm up: open the keep-alive connections (as Slack's own do) and run one command end to end
            async def get_health() -> None:
                async with http.get(f"{base}/healthz") as resp:
                    await resp.read()

            await asyncio.gather(*(get_health() for _ in range(args.n)))
            warm = command_body(f"http://127.0.0.1:{pages_port}/warm", slack.response_url("warm"))
            async with http.post(f"{base}/slack/events", data=warm.encode(), headers=headers(warm, FORM)) as resp:
                await resp.read()
            await slack.wait_for(lambda: slack.responses, timeout=30)

            for r in range(args.rounds):
                async def one_health() -> None:
                    t0 = time.perf_counter()
                    async with http.get(f"{base}/healthz") as resp:
                        await resp.read()
                    health.append(time.perf_counter() - t0)

                await asyncio.gather(*(one_health() for _ in range(args.n)))
                sent: dict[str, float] = {}

                async def one_command(i: int, r: int = r, sent: dict = sent) -> None:
                    name = f"r{r}-{i}"
                    body = command_body(f"http://127.0.0.1:{pages_port}/a/{r}/{i}", slack.response_url(name))
                    h = headers(body, FORM)
                    t0 = time.perf_counter()
                    sent[name] = time.monotonic()
                    async with http.post(f"{base}/slack/events", data=body.encode(), headers=h) as resp:
                        text = await resp.text()
                    acks.append(time.perf_counter() - t0)
                    assert resp.status == 200, text

                await asyncio.gather(*(one_command(i) for i in range(args.n)))
                got = await slack.wait_for(
                    lambda sent=sent: len([x for x in slack.responses if x["_name"] in sent]) >= args.n
                    and slack.responses,
                    timeout=120)
                for x in got:
                    if x["_name"] in sent:
                        answered.append(x["_at"] - sent[x["_name"]])
        rss["after"] = proc_rss(proc.pid, "VmRSS")
        rss["peak"] = proc_rss(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        pages.shutdown()
        await slack.stop()

    print(f"{args.n} concurrent signed /launchbrief <url> commands x {args.rounds} rounds, HTTP mode on loopback\n")
    print(fmt("GET /healthz (baseline)", health))
    print(fmt("slash command ack", acks))
    print(fmt("command -> response_url answer", answered))
    print(f"\nbot process RSS: idle after start {rss.get('idle', 0):.1f} MB (goal <= 120 MB), after the burst "
          f"{rss.get('after', 0):.1f} MB, peak {rss.get('peak', 0):.1f} MB")
    print(f"ack p99 / healthz p99 = {pct(acks, 99) / pct(health, 99):.2f}x;  ack p99 = {pct(acks, 99) * 1000:.1f} ms "
          f"(goal <= 50 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
