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
    assert recent and all("example.com" not in a.url and "example.com" not in a.canonical_url for a, _ in recent)
