"""Shared fixtures: a loopback HTTP server with scripted routes, settings that allow loopback, paths to
the shared corpus (tests that need it skip when it is absent)."""

from __future__ import annotations

import getpass
import gzip
import os
import threading
import uuid
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.server import HTTPServer

from .slack_client import SECRET, TOKEN
from .slack_double import SlackDouble

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; a git worktree under wt/ finds it one level further up
SHARED = next((b / "shared" for b in (ROOT.parent, ROOT.parent.parent) if (b / "shared").is_dir()),
              ROOT.parent / "shared")


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0  # seconds before answering
    stall: float = 0.0  # seconds to wait after sending headers, before the body
    no_length: bool = False  # send no Content-Length: the body ends when the connection closes


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 with routes set per test; records every request path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    route = Route(b"<html><body>not found</body></html>", 404)
                if route.delay:
                    time.sleep(route.delay)
                etag = route.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    self.send_response(route.status)
                    for k, v in route.headers.items():
                        self.send_header(k, v)
                    if route.no_length:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    elif "Content-Length" not in route.headers:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    if route.stall:
                        self.wfile.flush()
                        time.sleep(route.stall)
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # clients hanging up early is expected
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **kw) -> str:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body, **kw)
        return self.url(path)

    def start(self) -> LoopbackServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def settings() -> Settings:
    """Settings for tests: loopback allowed (our test servers live there), short timeouts."""
    return Settings(allow_loopback_urls=True, fetch_connect_timeout=2, fetch_read_timeout=1.0,
                    fetch_total_timeout=3, fetch_max_bytes=200_000, _env_file=None)


def html_page(title: str, paragraphs: list[str]) -> str:
    from html import escape

    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><article><h1>{escape(title)}</h1>{body}</article>"
            f"<footer>Footer links</footer></body></html>")


def seed_html() -> str | None:
    path = SHARED / "seed" / "space-force-international-partners.txt"
    if not path.exists():
        return None
    lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return html_page(lines[0], lines[1:])


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


# ---------------------------------------------------------------------------------------------- databases
PG_ADMIN_DSN = os.environ.get("LAUNCHBRIEF_TEST_PG", f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a new database on the local PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    async for url in _fresh_pg():
        yield url


@pytest.fixture
async def pg_url():
    """A fresh database on the local PostgreSQL server (for tests only meaningful with a shared server)."""
    async for url in _fresh_pg():
        yield url


async def _fresh_pg():
    name = f"lbtest_{uuid.uuid4().hex[:12]}"
    try:
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except (OSError, Exception) as exc:  # server down or refused
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def store(db_url):
    from briefings.store.repo import Store

    st = await Store.open(db_url)
    yield st
    await st.close()


# --- the Slack app over loopback: a Web API double and the app as a real HTTP server (signed requests) ---

@pytest.fixture
async def slack():
    double = await SlackDouble().start()
    yield double
    await double.stop()


@pytest.fixture
async def bot(slack, tmp_path):
    settings = Settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=slack.api_url, database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
                        allow_loopback_urls=True, admins="UADMIN", fetch_total_timeout=5)
    rt = await Runtime.start(settings)
    server = await HTTPServer(rt).start()
    server.url = f"http://127.0.0.1:{server.port}/slack/events"
    async with httpx.AsyncClient(timeout=10) as http:
        server.http = http
        yield server
    await server.stop()
    await rt.close()


@pytest.fixture
async def oauth_slack():
    """The Slack double that also answers ``oauth.v2.access`` (tests/oauth_support.py)."""
    from .oauth_support import OAuthDouble

    double = await OAuthDouble().start()
    yield double
    await double.stop()


@pytest.fixture
async def multi(oauth_slack, db_url):
    """The app in OAuth (many-workspace) mode as a real HTTP server, on SQLite and PostgreSQL."""
    from .oauth_support import CLIENT_ID, CLIENT_SECRET

    settings = Settings(_env_file=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
                        slack_signing_secret=SECRET, slack_api_url=oauth_slack.api_url, database_url=db_url,
                        slack_redirect_uri="https://launchbrief.example.org/slack/oauth_redirect",
                        allow_loopback_urls=True, poll_minutes=0)
    rt = await Runtime.start(settings)
    server = await HTTPServer(rt).start()
    server.base, server.rt = f"http://127.0.0.1:{server.port}", rt
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        server.http = http
        yield server
    await server.stop()
    await rt.close()
