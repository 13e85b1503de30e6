"""`launchbrief brief` as a user runs it: a real subprocess, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.cli import app
from briefings.engine import SAMPLE_ARTICLE

from .conftest import gz

LOOPBACK_ENV = {"LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true", "LAUNCHBRIEF_FETCH_READ_TIMEOUT": "1",
                "LAUNCHBRIEF_FETCH_TOTAL_TIMEOUT": "3", "LAUNCHBRIEF_FETCH_MAX_BYTES": "100000"}


def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHBRIEF_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          env=full_env, timeout=60)


def assert_plain_error(proc: subprocess.CompletedProcess, needle: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and needle.lower() in lines[0].lower(), lines[0]
    assert proc.stdout == b""


def test_sample_brief_json_schema():
    proc = run("brief", str(SAMPLE_ARTICLE), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    for key in ("title", "source", "published", "url", "language", "tldr", "summary", "partners", "quotes",
                "people", "relevance", "event_types"):
        assert key in data
    assert {"index", "text"} <= set(data["summary"][0])
    p = data["partners"][0]
    assert {"name", "kind", "country", "role", "tier", "evidence", "kb"} <= set(p)
    assert data["relevance"]["label"] == "launch-policy"


def test_sample_brief_terminal_and_stdin():
    proc = run("brief", "sample")
    out = proc.stdout.decode()
    assert proc.returncode == 0 and "TL;DR" in out and "Arianespace" in out
    proc = run("brief", "-", "--json", stdin=SAMPLE_ARTICLE.read_bytes())
    assert proc.returncode == 0 and json.loads(proc.stdout)["source"] == "stdin"


@pytest.fixture
def bad_routes(server):
    server.add("/slow", "<html><body><p>late</p></body></html>", delay=2.5)
    server.add("/file.bin", b"\x00\x01\x02\x03" * 100, headers={"Content-Type": "application/octet-stream"})
    server.add("/empty", b"")
    server.add("/big", gz(b"<html>" + b"x" * 10_000_000 + b"</html>"),
               headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    server.add("/to-private", status=302, headers={"Location": "http://10.0.0.1/"})
    return server


@pytest.mark.parametrize("path, needle", [
    ("/missing", "404"),
    ("/slow", "in time"),
    ("/file.bin", "not a web page"),
    ("/empty", "empty"),
    ("/big", "limit"),
    ("/to-private", "private address"),
])
def test_bad_pages(bad_routes, path, needle):
    assert_plain_error(run("brief", bad_routes.url(path), env=LOOPBACK_ENV), needle)


@pytest.mark.parametrize("source, needle", [
    ("http://127.0.0.1/", "loopback"),
    ("http://169.254.169.254/", "metadata"),
    ("htp:/broken", "only http and https"),
    ("http://", "no host name"),
    ("/no/such/file.html", "no such file"),
])
def test_bad_sources(source, needle):
    assert_plain_error(run("brief", source), needle)


def test_hostname_resolving_to_private_address(monkeypatch):
    async def fake(host, port):
        return ["10.0.0.1"]

    monkeypatch.setattr("briefings.intake.fetch.system_resolver", fake)
    result = CliRunner().invoke(app, ["brief", "http://internal.example/page"])
    assert result.exit_code == 1
    assert "10.0.0.1 is a private address" in result.output
    assert "Traceback" not in result.output


def test_binary_file_and_unknown_command():
    assert_plain_error(run("brief", sys.executable), "binary")
    proc = run("frobnicate")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr.decode()


def test_brief_save_then_latest_uses_the_sqlite_archive(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'readme.sqlite3'}"}
    first = run("brief", "sample", "--save", env=env)
    assert first.returncode == 0 and "saved in the archive as article 1" in first.stderr.decode()
    again = run("brief", "sample", "--save", env=env)
    assert "already stored" in again.stderr.decode()
    latest = json.loads(run("latest", "--json", env=env).stdout)
    assert latest[0]["title"].startswith("Space Force sounds out allies") and "Arianespace" in latest[0]["partners"]
