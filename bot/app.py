"""Bolt listeners. Each one parses, acks at once, and hands slow work to the runtime; nothing else."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from briefings.store.rows import BriefRef

from bot import commands, corrections, oauth, render, watch
from bot.home import publish_home
from bot.runtime import Runtime
from bot.service import answer, brief_url, find_url, user_text

log = logging.getLogger("launchbrief.bot")


def create_app(rt: Runtime) -> AsyncApp:
    app = AsyncApp(  # the token lives in rt.client (pointed at SLACK_API_URL, with retry handlers)
        signing_secret=rt.settings.slack_signing_secret,
        client=rt.client,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        **oauth.app_kwargs(rt),  # OAuth install flow when SLACK_CLIENT_ID/SECRET are set (bot/oauth.py)
    )
    oauth.register(app, rt)
    watch.register(app, rt)  # the Brief button of watch alerts
    corrections.register(app, rt)  # the Partners view with a correction menu per line (issue 13)

    # ---------------------------------------------------------------------------------- /launchbrief
    @app.command("/launchbrief")
    async def on_command(ack, command, respond):
        # A replayed signed request (same trigger_id, inside Slack's 5-minute window) runs once: checked in
        # memory before the ack (no database write delays it), and in the database after it (other replicas).
        trigger_id = command.get("trigger_id")
        key = f"command:{trigger_id}" if trigger_id else None
        if key and not rt.first_sight(key):
            log.info("duplicate command %s ignored (replayed request)", trigger_id[:80])
            await ack()
            return
        cmd = commands.parse(command.get("text"))
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

    # ------------------------------------------------------------------------------------- buttons
    async def _brief_of(body) -> BriefRef | None:
        try:
            article_id = int(body["actions"][0]["value"])
        except (KeyError, IndexError, ValueError):
            return None
        got = await rt.store.get_brief(article_id)
        return BriefRef(article_id, got.brief) if got and got.brief else None

    def button(action_id: str, build) -> None:
        """A brief's button: ack, then load the brief it belongs to and answer with ``build(found)``."""

        @app.action(action_id)
        async def on_button(ack, body, respond):
            await ack()

            async def work():
                msg, response_type = await build(await _brief_of(body))
                await respond(response_type=response_type, replace_original=False, **msg.as_kwargs())

            rt.spawn(_guard(work(), respond), action_id)

    async def share(found):
        if not found:
            return render.error_message("That brief is no longer stored."), "ephemeral"
        return render.brief_message(found.brief, article_id=None, buttons=False), "in_channel"

    async def more_like_this(found):
        title = (found.brief.title if found else None) or ""
        terms = " ".join(([p.name for p in found.brief.partners[:3]] if found else []) or [title])
        hits = [h for h in await rt.store.search(terms, limit=6) if not found or h.article_id != found.article_id]
        return render.search_message(f"more like “{title or terms}”", hits[:5]), "ephemeral"

    button("share_brief", share)
    button("more_like_this", more_like_this)

    # ------------------------------------------------------------------------------ @launchbrief
    @app.event("app_mention")
    async def on_mention(body, event, client, context):
        if _from_a_bot(event, context) and not rt.settings.answer_bots:
            log.info("mention by a bot (%s) ignored", event.get("bot_id") or event.get("user"))
            return  # two bots answering each other is a loop
        event_id = body.get("event_id")
        if event_id and not await rt.claim_once(event_id):
            log.info("duplicate event %s ignored (Slack retry)", event_id[:80])
            return
        rt.spawn(_mention_guarded(rt, client, event), "mention")

    @app.event("app_home_opened")
    async def on_home(body, event, client):
        if event.get("tab") not in (None, "home"):
            return
        rt.spawn(publish_home(rt, client, event["user"], body.get("team_id")), "home")

    @app.error
    async def on_error(error, body):
        log.error("unhandled error in a listener: %s", error, exc_info=error)

    return app


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


SLACK_ERRORS = {  # what a Slack Web API error means for the person who mentioned us, in plain words
    "missing_scope": "I'm not allowed to read this conversation, so I can't see the thread's first message. "
                     "Put the link in your mention instead.",
    "not_in_channel": "I'm not a member of this conversation, so I can't read it. Invite me with "
                      "`/invite @launchbrief`, or put the link in your mention.",
    "channel_not_found": "I can't see this conversation (private, or shared from another workspace). Invite me "
                         "with `/invite @launchbrief`, or put the link in your mention.",
    "thread_not_found": "I can't find this thread's first message. Put the link in your mention instead.",
}


async def _mention_guarded(rt: Runtime, client, event: dict) -> None:
    """Answer a mention; whatever fails is answered in the thread with a plain sentence, never silence."""
    try:
        await _mention(rt, client, event)
        return
    except SlackApiError as exc:
        code = str((exc.response or {}).get("error") or "")
        log.warning("mention in %s failed: Slack said %s", event.get("channel"), code)
        text = SLACK_ERRORS.get(code, f"Slack refused a call I needed ({code or 'unknown error'}); "
                                      "please try again, or put the link in your mention.")
    except Exception:
        log.exception("mention failed")
        text = "Something went wrong on our side; please try again."
    try:
        await client.chat_postMessage(channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"],
                                      unfurl_links=False, unfurl_media=False,
                                      **render.error_message(text).as_kwargs())
    except Exception as exc:  # cannot even answer (e.g. not_in_channel): the log is all that is left
        log.warning("could not answer the mention in %s: %s", event.get("channel"), exc)


async def _mention(rt: Runtime, client, event: dict) -> None:
    channel = event["channel"]
    thread_ts = event.get("thread_ts") or event["ts"]
    text = event.get("text") or ""
    url = find_url(text)
    if not url and event.get("thread_ts"):
        replies = await client.conversations_replies(channel=channel, ts=event["thread_ts"], limit=1)
        messages = replies.get("messages") or []
        if messages:
            url = find_url(messages[0].get("text"))
    try:
        context = await brief_url(rt, url) if url else None
    except Exception as exc:  # a bad link: say so in the thread
        message = getattr(exc, "message", None) or "Something went wrong fetching that link."
        if not getattr(exc, "message", None):
            log.exception("mention brief failed")
        msg = render.error_message(f"I couldn't brief {url}: {message}")
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False,
                                      unfurl_media=False, **msg.as_kwargs())
        return
    # the question without the mention, link tokens and Slack's escaping (unescaped once; escaped on output)
    stripped = user_text(text)
    if url:
        stripped = " ".join(w for w in stripped.split() if w.rstrip(").,;") != url)
    if context and not commands.is_question(stripped):
        msg = render.brief_message(context.brief, article_id=context.article_id)
    elif stripped:
        ans = await answer(rt, stripped, context)
        msg = render.info_message(ans.text, ans.fallback)
    else:
        msg = render.help_message("Mention me in a thread with a link to brief it, or ask a question.")
    await client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                                  **msg.as_kwargs())
