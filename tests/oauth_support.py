"""The OAuth side of the Slack double (``oauth.v2.access``) and the install flow as a browser walks it, for the
tests that need installed workspaces (tests/test_oauth.py, tests/test_workspaces.py)."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from aiohttp import web

from bot import oauth

from .slack_double import Call, SlackDouble

CLIENT_ID, CLIENT_SECRET = "1111.2222", "oauth-client-secret"
COOKIE = "slack-app-oauth-state"


class OAuthDouble(SlackDouble):
    """The Slack double plus ``oauth.v2.access``: codes it knows become installations, Basic-auth checked."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, dict] = {}
        self.refresh: dict[str, str] = {}  # refresh token -> the new access token it buys

    async def api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] != "oauth.v2.access":
            return await super().api(request)
        params = await self._params(request)
        self.calls.append(Call("oauth.v2.access", params, dict(request.headers), time.monotonic()))
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        if params.get("grant_type") == "refresh_token":  # token rotation: a refresh token is good once
            fresh = self.refresh.pop(params.get("refresh_token"), None)
            if fresh is None:
                return web.json_response({"ok": False, "error": "invalid_refresh_token"})
            return web.json_response({"ok": True, "token_type": "bot", "access_token": fresh,
                                      "refresh_token": fresh + "-refresh", "expires_in": 43200})
        grant = self.codes.pop(params.get("code"), None)  # a code is good once
        if grant is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        return web.json_response({"ok": True, "app_id": "A1", "token_type": "bot", "scope": "commands,chat:write",
                                  **grant})

    def grant(self, code: str, team: str | None, token: str | None = None, *, org: bool = False) -> None:
        self.codes[code] = {"access_token": token or f"xoxb-{(team or 'org').lower()}-token",
                            "bot_user_id": f"UBOT{team}",
                            "team": {"id": team, "name": f"Team {team}"} if team else None,
                            "enterprise": {"id": "E1", "name": "Org"} if org else None,
                            "is_enterprise_install": org, "authed_user": {"id": f"UINST{team}"}}


async def start_install(bot) -> str:
    resp = await bot.http.get(bot.base + "/slack/install")
    assert resp.status_code == 302
    location = urlsplit(resp.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://slack.com/oauth/v2/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["scope"].split(",") == oauth.DEFAULT_SCOPES.split(",")
    assert query["redirect_uri"] == "https://launchbrief.example.org/slack/oauth_redirect"
    assert query["state"] and f"{COOKIE}={query['state']}" in resp.headers["set-cookie"]
    return query["state"]


async def callback(bot, code: str, state: str, cookie: str | None = None) -> httpx.Response:
    headers = {"Cookie": f"{COOKIE}={cookie if cookie is not None else state}"} if cookie != "" else {}
    return await bot.http.get(bot.base + "/slack/oauth_redirect", params={"code": code, "state": state},
                              headers=headers)
