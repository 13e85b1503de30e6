"""The archive commands as a user runs them: feeds, ingest, search, partners, latest."""

from __future__ import annotations

import csv
import io
import json

from .test_cli import assert_plain_error, run
from .test_store_ingest import STORIES, publish


def env_for(tmp_path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
            "LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true"}


def test_feeds_ingest_and_read_back(server, tmp_path):
    env = env_for(tmp_path)
    feed_url = publish(server)
    assert run("db", "upgrade", env=env).returncode == 0
    added = run("feeds", "add", feed_url, env=env)
    assert added.returncode == 0 and "Launch Policy Wire" in added.stdout.decode()
    # a page on the same site: its feed (at a usual path) is found, and it is the one already followed
    found = run("feeds", "add", server.add("/page", "<html><body><p>hi</p></body></html>"), env=env)
    assert found.returncode == 0 and f"found {feed_url}" in found.stdout.decode()
    ing = run("ingest", env=env)
    assert ing.returncode == 0, ing.stderr.decode()
    assert "3 new articles" in ing.stdout.decode()
    log_lines = [line for line in ing.stderr.decode().splitlines() if "INFO" in line]
    assert log_lines and all(" UTC INFO " in line for line in log_lines)  # log times carry their zone

    feeds = json.loads(run("feeds", "list", "--json", env=env).stdout)
    assert feeds[0]["title"] == "Launch Policy Wire" and feeds[0]["consecutive_failures"] == 0
    assert feeds[0]["last_success"]

    hits = json.loads(run("search", "Electron rocket", "--json", env=env).stdout)
    assert hits and hits[0]["title"] == STORIES["rocketlab-sda"][0] and hits[0]["snippet"]
    assert json.loads(run("search", "Electron", "--since", "2100-01-01", "--json", env=env).stdout) == []
    assert_plain_error(run("search", "x", "--since", "last week", env=env), "--since takes a date")

    data = json.loads(run("partners", "--json", env=env).stdout)
    names = {p["partner"]: p for p in data["partners"]}
    assert names["Rocket Lab"]["articles"] == 1 and names["Sweden"]["tier"] == "emerging"
    detail = json.loads(run("partners", "rocket lab", "--json", env=env).stdout)
    assert [p["partner"] for p in detail["partners"]] == ["Rocket Lab"]
    assert detail["articles"][0]["title"] == STORIES["rocketlab-sda"][0]
    assert_plain_error(run("partners", "Atlantis", env=env), "no stored article names")
    rows = list(csv.DictReader(io.StringIO(run("partners", "--csv", env=env).stdout.decode())))
    assert {"partner", "kind", "country", "articles", "first_seen", "last_seen"} <= set(rows[0])

    latest = json.loads(run("latest", "--json", env=env).stdout)
    assert len(latest) == 3 and all(item["tldr"] for item in latest)
    assert run("latest", env=env).returncode == 0

    removed = run("feeds", "remove", feed_url, env=env)
    assert removed.returncode == 0
    assert_plain_error(run("feeds", "remove", feed_url, env=env), "no feed with URL")
    # stored articles are kept after the feed is removed
    assert len(json.loads(run("latest", "--json", env=env).stdout)) == 3


def test_unreachable_database_is_a_plain_error(tmp_path):
    env = {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}
    assert_plain_error(run("latest", env=env), "database problem")
