"""The fetcher's guard and caps, against a real loopback server."""

from __future__ import annotations

import zlib

import pytest

from briefings.config import Settings
from briefings.errors import (BlockedURL, EmptyArticle, FetchFailed, FetchTimeout, InvalidURL, TooLarge,
                              UnsupportedContent)
from briefings.engine import brief_url
from briefings.intake.fetch import AddressPolicy, Fetcher

from .conftest import gz, html_page

ARTICLE = html_page("Rocket Lab wins launch contract", [
    "Rocket Lab has won a contract to launch two satellites for the Space Development Agency from "
    "its Launch Complex 1 in New Zealand, the company said on Monday.",
    "The Electron rocket will fly the mission next year, according to the agency, which is building a "
    "proliferated constellation in low Earth orbit.",
] * 2)


async def test_fetches_html_and_follows_redirects(server, settings):
    final = server.add("/article", ARTICLE)
    server.add("/r1", status=302, headers={"Location": "/r2"})
    server.add("/r2", status=301, headers={"Location": final})
    async with Fetcher(settings) as f:
        res = await f.fetch(server.url("/r1"))
    assert res.url == final and res.status == 200
    assert "Rocket Lab" in res.text()
    assert len(res.redirects) == 2
    assert server.requests[0][1]["User-Agent"].startswith("launchbrief/")


@pytest.mark.parametrize("url, exc", [
    ("http://127.0.0.1/", BlockedURL),
    ("http://localhost:8080/", BlockedURL),
    ("http://[::1]/", BlockedURL),
    ("http://169.254.169.254/latest/meta-data/", BlockedURL),
    ("http://10.0.0.1/", BlockedURL),
    ("http://192.168.1.1/", BlockedURL),
    ("http://[::ffff:10.0.0.1]/", BlockedURL),
    ("http://0.0.0.0/", BlockedURL),
    ("ftp://example.com/file", InvalidURL),
    ("file:///etc/passwd", InvalidURL),
    ("javascript:alert(1)", InvalidURL),
    ("not a url", InvalidURL),
    ("http://user:pw@example.com/", InvalidURL),
])
async def test_guard_rejects_before_any_connection(url, exc):
    async with Fetcher(Settings(_env_file=None)) as f:  # defaults: no loopback, no private
        with pytest.raises(exc) as info:
            await f.fetch(url)
    assert "\n" not in str(info.value) and str(info.value)


async def test_hostname_resolving_to_private_address_is_blocked():
    async def resolver(host, port):
        return ["10.0.0.1"] if host == "intranet.example" else ["93.184.216.34"]

    async with Fetcher(Settings(_env_file=None), resolver=resolver) as f:
        with pytest.raises(BlockedURL, match="10.0.0.1"):
            await f.fetch("http://intranet.example/secret")


async def test_every_resolved_address_must_be_allowed():
    async def resolver(host, port):  # DNS answers one public and one private address
        return ["93.184.216.34", "10.0.0.7"]

    async with Fetcher(Settings(_env_file=None), resolver=resolver) as f:
        with pytest.raises(BlockedURL):
            await f.fetch("http://mixed.example/")


async def test_redirect_to_private_address_is_blocked(server, settings):
    server.add("/go", status=302, headers={"Location": "http://10.0.0.1/admin"})
    server.add("/meta", status=307, headers={"Location": "http://169.254.169.254/latest/"})
    async with Fetcher(settings) as f:
        with pytest.raises(BlockedURL):
            await f.fetch(server.url("/go"))
        with pytest.raises(BlockedURL):
            await f.fetch(server.url("/meta"))


async def test_redirect_to_a_name_that_resolves_private_is_blocked(server, settings):
    async def resolver(host, port):
        return {"evil.example": ["10.1.2.3"]}.get(host, ["127.0.0.1"])

    server.add("/go", status=302, headers={"Location": "http://evil.example/"})
    async with Fetcher(settings, resolver=resolver) as f:
        with pytest.raises(BlockedURL):
            await f.fetch(server.url("/go"))


async def test_too_many_redirects(server, settings):
    for i in range(7):
        server.add(f"/loop{i}", status=302, headers={"Location": f"/loop{i + 1}"})
    async with Fetcher(settings) as f:
        with pytest.raises(FetchFailed, match="too many redirects"):
            await f.fetch(server.url("/loop0"))


async def test_loopback_allowed_only_by_setting(server):
    url = server.add("/a", ARTICLE)
    async with Fetcher(Settings(_env_file=None)) as f:
        with pytest.raises(BlockedURL):
            await f.fetch(url)
    async with Fetcher(Settings(allow_loopback_urls=True, _env_file=None)) as f:
        assert (await f.fetch(url)).status == 200


def test_policy_private_setting_never_opens_metadata():
    p = AddressPolicy(allow_private=True, allow_loopback=True)
    assert p.why_blocked("10.0.0.1") is None
    assert p.why_blocked("169.254.169.254")
    assert p.why_blocked("fe80::1")


async def test_404(server, settings):
    async with Fetcher(settings) as f:
        with pytest.raises(FetchFailed, match="404") as info:
            await f.fetch(server.url("/missing"))
    assert info.value.status == 404


async def test_slow_server_times_out(server, settings):
    server.add("/slow", ARTICLE, delay=2.5)
    async with Fetcher(settings) as f:
        with pytest.raises(FetchTimeout):
            await f.fetch(server.url("/slow"))


async def test_binary_content_rejected(server, settings):
    server.add("/file.pdf", b"%PDF-1.7\x00\x01binary", headers={"Content-Type": "application/pdf"})
    server.add("/blob", b"\x89PNG\r\n\x1a\n\x00\x00\x00", headers={})
    async with Fetcher(settings) as f:
        with pytest.raises(UnsupportedContent, match="application/pdf"):
            await f.fetch(server.url("/file.pdf"))
        with pytest.raises(UnsupportedContent):
            await f.fetch(server.url("/blob"))


async def test_oversize_rejected_by_header_and_by_stream(server, settings):
    big = b"<html><body>" + b"<p>launch</p>" * 40_000 + b"</body></html>"
    server.add("/big", big)
    server.add("/big-unannounced", big, no_length=True)
    async with Fetcher(settings) as f:
        with pytest.raises(TooLarge, match="MB limit"):
            await f.fetch(server.url("/big"))
        with pytest.raises(TooLarge, match="MB limit"):
            await f.fetch(server.url("/big-unannounced"))


async def test_gzip_bomb_is_capped(server, settings):
    bomb = gz(b"<html><body>" + b"a" * 50_000_000 + b"</body></html>")
    assert len(bomb) < settings.fetch_max_bytes
    server.add("/bomb", bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    async with Fetcher(settings) as f:
        with pytest.raises(TooLarge):
            await f.fetch(server.url("/bomb"))


async def test_gzip_and_deflate_decoded(server, settings):
    server.add("/gz", gz(ARTICLE.encode()), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    server.add("/deflate", zlib.compress(ARTICLE.encode()),
               headers={"Content-Type": "text/html", "Content-Encoding": "deflate"})
    async with Fetcher(settings) as f:
        assert "Electron" in (await f.fetch(server.url("/gz"))).text()
        assert "Electron" in (await f.fetch(server.url("/deflate"))).text()


async def test_charset_from_header_and_meta(server, settings):
    page = "<html><head><meta charset='windows-1252'></head><body><p>Andøya – “quoted”</p></body></html>"
    server.add("/cp", page.encode("cp1252"), headers={"Content-Type": "text/html"})
    server.add("/latin", page.encode("latin-1", "replace"), headers={"Content-Type": "text/html; charset=ISO-8859-1"})
    async with Fetcher(settings) as f:
        assert "Andøya – “quoted”" in (await f.fetch(server.url("/cp"))).text()
        assert "Andøya" in (await f.fetch(server.url("/latin"))).text()


async def test_empty_page_gives_empty_article_error(server, settings):
    server.add("/empty", b"")
    server.add("/blank", "<html><body><nav>Home</nav></body></html>")
    async with Fetcher(settings) as f:
        for path in ("/empty", "/blank"):
            with pytest.raises(EmptyArticle):
                await brief_url(server.url(path), f)
