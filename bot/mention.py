"""Answering an ``@launchbrief`` mention, after the listener has handed it over: brief the thread's link, or
answer the question from the archive. What was asked is read by :func:`bot.parse.parse_mention`."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import render
from bot.parse import Mention, parse_mention
from bot.runtime import Runtime
from bot.service import answer, brief_url

log = logging.getLogger("launchbrief.bot")

SLACK_ERRORS = {  # what a Slack Web API error means for the person who mentioned us, in plain words
    "missing_scope": "I'm not allowed to read this conversation, so I can't see the thread's first message. "
                     "Put the link in your mention instead.",
    "not_in_channel": "I'm not a member of this conversation, so I can't read it. Invite me with "
                      "`/invite @launchbrief`, or put the link in your mention.",
    "channel_not_found": "I can't see this conversation (private, or shared from another workspace). Invite me "
                         "with `/invite @launchbrief`, or put the link in your mention.",
    "thread_not_found": "I can't find this thread's first message. Put the link in your mention instead.",
}


async def _post(client, event: dict, msg: render.Message) -> None:
    await client.chat_postMessage(channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"],
                                  unfurl_links=False, unfurl_media=False, **msg.as_kwargs())


async def answer_mention(rt: Runtime, client, event: dict, team_id: str | None = None) -> None:
    """Answer a mention; whatever fails is answered in the thread with a plain sentence, never silence.
    ``team_id``: the workspace whose articles the answer may cite (None: all, single-workspace mode)."""
    try:
        await _answer(rt, client, event, team_id)
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
        await _post(client, event, render.error_message(text))
    except Exception as exc:  # cannot even answer (e.g. not_in_channel): the log is all that is left
        log.warning("could not answer the mention in %s: %s", event.get("channel"), exc)


async def _with_thread_link(client, event: dict, mention: Mention) -> Mention:
    if mention.url or not mention.in_thread:
        return mention
    replies = await client.conversations_replies(channel=event["channel"], ts=event["thread_ts"], limit=1)
    messages = replies.get("messages") or []
    return mention.with_thread_link(messages[0].get("text")) if messages else mention


async def _answer(rt: Runtime, client, event: dict, team_id: str | None) -> None:
    mention = await _with_thread_link(client, event, parse_mention(event))
    try:
        context = await brief_url(rt, mention.url, team_id=team_id) if mention.url else None
    except Exception as exc:  # a bad link: say so in the thread
        message = getattr(exc, "message", None) or "Something went wrong fetching that link."
        if not getattr(exc, "message", None):
            log.exception("mention brief failed")
        await _post(client, event, render.error_message(f"I couldn't brief {mention.url}: {message}"))
        return
    if context and not mention.wants_answer:
        msg = render.brief_message(context.brief, article_id=context.article_id)
    elif mention.question:
        msg = render.answer_message(await answer(rt, mention.question, context, team_id=team_id))
    else:
        msg = render.help_message("Mention me in a thread with a link to brief it, or ask a question.")
    await _post(client, event, msg)
