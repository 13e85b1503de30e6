"""Ingest throughput: launchbrief vs the `reader` library on the same loopback feeds, in one run.

A loopback HTTP server serves FEEDS feeds x ITEMS items (RSS 2.0) plus one article page per item. Each
variant runs in its own subprocess (so peak RSS is its own) against a fresh SQLite database:

  * reader        -- reader.make_reader(db).update_feeds(workers=W): fetch, parse, store entries
  * ours-feeds    -- launchbrief ingest, feed part only: fetch, parse, dedupe, store entries (no page fetch,
                     no analysis) -- the like-for-like comparison with reader (goal: <= 1.5x reader's time
                     and <= 1.5x its peak RSS, with MinHash clustering and full-text indexing on)
  * ours-postgresql -- ours-feeds on a scratch PostgreSQL database migrated by another process first
                     (LAUNCHBRIEF_TEST_PG's server, default 127.0.0.1:5432/test; dropped afterwards; skipped with
                     a note when none answers)
  * ours-full     -- launchbrief ingest with page fetch + extraction + analysis, on the first
                     --full-feeds feeds (full analysis is CPU-bound; reported separately as articles/s)

Each variant runs --repeat times in interleaved rounds (this machine's speed drifts by +-15 % between minutes);
medians are reported, with the per-round time ratios.

Usage: python bench/ingest.py [--feeds 200] [--items 50] [--full-feeds 10] [--workers 16] [--repeat 3]
       [--no-postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import format_datetime
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("launch rocket satellite orbit agreement agency spaceport payload mission contract booster range polar "
         "national security partner talks resilience constellation fairing upper stage engine test pad crew "
         "cargo station lunar budget policy licence regulator schedule delay weather window customer award "
         "europe asia pacific arctic equatorial sovereign commercial defence capacity cadence reusable").split()
ORGS = ["Rocket Lab", "Arianespace", "JAXA", "SpaceX", "Isar Aerospace", "ISRO", "Orbex", "Firefly Aerospace"]


def story_text(rng: random.Random, n: int) -> str:
    """Distinct synthetic news text: every story its own words, so no two are near-duplicates."""
    sentences = []
    for k in range(6):
        words = rng.choices(WORDS, k=18)
        sentences.append(f"{rng.choice(ORGS)} {' '.join(words)} number {n}-{k}.")
    return " ".join(sentences)


def make_site(feeds: int, items: int, port: int) -> dict[str, bytes]:
    site: dict[str, bytes] = {}
    base = datetime(2025, 1, 1, tzinfo=UTC)
    rng = random.Random(42)
    for f in range(feeds):
        entries = []
        for i in range(items):
            path = f"/f{f}/story-{i}.html"
            title = f"Feed {f} story {i}: launch agreement"
            body = story_text(rng, f * 1000 + i)
            site[path] = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                          f"<p>{body}</p><p>{story_text(rng, i)}</p></article></body></html>").encode()
            date = format_datetime(base + timedelta(hours=f * items + i))
            entries.append(f"<item><title>{title}</title><link>http://127.0.0.1:{port}{path}</link>"
                           f"<guid>f{f}-{i}</guid><pubDate>{date}</pubDate>"
                           f"<description>{body}</description></item>")
        site[f"/feed-{f}.xml"] = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {f}</title>"
                                  f"<link>http://127.0.0.1:{port}/</link>{''.join(entries)}</channel></rss>").encode()
    return site


def serve(site_args: tuple[int, int]) -> tuple[ThreadingHTTPServer, int]:
    site: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            body = site.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            ctype = "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    site.update(make_site(site_args[0], site_args[1], port))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, port


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current RSS (Linux /proc; the peak where that is not there)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))
    except (OSError, StopIteration):
        return peak_rss_mb()


def worker_reader(port: int, feeds: int, workers: int, db: str) -> dict:
    from reader import make_reader

    imported = rss_mb()
    r = make_reader(db)
    for f in range(feeds):
        r.add_feed(f"http://127.0.0.1:{port}/feed-{f}.xml")
    t0 = time.perf_counter()
    r.update_feeds(workers=workers)
    elapsed = time.perf_counter() - t0
    n = r.get_entry_counts().total
    r.close()
    return {"seconds": elapsed, "entries": n, "imports_mb": imported}


def worker_ours(port: int, feeds: int, workers: int, db: str, full: bool) -> dict:
    """``db``: a SQLite file path, or a database URL (PostgreSQL)."""
    from briefings.config import Settings
    from briefings.intake.fetch import Fetcher
    from briefings.intake.ingest import IngestOptions, Ingestor
    from briefings.store.repo import Store

    imported = rss_mb()

    async def go():
        store = await Store.open(db if "://" in db else f"sqlite+aiosqlite:///{db}")
        for f in range(feeds):
            await store.add_feed(f"http://127.0.0.1:{port}/feed-{f}.xml")
        settings = Settings(allow_loopback_urls=True, _env_file=None)
        opts = IngestOptions(concurrency=workers, per_host=workers, fetch_pages=full, analyse=full)
        async with Fetcher(settings) as fetcher:
            t0 = time.perf_counter()
            report = await Ingestor(store, fetcher, opts).run()
            elapsed = time.perf_counter() - t0
        n = await store.count_articles()
        await store.close()
        return {"seconds": elapsed, "entries": n, "failed": len(report.failed_feeds), "imports_mb": imported}

    return asyncio.run(go())


PG_ADMIN = os.environ.get("LAUNCHBRIEF_TEST_PG", f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test")
PG_NAME = f"lb_ingest_bench_{os.getpid()}"


async def pg_database(action: str) -> str | None:
    """Create (or drop) a scratch database on the local PostgreSQL; None when no server answers."""
    try:
        import asyncpg

        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    except Exception:
        return None
    try:
        if action == "create":
            await admin.execute(f'CREATE DATABASE "{PG_NAME}"')
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
    finally:
        await admin.close()
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + PG_NAME


def run_worker(args, port: int, name: str, feeds: int) -> dict | None:
    """One variant in its own process (so its peak RSS is its own); None when it could not run."""
    pg = asyncio.run(pg_database("create")) if name == "ours-postgresql" else None
    if name == "ours-postgresql" and pg is None:
        return None
    try:
        proc = subprocess.run([sys.executable, __file__, "--worker", name, "--port", str(port), "--feeds", str(feeds),
                               "--items", str(args.items), "--workers", str(args.workers)]
                              + (["--db-url", pg] if pg else []), capture_output=True, text=True, timeout=3000)
    finally:
        if pg:
            asyncio.run(pg_database("drop"))
    if proc.returncode != 0:
        print(f"{name} failed:\n{proc.stderr[-3000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--full-feeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians are reported")
    ap.add_argument("--worker", choices=["reader", "ours-feeds", "ours-postgresql", "ours-full"])
    ap.add_argument("--db-url")
    ap.add_argument("--no-postgresql", action="store_true", help="skip the PostgreSQL row")
    ap.add_argument("--port", type=int)
    args = ap.parse_args()

    if args.worker:  # child process
        with tempfile.TemporaryDirectory() as tmp:
            db = args.db_url or os.path.join(tmp, "bench.sqlite3")
            if args.worker == "ours-postgresql":  # migrated by another process first, as a running bot's is
                subprocess.run([sys.executable, "-c", "import asyncio, sys; from briefings.store.repo import Store\n"
                                "async def f():\n    await (await Store.open(sys.argv[1])).close()\n"
                                "asyncio.run(f())", db if "://" in db else f"sqlite+aiosqlite:///{db}"],
                               check=True, cwd=ROOT)
            if args.worker == "reader":
                out = worker_reader(args.port, args.feeds, args.workers, db)
            else:
                out = worker_ours(args.port, args.feeds, args.workers, db, full=args.worker == "ours-full")
        out["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(out))
        return 0

    httpd, port = serve((args.feeds, args.items))
    variants = [("reader", args.feeds), ("ours-feeds", args.feeds), ("ours-full", args.full_feeds)]
    if not args.no_postgresql:
        variants.append(("ours-postgresql", args.feeds))
    runs: dict[str, list[dict]] = {name: [] for name, _ in variants}
    for _round in range(args.repeat):  # interleaved rounds: a slow spell of this machine hits every variant
        for name, feeds in variants:
            out = run_worker(args, port, name, feeds)
            if out is None and name == "ours-postgresql":
                print(f"PostgreSQL not measured: no server answered at {PG_ADMIN}\n")
                variants.remove((name, feeds))
                del runs[name]
                continue
            if out is None:
                return 1
            runs[name].append(out)
    httpd.shutdown()
    import statistics  # here, not at the top: the workers import this module and their RSS is what is measured

    results = {name: {"seconds": statistics.median(r["seconds"] for r in rs),
                      "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
                      "imports_mb": statistics.median(r["imports_mb"] for r in rs), "entries": rs[0]["entries"]}
               for name, rs in runs.items()}
    print(f"{args.feeds} feeds x {args.items} items from 127.0.0.1, {args.workers} workers, a fresh database each "
          f"run; medians of {args.repeat} interleaved rounds\n")
    print(f"{'variant':<16}{'feeds':>6}{'stored':>8}{'seconds':>9}{'articles/s':>12}{'peak RSS MB':>13}"
          f"{'RSS after imports':>19}")
    for name, feeds in variants:
        r = results[name]
        print(f"{name:<16}{feeds:>6}{r['entries']:>8}{r['seconds']:>9.2f}{r['entries'] / r['seconds']:>12.1f}"
              f"{r['peak_rss_mb']:>13.1f}{r['imports_mb']:>19.1f}")
    per_round = [o["seconds"] / b["seconds"] for o, b in zip(runs["ours-feeds"], runs["reader"])]
    ratio = results["ours-feeds"]["seconds"] / results["reader"]["seconds"]
    mem = results["ours-feeds"]["peak_rss_mb"] / results["reader"]["peak_rss_mb"]
    print(f"\nfeed part, launchbrief / reader: time {ratio:.2f}x (goal <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'}; "
          f"per round {', '.join(f'{x:.2f}' for x in per_round)}), "
          f"peak RSS {mem:.2f}x (goal <= 1.5: {'met' if mem <= 1.5 else 'MISSED'})")
    if "ours-postgresql" in results:
        pgr = results["ours-postgresql"]
        print(f"on PostgreSQL (reader has no PostgreSQL backend, so against its SQLite run): "
              f"time {pgr['seconds'] / results['reader']['seconds']:.2f}x, "
              f"peak RSS {pgr['peak_rss_mb'] / results['reader']['peak_rss_mb']:.2f}x")
    full = results["ours-full"]
    print(f"full analysis (page fetch + extract + analyse + store): {full['entries'] / full['seconds']:.1f} articles/s "
          f"on {args.full_feeds} feeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
