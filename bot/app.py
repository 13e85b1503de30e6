"""Bolt listeners. Each one parses, acks at once, and hands slow work to the runtime; nothing else.

What is registered is listed in module-level tables (:data:`SLASH_COMMANDS`, :data:`EVENTS`,
:data:`bot.buttons.BUTTONS`, and the ``ACTIONS``/``VIEWS``/``EVENTS`` of the modules that register their own);
tests/test_manifest.py checks them against deploy/slack-manifest.yaml.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot import buttons, commands, corrections, oauth, render, watch
from bot.home import publish_home
from bot.mention import answer_mention
from bot.parse import parse
from bot.runtime import Runtime

log = logging.getLogger("launchbrief.bot")

COMMAND = "/launchbrief"
SLASH_COMMANDS = (COMMAND,)
EVENTS = ("app_mention", "app_home_opened")


def create_app(rt: Runtime) -> AsyncApp:
    app = AsyncApp(  # the token lives in rt.client (pointed at SLACK_API_URL, with retry handlers)
        signing_secret=rt.settings.slack_signing_secret,
        client=rt.client,
        # every listener acks and hands its work to rt.spawn, so Bolt may answer when the listener returns:
        # no polling for the ack (bolt-python waits for an ack in 10 ms sleeps otherwise), acks stay fast in bursts
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        **oauth.app_kwargs(rt),  # OAuth install flow when SLACK_CLIENT_ID/SECRET are set (bot/oauth.py)
    )
    register_listeners(app, rt)
    return app


def register_listeners(app, rt: Runtime) -> None:
    """Every listener of the app (``app``: Bolt's AsyncApp, or a recorder in tests)."""
    oauth.register(app, rt)
    watch.register(app, rt)  # the Brief button of watch alerts
    corrections.register(app, rt)  # the Partners view with a correction menu per line (issue 13)
    app.command(COMMAND)(_on_command(rt))
    for action_id, handler in buttons.BUTTONS.items():
        app.action(action_id)(_on_button(rt, action_id, handler))
    app.event("app_mention")(_on_mention(rt))
    app.event("app_home_opened")(_on_home(rt))

    @app.error
    async def on_error(error, body):
        log.error("unhandled error in a listener: %s", error, exc_info=error)


def _on_command(rt: Runtime):
    async def on_command(ack, command, respond):
        # A replayed signed request (same trigger_id, inside Slack's 5-minute window) runs once: checked in
        # memory before the ack (no database write delays it), and in the database after it (other replicas).
        trigger_id = command.get("trigger_id")
        key = f"command:{trigger_id}" if trigger_id else None
        if key and not rt.first_sight(key):
            log.info("duplicate command %s ignored (replayed request)", trigger_id[:80])
            await ack()
            return
        cmd = parse(command.get("text"))
        if cmd.name in ("help", "unknown"):  # instant answers go in the ack itself
            await ack(**render.help_message(cmd.error).as_kwargs())
            return
        await ack(text="Working on it…")

        async def work():
            if key and not await rt.claim_once(key):
                log.info("duplicate command %s ignored (replayed to another replica)", trigger_id[:80])
                return
            msg = await commands.run(rt, cmd, command.get("user_id"), team_id=command.get("team_id"),
                                     channel_id=command.get("channel_id"))
            # the answer takes the place of the "Working on it…" ack: one message, not two
            await respond(response_type="ephemeral", replace_original=True, **msg.as_kwargs())

        rt.spawn(_guard(work(), respond, replace_original=True), "command")

    return on_command


def _on_button(rt: Runtime, action_id: str, handler: buttons.ButtonHandler):
    """A brief's button: ack, then load the brief it belongs to and answer with the handler's message."""

    async def on_button(ack, body, respond):
        await ack()

        async def work():
            team = oauth.data_team(rt, (body.get("team") or {}).get("id"))
            msg, response_type = await handler(rt, await buttons.brief_of(rt, body), team)
            await respond(response_type=response_type, replace_original=False, **msg.as_kwargs())

        rt.spawn(_guard(work(), respond), action_id)

    return on_button


def _on_mention(rt: Runtime):
    async def on_mention(body, event, client, context):
        if _from_a_bot(event, context) and not rt.settings.answer_bots:
            log.info("mention by a bot (%s) ignored", event.get("bot_id") or event.get("user"))
            return  # two bots answering each other is a loop
        event_id = body.get("event_id")
        if event_id and not await rt.claim_once(event_id):
            log.info("duplicate event %s ignored (Slack retry)", event_id[:80])
            return
        rt.spawn(answer_mention(rt, client, event, oauth.data_team(rt, body.get("team_id"))), "mention")

    return on_mention


def _on_home(rt: Runtime):
    async def on_home(body, event, client):
        if event.get("tab") not in (None, "home"):
            return
        rt.spawn(publish_home(rt, client, event["user"], body.get("team_id")), "home")

    return on_home


def _from_a_bot(event: dict, context) -> bool:
    """Another app's (or our own) message: Slack marks them with ``bot_id`` / ``bot_message``."""
    own = (context or {}).get("bot_user_id") if hasattr(context, "get") else None
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message"
                or (own and event.get("user") == own))


async def _guard(coro, respond, *, replace_original: bool = False) -> None:
    """Run background work; any unexpected failure becomes a plain message, never silence."""
    try:
        await coro
    except Exception:
        log.exception("background work failed")
        try:
            await respond(response_type="ephemeral", replace_original=replace_original,
                          **render.error_message("Something went wrong on our side; please try again.").as_kwargs())
        except Exception:
            log.exception("could not report the failure")
