"""The ``launchbrief`` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date

import typer
from rich.console import Console

from .errors import BriefingError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="launchbrief: briefings on space-launch policy news, offline.")
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """launchbrief: briefings on space-launch policy news, offline."""


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def brief(
    source: str = typer.Argument(..., help="A URL, a file (HTML or text), '-' for stdin, or 'sample'."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the terminal brief."),
    save: bool = typer.Option(False, "--save", help="Also remember it in the archive (DATABASE_URL)."),
) -> None:
    """Brief one article: summary, launch partners, quotes, relevance."""
    from .engine import article_from_source
    from .render_terminal import render_brief

    async def go():
        from .engine import analyse

        article = await article_from_source(source)
        result = analyse(article)
        saved = None
        if save:
            saved = await _with_store(lambda store: store.save(article, result))
        return result, saved

    try:
        result, saved = asyncio.run(go())
    except BriefingError as exc:
        fail(exc.message)
        return
    except KeyboardInterrupt:
        fail("interrupted", 130)
        return
    if as_json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n")
    else:
        render_brief(result, Console())
    if saved is not None:
        err.print(f"saved in the archive as article {saved.article_id}"
                  + ("" if saved.created else f" (already stored: {saved.reason})"), markup=False)


# ------------------------------------------------------------------------------------------ the archive
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
feeds_app = typer.Typer(help="Feeds to follow.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(feeds_app, name="feeds")


def _run(coro):
    try:
        return asyncio.run(coro)
    except BriefingError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except typer.Exit:
        raise
    except OSError as exc:  # connection refused, unreadable file ...
        fail(f"database problem: cannot reach it ({type(exc).__name__}: {_first_line(exc)})")
    except Exception as exc:  # bad DATABASE_URL, driver errors ...; LAUNCHBRIEF_DEBUG=1 shows the traceback
        if os.environ.get("LAUNCHBRIEF_DEBUG"):
            raise
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite", "alembic")):
            fail(f"database problem: {type(exc).__name__}: {_first_line(exc)}")
        fail(f"unexpected error: {type(exc).__name__}: {_first_line(exc)} (LAUNCHBRIEF_DEBUG=1 shows details)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


async def _store():
    from .config import get_settings
    from .store.repo import Store

    return await Store.open(get_settings().database_url)


async def _with_store(fn):
    """Open the store (migrating it), run ``await fn(store)``, always close it."""
    store = await _store()
    try:
        return await fn(store)
    finally:
        await store.close()


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--since takes a date like 2025-06-30, not {value!r}")
        return None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (the bot and the CLI also do this on start)."""
    async def go():
        store = await _store()
        await store.close()
        return store.url

    url = _run(go())
    Console().print(f"database is up to date ({url.split('://', 1)[0]})")


@feeds_app.command("add")
def feeds_add(url: str = typer.Argument(None, help="Feed URL (RSS, Atom or JSON Feed)."),
              defaults: bool = typer.Option(False, "--defaults", help="Add the shipped default feed list.")) -> None:
    """Add a feed after checking that it is one."""
    import tomllib
    from pathlib import Path

    from .fetch import Fetcher
    from .ingest import check_feed

    async def go():
        store = await _store()
        try:
            if defaults:
                data = tomllib.loads((Path(__file__).parent / "default_feeds.toml").read_text(encoding="utf-8"))
                for f in data["feed"]:
                    await store.add_feed(f["url"], f.get("title"))
                return f"added {len(data['feed'])} default feeds"
            if not url:
                fail("give a feed URL, or --defaults")
            async with Fetcher() as fetcher:
                parsed = await check_feed(fetcher, url)
            await store.add_feed(url, parsed.title)
            return f"added {parsed.title or url} ({len(parsed.entries)} entries now)"
        finally:
            await store.close()

    Console().print(_run(go()), markup=False)


@feeds_app.command("remove")
def feeds_remove(url: str) -> None:
    """Stop following a feed (stored articles are kept)."""
    if not _run(_with_store(lambda store: store.remove_feed(url))):
        fail(f"no feed with URL {url}")
    Console().print(f"removed {url}", markup=False)


@feeds_app.command("list")
def feeds_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Feeds with their health."""
    from rich.table import Table
    from rich.text import Text

    feeds = _run(_with_store(lambda store: store.list_feeds()))
    rows = [{"url": f.url, "title": f.title, "last_success": f.last_success and f.last_success.isoformat(),
             "last_error": f.last_error, "consecutive_failures": f.consecutive_failures,
             "next_poll": f.next_poll and f.next_poll.isoformat()} for f in feeds]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    table = Table(title=f"{len(rows)} feeds")
    for col in ("feed", "health", "last success", "next poll", "last error"):
        table.add_column(col)
    for r in rows:
        health = "ok" if not r["consecutive_failures"] else f"failing ×{r['consecutive_failures']}"
        table.add_row(Text(r["title"] or r["url"]), Text(health, style="green" if health == "ok" else "red"),
                      Text(r["last_success"] or "never"), Text(r["next_poll"] or "now"), Text(r["last_error"] or ""))
    Console().print(table)


@db_app.command("stats")
def db_stats() -> None:
    """Print the archive's size: rows per table, pruned articles, text and database bytes."""
    stats = _run(_with_store(lambda store: store.db_stats()))
    console = Console()
    for key, value in stats.items():
        shown = f"{value / 1e6:,.1f} MB" if key.endswith("bytes") else f"{value:,}"
        console.print(f"{key:<22}{shown:>16}", markup=False)


@db_app.command("prune")
def db_prune(days: float = typer.Option(None, help="Prune bodies older than this many days "
                                                   "(default: LAUNCHBRIEF_RETENTION_DAYS).")) -> None:
    """Reduce old articles' page bodies to their search words (briefs, partners and search stay)."""
    from datetime import timedelta

    from .config import get_settings

    days = days if days is not None else get_settings().retention_days
    if not days or days <= 0:
        fail("no retention set: pass --days N or set LAUNCHBRIEF_RETENTION_DAYS")
    pruned = _run(_with_store(lambda store: store.prune_bodies(timedelta(days=days))))
    Console().print(f"pruned the bodies of {pruned} articles older than {days:g} days", markup=False)


@app.command()
def ingest(no_pages: bool = typer.Option(False, "--no-pages", help="Store feed entries without fetching pages."),
           concurrency: int = typer.Option(16, help="Requests in flight at most."),
           per_host: int = typer.Option(2, help="Requests in flight per host at most.")) -> None:
    """Poll the feeds that are due, fetch and analyse new entries, store them."""
    import logging

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .fetch import Fetcher
    from .ingest import IngestOptions, Ingestor

    opts = IngestOptions(concurrency=concurrency, per_host=per_host, fetch_pages=not no_pages)
    console = Console()

    async def go():
        store = await _store()
        try:
            feeds = await store.due_feeds()
            async with Fetcher() as fetcher:
                if console.is_terminal:
                    with Progress(TextColumn("ingest"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[new]} new"), console=console) as bar:
                        task = bar.add_task("feeds", total=len(feeds), new=0)
                        count = {"new": 0}

                        def progress(url, new):
                            count["new"] += new
                            bar.update(task, advance=1, new=count["new"])

                        return await Ingestor(store, fetcher, opts, on_progress=progress).run(feeds)
                logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

                def log_line(url, new):
                    logging.getLogger("launchbrief.ingest").info("feed %s: %d new", url, new)

                return await Ingestor(store, fetcher, opts, on_progress=log_line).run(feeds)
        finally:
            await store.close()

    report = _run(go())
    console.print(f"{len(report.feeds)} feeds polled, {report.new_articles} new articles, "
                  f"{len(report.failed_feeds)} feeds failing", markup=False)
    for f in report.failed_feeds:
        console.print(f"  failing: {f.url}: {f.errors[-1] if f.errors else ''}", markup=False)


@app.command()
def search(query: str, since: str = typer.Option(None, help="Only articles published on or after this date."),
           limit: int = typer.Option(10), as_json: bool = typer.Option(False, "--json")) -> None:
    """Full-text search over stored articles, ranked, with a snippet."""
    from rich.text import Text

    hits = _run(_with_store(lambda store: store.search(query, since=_date(since), limit=limit)))
    if as_json:
        sys.stdout.write(json.dumps([{"id": h.article_id, "title": h.title, "url": h.url, "source": h.source,
                                      "published": h.published and h.published.isoformat(),
                                      "snippet": h.snippet, "also": h.also} for h in hits]) + "\n")
        return
    console = Console()
    if not hits:
        console.print(f"nothing stored matches {query!r}", markup=False)
    for h in hits:
        console.print(Text(f"{h.published or ''}  {h.title or h.url}", style="bold"))
        console.print(Text(f"  {h.url}" + (f"  (also: {', '.join(h.also)})" if h.also else ""), style="dim"))
        console.print(Text(f"  {h.snippet}"))


@app.command()
def partners(name: str = typer.Argument(None, help="One partner's detail and the articles naming it."),
             since: str = typer.Option(None), as_json: bool = typer.Option(False, "--json"),
             csv_out: bool = typer.Option(False, "--csv", help="Export the partner matrix as CSV.")) -> None:
    """Partners aggregated over stored coverage, per country."""
    import csv

    from rich.table import Table
    from rich.text import Text

    from .kb import load_kb

    kb = load_kb()
    if name:
        ent = kb.by_name(name)
        name = ent.name if ent else name

    async def go(store):
        stats = await store.partner_stats(since=_date(since), name=name)
        arts = await store.partner_articles(name, since=_date(since)) if name else []
        return stats, arts

    stats, arts = _run(_with_store(go))
    if name and not stats:
        fail(f"no stored article names {name} as a partner")
    rows = [{"partner": s.entity, "kind": s.kind, "country": s.country, "tier": s.tier, "mentions": s.mentions,
             "first_seen": s.first_seen and s.first_seen.isoformat(),
             "last_seen": s.last_seen and s.last_seen.isoformat(), "latest_title": s.latest_title,
             "latest_url": s.latest_url} for s in stats]
    if csv_out:
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["partner"])
        w.writeheader()
        w.writerows(rows)
        return
    if as_json:
        out = {"partners": rows}
        if name:
            out["articles"] = [{"id": a.id, "title": a.title, "url": a.url, "role": a.role,
                                "published": a.published and a.published.isoformat()} for a in arts]
        sys.stdout.write(json.dumps(out) + "\n")
        return
    console = Console()
    by_country: dict[str, list[dict]] = {}
    for r in rows:
        label = kb.country_name(r["country"]) or "International"
        by_country.setdefault(label, []).append(r)
    table = Table(title="Launch partners in stored coverage")
    for col in ("country", "partner", "kind", "mentions", "first seen", "last seen", "latest article"):
        table.add_column(col)
    for country, items in sorted(by_country.items(), key=lambda kv: -sum(r["mentions"] for r in kv[1])):
        for i, r in enumerate(items):
            table.add_row(Text(country if i == 0 else ""), Text(r["partner"]), Text(r["kind"]), str(r["mentions"]),
                          r["first_seen"] or "", r["last_seen"] or "", Text(r["latest_title"] or ""))
    console.print(table)
    for a in arts:
        console.print(Text(f"{a.published or ''}  {a.title}  ({a.role})\n  {a.url}"))


@app.command()
def latest(limit: int = typer.Option(5), as_json: bool = typer.Option(False, "--json")) -> None:
    """The top recent launch-policy stories, one per story cluster."""
    from rich.text import Text

    items = _run(_with_store(lambda store: store.latest(limit=limit)))
    rows = [{"id": a.id, "title": a.title, "url": a.url, "source": a.source,
             "published": a.published and a.published.isoformat(),
             "tldr": (b.get("tldr") or {}).get("text"), "partners": [p["name"] for p in b.get("partners", [])],
             "also_covered_by": others} for a, b, others in items]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    console = Console()
    if not rows:
        console.print("no launch-policy stories stored yet; run `launchbrief ingest`", markup=False)
    for r in rows:
        console.print(Text(f"{r['published'] or ''}  {r['title'] or r['url']}", style="bold"))
        if r["tldr"]:
            console.print(Text(f"  {r['tldr']}"))
        if r["partners"]:
            console.print(Text("  partners: " + ", ".join(r["partners"]), style="cyan"))
        console.print(Text(f"  {r['url']}" + (f"  (also: {', '.join(r['also_covered_by'])})"
                                              if r["also_covered_by"] else ""), style="dim"))


digest_app = typer.Typer(help="Channel digests (mirrors /launchbrief digest).", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


@digest_app.command("list")
def digest_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every channel's digest subscription with its next run and last deliveries."""
    from rich.table import Table
    from rich.text import Text

    from .schedule import next_slot, zone

    async def go(store):
        return [(s, await store.ledger(s.id, limit=3)) for s in await store.subscriptions()]

    rows = []
    from .store.repo import utcnow

    for sub, ledger in _run(_with_store(go)):
        nxt = next_slot(sub.cron, sub.timezone, utcnow())
        rows.append({"channel": sub.channel_id, "team": sub.team_id, "schedule": sub.schedule_text or sub.cron,
                     "cron": sub.cron, "timezone": sub.timezone, "filters": (sub.filters or {}).get("terms", []),
                     "next_run": nxt.astimezone(zone(sub.timezone)).isoformat() if nxt else None,
                     "recent": [{"slot": r.slot_key, "state": r.state, "ts": r.message_ts} for r in ledger]})
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    table = Table(title=f"{len(rows)} digest subscriptions")
    for col in ("channel", "schedule", "timezone", "next run", "recent slots"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["channel"], Text(r["schedule"]), r["timezone"], r["next_run"] or "never",
                      Text(", ".join(f"{x['slot']} {x['state']}" for x in r["recent"])))
    Console().print(table)


@digest_app.command("preview")
def digest_preview(channel: str = typer.Option(..., "--channel", help="Slack channel ID, e.g. C0123456"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """What the channel's next digest would contain now (nothing is posted, the cursor does not move)."""
    from .digest import build_digest

    async def go(store):
        sub = await store.subscription(channel_id=channel)
        if sub is None:
            fail(f"channel {channel} has no digest subscription")
        return await build_digest(store, sub)

    digest = _run(_with_store(go))
    if as_json:
        sys.stdout.write(digest.model_dump_json() + "\n")
        return
    console = Console()
    if digest.empty:
        console.print("nothing new since the last digest", markup=False)
    for kind, stories in digest.groups.items():
        console.print(kind, style="bold", markup=False)
        for st in stories:
            also = f" (also: {', '.join(st.also)})" if st.also else ""
            console.print(f"  {st.title or st.url}{also}\n    {st.url}", markup=False)
    if digest.partners:
        console.print("partners: " + ", ".join(f"{p.name} ({p.count}){' NEW' if p.new else ''}"
                                                for p in digest.partners), markup=False)

@app.command("run")
def run_bot() -> None:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT (/slack/events)."""
    from .config import get_settings

    settings = get_settings()
    if not settings.slack_bot_token:
        fail("SLACK_BOT_TOKEN is not set (see .env.example)")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        fail("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
    from bot.server import serve

    _run(serve(settings))


def main() -> None:
    try:
        app()
    except BriefingError as exc:  # safety net: never a traceback for bad input
        err.print(f"error: {exc.message}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
