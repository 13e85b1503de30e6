"""Installing launchbrief in any workspace: Bolt's OAuth flow (``/slack/install`` → Slack → ``/slack/oauth_redirect``).

On when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set; with only ``SLACK_BOT_TOKEN`` the bot stays in
single-workspace mode, exactly as before. Installations and OAuth states live in the bot's own database (SQLite
or PostgreSQL) through slack_sdk's async SQLAlchemy stores; their tables come from Alembic revision 0005.

- A state is single-use and atomic: consuming it is one ``DELETE … WHERE state = ? AND expire_at > now``, so a
  replayed or forged state, or two concurrent callbacks with the same one, cannot both install.
- Org-wide (Enterprise Grid) installs are refused with a plain page saying so: the data is keyed by workspace.
- ``tokens_revoked`` / ``app_uninstalled`` delete the workspace's installation (Bolt's listeners).
- Work outside any request (scheduled digests) gets the workspace's client from :func:`client_for_team`, its
  token rotated first when token rotation is on.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.error import BoltError
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.runtime import Runtime

log = logging.getLogger("launchbrief.oauth")

# the bot scopes of deploy/slack-manifest.yaml (tests/test_oauth.py checks they agree)
DEFAULT_SCOPES = ("app_mentions:read,commands,chat:write,chat:write.public,channels:read,groups:read,"
                  "channels:history,groups:history,users:read")
STATE_SECONDS = 600
UNINSTALLED = "launchbrief is not installed in this workspace (uninstalled or its token revoked): digests paused"


class OrgInstallRefused(BoltError):
    """An Enterprise Grid org-wide install: launchbrief keys its data by workspace, so it is refused."""


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    async def async_save(self, installation: Installation) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            raise OrgInstallRefused("org-wide install refused")
        await super().async_save(installation)
        log.info("installed in workspace %s (%s) by %s", installation.team_id, installation.team_name,
                 installation.user_id)


class StateStore(AsyncSQLAlchemyOAuthStateStore):
    async def async_consume(self, state: str) -> bool:
        """True once for a state that was issued and has not expired; False for anything else, atomically."""
        if not state:
            return False
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        c = self.oauth_states.c
        try:
            async with self.engine.begin() as conn:
                taken = await conn.execute(self.oauth_states.delete().where(c.state == state, c.expire_at > now))
                await conn.execute(self.oauth_states.delete().where(c.expire_at <= now))  # tidy expired ones
            return taken.rowcount == 1
        except Exception:
            log.warning("could not check an OAuth state", exc_info=True)
            return False


def data_team(rt: Runtime, team_id: str | None) -> str | None:
    """The workspace a request's data belongs to: its team in OAuth mode (each workspace sees its own); None in
    single-workspace mode, where the one workspace and the terminal CLI share everything, as before."""
    return team_id if enabled(rt) else None


def enabled(rt: Runtime) -> bool:
    s = rt.settings
    return bool(getattr(s, "slack_client_id", None) and getattr(s, "slack_client_secret", None))


def _page(title: str, message: str, status: int) -> BoltResponse:
    body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>")
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def _on_success(rt: Runtime):
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        inst = args.installation
        await resume_team(rt, inst.team_id)  # a reinstall picks its digests up again
        return _page("launchbrief is installed",
                     f"launchbrief is now in {inst.team_name or inst.team_id}. Type /launchbrief help in any channel.",
                     200)

    return success


async def pause_team(rt: Runtime, team_id: str | None, reason: str = UNINSTALLED) -> int:
    """The workspace is gone: unschedule its digests and say why on each (App Home shows ``last_error``)."""
    if not team_id:
        return 0
    scheduler = getattr(rt, "scheduler", None)
    subs = await rt.store.subscriptions(team_id)
    for sub in subs:
        if scheduler is not None:
            scheduler.unschedule(sub.id)
        await rt.store.update_subscription(sub.id, last_error=reason)
    log.warning("workspace %s: %s (%d digest subscriptions paused)", team_id, reason, len(subs))
    return len(subs)


async def resume_team(rt: Runtime, team_id: str | None) -> None:
    scheduler = getattr(rt, "scheduler", None)
    for sub in await rt.store.subscriptions(team_id) if team_id else []:
        if sub.last_error == UNINSTALLED:
            sub = await rt.store.update_subscription(sub.id, last_error=None) or sub
            if scheduler is not None:
                scheduler.schedule(sub)


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    if isinstance(args.error, OrgInstallRefused):
        return _page("Org-wide install not supported",
                     "launchbrief keeps its feeds, digests and briefs per workspace, so it cannot be installed "
                     "across a whole Enterprise Grid organisation. Install it in each workspace instead.", 400)
    reasons = {"invalid_state": "This install link has expired or was already used. Start again from the install "
                                "page.",
               "invalid_browser": "This install was started in another browser. Start again from the install "
                                  "page in this one.",
               "access_denied": "The install was cancelled.",
               "invalid_code": "Slack did not accept the install code. Start again from the install page."}
    log.warning("OAuth install failed: %s", args.reason)
    return _page("launchbrief was not installed", reasons.get(args.reason, f"Install failed ({args.reason})."),
                 args.suggested_status_code)


def credentials(rt: Runtime) -> tuple[str, str]:
    """The app's OAuth client id and secret; only asked for in OAuth mode (:func:`enabled`), where both are set."""
    client_id, secret = rt.settings.slack_client_id, rt.settings.slack_client_secret
    if not (client_id and secret):
        raise RuntimeError("OAuth mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    return client_id, secret


def settings_for(rt: Runtime) -> AsyncOAuthSettings:
    s = rt.settings
    client_id, client_secret = credentials(rt)
    scopes = [x.strip() for x in (getattr(s, "slack_scopes", None) or DEFAULT_SCOPES).split(",") if x.strip()]
    return AsyncOAuthSettings(
        client_id=client_id, client_secret=client_secret, scopes=scopes,
        redirect_uri=getattr(s, "slack_redirect_uri", None) or None,
        install_page_rendering_enabled=False,  # /slack/install redirects straight to Slack
        installation_store=InstallationStore(client_id=client_id, engine=rt.store.engine),
        state_store=StateStore(expiration_seconds=STATE_SECONDS, engine=rt.store.engine),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=_on_success(rt), failure=_failure),
    )


def app_kwargs(rt: Runtime) -> dict[str, Any]:
    """Extra ``AsyncApp`` arguments: the OAuth settings in multi-workspace mode, nothing in single-workspace."""
    return {"oauth_settings": settings_for(rt)} if enabled(rt) else {}


def register(app: AsyncApp, rt: Runtime) -> None:
    """Uninstall / bot-token revocation: delete the workspace's installation and pause its digests."""
    if not enabled(rt) or app.installation_store is None:  # the OAuth settings give the app its store
        return
    revocation = AsyncTokenRevocationListeners(app.installation_store)

    @app.event("app_uninstalled")
    async def on_uninstalled(context) -> None:
        await revocation.handle_app_uninstalled_events(context)
        await pause_team(rt, context.team_id)

    @app.event("tokens_revoked")
    async def on_revoked(event, context) -> None:
        await revocation.handle_tokens_revoked_events(event, context)
        if (event.get("tokens") or {}).get("bot"):
            await pause_team(rt, context.team_id)


def install_routes(web_app: web.Application, bolt: AsyncApp) -> None:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect`` (Bolt's flow; no-op in single-workspace mode)."""
    flow = bolt.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def callback(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    web_app.router.add_get(flow.install_path, install)
    web_app.router.add_get(flow.redirect_uri_path, callback)


async def client_for_team(rt: Runtime, team_id: str | None, *,
                          enterprise_id: str | None = None) -> AsyncWebClient | None:
    """The Web API client to use for a workspace outside any request.

    Single-workspace mode: the bot's own client. OAuth mode: a client with that workspace's bot token (rotated
    first when it expires soon), sharing the bot's session and retry handlers; None when the workspace has no
    installation (uninstalled or revoked): the caller skips it and says why.
    """
    if not enabled(rt):
        return rt.client
    client_id, client_secret = credentials(rt)
    store = InstallationStore(client_id=client_id, engine=rt.store.engine)
    bot = await store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
    if bot is None or not bot.bot_token:
        return None
    if bot.bot_refresh_token:
        rotator = AsyncTokenRotator(client_id=client_id, client_secret=client_secret,
                                    client=rt.client)
        try:
            fresh = await rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=120)
        except SlackTokenRotationError as exc:  # refresh token revoked or invalid: as good as uninstalled
            log.warning("workspace %s: token rotation failed (%s); skipping it", team_id, exc.api_error)
            return None
        if fresh is not None:
            await store.async_save_bot(fresh)
            bot = fresh
    return type(rt.client)(token=bot.bot_token, base_url=rt.client.base_url, timeout=rt.client.timeout,
                           session=rt.client.session, retry_handlers=list(rt.client.retry_handlers),
                           team_id=team_id)
