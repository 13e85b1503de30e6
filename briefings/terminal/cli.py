"""The ``launchbrief`` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from datetime import UTC, date, datetime

import typer
from rich.console import Console
from rich.text import Text

from briefings import __version__
from briefings.errors import BriefingError
from briefings.models import group_by_country


def _tidy_help() -> None:
    """Help that reads as a user expects: flags without a ``<bool>`` type, arguments as ``SOURCE`` in the
    usage line (typer 0.29 shows ``{source}``). A no-op if typer's internals change."""
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover
        return
    if hasattr(TyperOption, "display_type_rich"):
        original = TyperOption.display_type_rich

        def display_type_rich(self, ctx):
            return None if self.is_flag else original(self, ctx)

        setattr(TyperOption, "display_type_rich", display_type_rich)  # noqa: B010 -- patching typer
    if hasattr(TyperArgument, "_usage_display_name"):
        def usage_name(self) -> str:
            name = (self.metavar or self.name or "").upper()
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        setattr(TyperArgument, "_usage_display_name", usage_name)  # noqa: B010 -- patching typer


_tidy_help()

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="launchbrief: briefings on space-launch policy news, offline.")
err = Console(stderr=True)
JSON_HELP = "Print JSON with every field instead of the table."
DEFAULT_FEEDS = Path(__file__).parents[1] / "intake" / "default_feeds.toml"  # `feeds add --defaults`


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"launchbrief {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Show the version and exit.",
                                       callback=_show_version, is_eager=True)) -> None:
    """launchbrief: briefings on space-launch policy news, offline."""


def _utc(moment: datetime | None) -> datetime | None:
    """Stored timestamps are UTC; SQLite hands them back without a zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    utc = _utc(moment)
    return utc.isoformat() if utc else None


def _stamp(moment: datetime | None, default: str = "") -> str:
    utc = _utc(moment)
    return utc.strftime("%Y-%m-%d %H:%M UTC") if utc else default


def _say(console: Console, line: Text) -> None:
    """Print one line, cut with an ellipsis at the terminal's width rather than wrapped."""
    console.print(line, no_wrap=True, overflow="ellipsis")


def _cell(value: object, style: str | None = None) -> Text:
    """A table cell on one line, cut with an ellipsis when the column is narrow (tables fit 80 columns)."""
    return Text("" if value is None else str(value), style=style or "", no_wrap=True, overflow="ellipsis")


def fail(message: str, code: int = 1) -> None:
    # the message may quote a server (a Content-Type, a host name): printed as text, never as rich markup
    err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def brief(
    source: str = typer.Argument(..., help="A URL, a file (HTML or text), '-' for stdin, or 'sample'."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the terminal brief."),
    save: bool = typer.Option(False, "--save", help="Also remember it in the archive (DATABASE_URL)."),
) -> None:
    """Brief one article: summary, launch partners, quotes, relevance."""
    from briefings.engine import article_from_source
    from briefings.terminal.render import render_brief

    async def go():
        from briefings.engine import analyse

        article = await article_from_source(source)
        result = analyse(article)
        saved = None
        if save:
            saved = await _with_store(lambda store: store.save(article, result))
        return result, saved

    result, saved = _run(go())  # bad input, an unreachable database: one plain line, never a traceback
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
corrections_app = typer.Typer(help="Analysts' corrections of briefs (made in Slack).", no_args_is_help=True)
app.add_typer(corrections_app, name="corrections")


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
    from briefings.config import get_settings
    from briefings.store.repo import Store

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
def feeds_add(url: str = typer.Argument(None, help="A feed URL (RSS, Atom or JSON Feed), or a site's page that "
                                                    "links one."),
              defaults: bool = typer.Option(False, "--defaults", help="Add the shipped default feed list.")) -> None:
    """Add a feed after checking that it is one; given a web page, find the feed it links to."""
    import tomllib

    from briefings.intake.fetch import Fetcher
    from briefings.intake.ingest import follow_feed

    async def go():
        store = await _store()
        try:
            if defaults:
                data = tomllib.loads(DEFAULT_FEEDS.read_text(encoding="utf-8"))
                for f in data["feed"]:
                    await store.add_feed(f["url"], f.get("title"))
                return f"added {len(data['feed'])} default feeds"
            if not url:
                fail("give a feed URL, or --defaults")
            async with Fetcher() as fetcher:
                found = await follow_feed(store, fetcher, url)
            where = f"found {found.url} on that page; " if found.discovered_from else ""
            return f"{where}added {found.title or found.url} ({len(found.parsed.entries)} entries now)"
        finally:
            await store.close()

    Console().print(_run(go()), markup=False)


@feeds_app.command("remove")
def feeds_remove(url: str = typer.Argument(..., help="The feed's URL, as `feeds list --json` shows it.")) -> None:
    """Stop following a feed (stored articles are kept)."""
    if not _run(_with_store(lambda store: store.remove_feed(url))):
        fail(f"no feed with URL {url}")
    Console().print(f"removed {url}", markup=False)


@feeds_app.command("list")
def feeds_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Feeds with their health (URLs, next poll and full errors in --json)."""
    from rich.table import Table

    feeds = _run(_with_store(lambda store: store.list_feeds()))
    rows = [{"url": f.url, "title": f.title, "last_success": _iso(f.last_success),
             "last_error": f.last_error, "last_error_at": _iso(f.last_error_at),
             "consecutive_failures": f.consecutive_failures, "next_poll": _iso(f.next_poll)} for f in feeds]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    console = Console()
    if not rows:
        console.print("no feeds yet; add one with `launchbrief feeds add URL` (a feed or a site's page)",
                      markup=False)
        return
    table = Table(title=f"{len(rows)} feeds", expand=True)
    table.add_column("feed", ratio=3, min_width=12, no_wrap=True, overflow="ellipsis")
    table.add_column("health", min_width=6, no_wrap=True)
    table.add_column("last success", min_width=20, no_wrap=True)
    table.add_column("last error", ratio=2, min_width=8, no_wrap=True, overflow="ellipsis")
    for f in feeds:
        health = "ok" if not f.consecutive_failures else f"failing ×{f.consecutive_failures}"
        table.add_row(_cell(f.title or f.url), _cell(health, "green" if health == "ok" else "red"),
                      _cell(_stamp(f.last_success, "never")), _cell(f.last_error or ""))
    console.print(table)


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

    from briefings.config import get_settings

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
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from briefings.intake.fetch import Fetcher
    from briefings.intake.ingest import IngestOptions, Ingestor

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
                handler = logging.StreamHandler()
                stamp = logging.Formatter("%(asctime)s UTC %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
                stamp.converter = time.gmtime  # log times carry their zone, like every other timestamp
                handler.setFormatter(stamp)
                logging.basicConfig(level=logging.INFO, handlers=[handler])

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
def search(query: str = typer.Argument(..., help="Words to look for, e.g. 'spaceport Norway'."),
           since: str = typer.Option(None, help="Only articles published on or after this date (YYYY-MM-DD)."),
           limit: int = typer.Option(10, help="Stories to show at most."),
           as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Full-text search over stored articles, ranked, with a snippet."""
    hits = _run(_with_store(lambda store: store.search(query, since=_date(since), limit=limit)))
    if as_json and getattr(hits, "cut", False):
        err.print(Text(f"note: {hits.note}"), soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps([{"id": h.article_id, "title": h.title, "url": h.url, "site_name": h.source,
                                      "published": h.published and h.published.isoformat(),
                                      "snippet": h.snippet, "also": h.also} for h in hits]) + "\n")
        return
    console = Console()
    if getattr(hits, "cut", False):  # said plainly, on stderr so --json output stays one JSON value
        err.print(Text(f"note: {hits.note}", style="yellow"), soft_wrap=True)
    if not hits:
        console.print(f"nothing stored matches {query[:200]!r}", markup=False)
    for h in hits:
        _say(console, _cell(f"{h.published or ''}  {h.title or h.url}", "bold"))
        _say(console, _cell(f"  {h.url}" + (f"  (also: {', '.join(h.also)})" if h.also else ""), "dim"))
        console.print(Text(f"  {h.snippet}"))


PARTNER_CSV_FIELDS = ["partner", "kind", "country", "tier", "articles", "first_seen", "last_seen",
                      "latest_title", "latest_url"]


def csv_cell(value):
    """A cell a spreadsheet shows as text: one starting with = + - @ (or tab / CR) would run as a formula,
    so it is prefixed with an apostrophe (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@app.command()
def partners(name: str = typer.Argument(None, help="One partner's detail and the articles naming it."),
             since: str = typer.Option(None, help="Only coverage published on or after this date (YYYY-MM-DD)."),
             as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
             csv_out: bool = typer.Option(False, "--csv", help="Export the partner matrix as CSV.")) -> None:
    """Partners aggregated over stored coverage, per country ("articles": how many stored articles name it)."""
    import csv

    from briefings.analysis.kb import load_kb

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
    rows = [{"partner": s.entity, "kind": s.kind, "country": s.country, "tier": s.tier, "articles": s.mentions,
             "first_seen": s.first_seen and s.first_seen.isoformat(),
             "last_seen": s.last_seen and s.last_seen.isoformat(), "latest_title": s.latest_title,
             "latest_url": s.latest_url} for s in stats]
    if csv_out:
        w = csv.DictWriter(sys.stdout, fieldnames=PARTNER_CSV_FIELDS)  # the full header, even with no rows
        w.writeheader()
        w.writerows({k: csv_cell(r[k]) for k in PARTNER_CSV_FIELDS} for r in rows)
        return
    if as_json:
        out = {"partners": rows}
        if name:
            out["articles"] = [{"id": a.id, "title": a.title, "url": a.url, "role": a.role,
                                "published": a.published and a.published.isoformat()} for a in arts]
        sys.stdout.write(json.dumps(out) + "\n")
        return
    _partners_table(rows, arts, kb.country_name)


def _partners_table(rows: list[dict], arts: list, country_name) -> None:  # noqa: ANN001 -- kb.country_name
    from rich.table import Table

    console = Console()
    if not rows:
        console.print("no partners in stored coverage yet; add feeds with `launchbrief feeds add URL`, "
                      "then run `launchbrief ingest`", markup=False)
        return
    table = Table(title="Launch partners in stored coverage", caption="latest articles and dates: --json",
                  expand=True)
    table.add_column("country", ratio=2, min_width=8, no_wrap=True, overflow="ellipsis")
    table.add_column("partner", ratio=3, min_width=10, no_wrap=True, overflow="ellipsis")
    table.add_column("kind", min_width=9, no_wrap=True)
    table.add_column("articles", justify="right", min_width=8, no_wrap=True)
    table.add_column("last seen", min_width=10, no_wrap=True)
    for country, items in group_by_country(rows, country=lambda r: r["country"], weight=lambda r: r["articles"],
                                           country_name=country_name):
        for i, r in enumerate(items):
            table.add_row(_cell(country if i == 0 else ""), _cell(r["partner"]), _cell(r["kind"]),
                          _cell(r["articles"]), _cell(r["last_seen"] or ""))
    console.print(table)
    for a in arts:
        _say(console, _cell(f"{a.published or ''}  {a.title}  ({a.role})"))
        _say(console, _cell(f"  {a.url}", "dim"))


@app.command()
def latest(limit: int = typer.Option(5, help="Stories to show at most."),
           as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The top recent launch-policy stories, one per story cluster."""
    items = _run(_with_store(lambda store: store.latest(limit=limit)))
    rows = [{"id": s.article.id, "title": s.article.title, "url": s.article.url, "site_name": s.article.source,
             "published": s.article.published and s.article.published.isoformat(),
             "tldr": s.brief.tldr.text if s.brief.tldr else None, "partners": [p.name for p in s.brief.partners],
             "also_covered_by": list(s.also)} for s in items]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    console = Console()
    if not rows:
        console.print("no launch-policy stories stored yet: add a feed with `launchbrief feeds add URL`, "
                      "then run `launchbrief ingest`", markup=False)
    for r in rows:
        _say(console, _cell(f"{r['published'] or ''}  {r['title'] or r['url']}", "bold"))
        if r["tldr"]:
            console.print(Text(f"  {r['tldr']}"))
        if r["partners"]:
            console.print(Text("  partners: " + ", ".join(r["partners"]), style="cyan"))
        _say(console, _cell(f"  {r['url']}" + (f"  (also: {', '.join(r['also_covered_by'])})"
                                              if r["also_covered_by"] else ""), style="dim"))


digest_app = typer.Typer(help="Channel digests (mirrors /launchbrief digest).", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


@digest_app.command("list")
def digest_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Every channel's digest subscription with its next run and last deliveries."""
    from rich.table import Table

    from briefings.digests.schedule import next_slot, zone

    async def go(store):
        return [(s, await store.ledger(s.id, limit=3)) for s in await store.subscriptions()]

    rows = []
    from briefings.store.repo import utcnow

    for sub, ledger in _run(_with_store(go)):
        nxt = next_slot(sub.cron, sub.timezone, utcnow())
        rows.append({"channel": sub.channel_id, "team": sub.team_id, "schedule": sub.schedule_text or sub.cron,
                     "cron": sub.cron, "timezone": sub.timezone, "filters": (sub.filters or {}).get("terms", []),
                     "next_run": nxt.astimezone(zone(sub.timezone)).isoformat() if nxt else None,
                     "next_run_local": nxt.astimezone(zone(sub.timezone)).strftime("%Y-%m-%d %H:%M %Z")
                     if nxt else None,
                     "recent": [{"slot": r.slot_key, "state": r.state, "ts": r.message_ts} for r in ledger]})
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    table = Table(title=f"{len(rows)} digest subscriptions", caption="time zones and past slots: --json",
                  expand=True)
    table.add_column("channel", min_width=11, no_wrap=True)
    table.add_column("schedule", ratio=2, min_width=10, no_wrap=True, overflow="ellipsis")
    table.add_column("next run", min_width=20, no_wrap=True)
    table.add_column("last slot", ratio=1, min_width=8, no_wrap=True, overflow="ellipsis")
    for r in rows:
        last = r["recent"][0] if r["recent"] else None
        table.add_row(_cell(r["channel"]), _cell(r["schedule"]), _cell(r["next_run_local"] or "never"),
                      _cell(f"{last['slot']} {last['state']}" if last else ""))
    Console().print(table)


@digest_app.command("preview")
def digest_preview(channel: str = typer.Option(..., "--channel", help="Slack channel ID, e.g. C0123456"),
                   as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """What the channel's next digest would contain now (nothing is posted, the cursor does not move)."""
    from briefings.digests.build import build_digest

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

@corrections_app.command("export")
def corrections_export(since: str = typer.Option(None, help="Only corrections made on or after this date "
                                                          "(YYYY-MM-DD).")) -> None:
    """Corrected articles as annotated records (../shared/corpus/ANNOTATION.md format), one JSON object a line:
    evaluation data for the next engine version (`python bench/quality.py --corpus file.jsonl`)."""
    from briefings import corrections

    records = _run(_with_store(lambda store: corrections.export(store, _date(since))))
    for rec in records:
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
