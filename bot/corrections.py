"""Corrections in Slack (issue 13): the Partners view of a brief has an overflow menu on every partner line
("not a partner", "wrong role…", "wrong country…"), a "Missing partner…" button and a "Not launch news"
button. "…" items open a small modal. Corrections are stored per workspace and marked in its renderings.

Every listener acks at once and hands the work over (opening a modal must use the trigger id within 3 s, so
that call is the first thing the handed-over work does).
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from briefings import corrections as corr
from briefings.models import Brief, BriefMarks

from bot import render
from bot.render import esc

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("launchbrief.corrections")
OVERFLOW = "correct_partner"
MODAL = "correction_modal"
NOT_NEWS = "correct_not_news"
MISSING = "correct_missing"
MENU = (("not_partner", "Not a partner"), ("wrong_role", "Wrong role…"), ("wrong_country", "Wrong country…"))
PROMPTS = {"wrong_role": "The right role (e.g. launch provider, host nation)",
           "wrong_country": "The right country (two-letter ISO code, e.g. NO)",
           "missing_partner": "The partner the brief missed (name)"}


async def marked(rt: Runtime, team_id: str | None, article_id: int | None) -> BriefMarks | None:
    """This workspace's corrections of the brief of ``article_id`` (None when there are none)."""
    if not team_id or article_id is None:
        return None
    return corr.mark(await corr.for_articles(rt.store, team_id, [article_id]))


def partners_view(article_id: int, brief: Brief, marks: BriefMarks | None = None) -> render.Message:
    """Each partner on its own line with an overflow menu; buttons for the brief as a whole."""
    partner_list = brief.partners
    fixes = marks.partners if marks else {}
    b = render.Builder().header(f"Partners: {brief.title or 'article'}")
    blocks = [x.to_dict() for x in b.blocks]
    for note in marks.whole if marks else []:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": render.correction_note(note)}]})
    if not partner_list:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "This article names no launch partners."}})
    for i, p in enumerate(partner_list[:40]):
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": render.clip(render.partner_line(
                           p, corrections=fixes.get(p.name)), 2900)},
                       "accessory": {"type": "overflow", "action_id": f"{OVERFLOW}:{i}", "options": [
                           {"text": {"type": "plain_text", "text": label}, "value": f"{kind}:{article_id}:{i}"}
                           for kind, label in MENU]}})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Missing partner…"}, "action_id": MISSING,
         "value": str(article_id)},
        {"type": "button", "text": {"type": "plain_text", "text": "Not launch news"}, "action_id": NOT_NEWS,
         "value": str(article_id)}]})
    text = "Partners: " + (", ".join(p.name for p in partner_list) or "none")
    return render.Message(text=render._clip_escaped(text, render.MAX_TEXT), blocks=blocks[: render.MAX_BLOCKS])


def modal(kind: str, article_id: int, partner: str, team_id: str, channel_id: str | None) -> dict:
    meta = json.dumps({"kind": kind, "article_id": article_id, "partner": partner, "team_id": team_id,
                       "channel_id": channel_id})
    title = {"wrong_role": "Wrong role", "wrong_country": "Wrong country", "missing_partner": "Missing partner"}[kind]
    return {"type": "modal", "callback_id": MODAL, "private_metadata": meta,
            "title": {"type": "plain_text", "text": title}, "submit": {"type": "plain_text", "text": "Save"},
            "blocks": ([{"type": "section", "text": {"type": "mrkdwn", "text": f"*{esc(partner)}*"}}] if partner else [])
            + [{"type": "input", "block_id": "value", "label": {"type": "plain_text", "text": PROMPTS[kind]},
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200}}]}


def register(app, rt: Runtime) -> None:
    async def save(c: corr.CorrectionIn, respond=None) -> str | None:
        """Store a correction; answer the user (ephemeral) with the brief's partners as now marked."""
        try:
            await corr.add(rt.store, c)
        except corr.CorrectionError as exc:
            if respond:
                await respond(response_type="ephemeral", replace_original=False,
                              **render.error_message(str(exc)).as_kwargs())
            return str(exc)
        if respond:
            got = await rt.store.get_brief(c.article_id)
            if got and got.brief:
                marks = await marked(rt, c.team_id, c.article_id)
                await respond(response_type="ephemeral", replace_original=True,
                              **partners_view(c.article_id, got.brief, marks).as_kwargs())
        return None

    @app.action("show_partners")
    async def on_partners(ack, body, respond):
        await ack()

        async def work():
            try:
                article_id = int(body["actions"][0]["value"])
            except (KeyError, IndexError, ValueError):
                article_id = -1
            got = await rt.store.get_brief(article_id)
            if not got or not got.brief:
                msg = render.error_message("That brief is no longer stored.")
            else:
                msg = partners_view(article_id, got.brief,
                                    await marked(rt, (body.get("team") or {}).get("id"), article_id))
            await respond(response_type="ephemeral", replace_original=False, **msg.as_kwargs())

        rt.spawn(work(), "show partners")

    @app.action(re.compile(rf"^{OVERFLOW}:\d+$"))
    async def on_overflow(ack, body, client, respond):
        await ack()

        async def work():
            try:
                kind, article_id, index = body["actions"][0]["selected_option"]["value"].split(":")
                article_id, index = int(article_id), int(index)
            except (KeyError, IndexError, ValueError):
                return
            team = (body.get("team") or {}).get("id") or ""
            got = await rt.store.get_brief(article_id)
            partners = got.brief.partners if got and got.brief else []
            if kind not in dict(MENU) or not 0 <= index < len(partners):
                await respond(response_type="ephemeral", replace_original=False,
                              **render.error_message("That brief has changed; open its partners again.").as_kwargs())
                return
            name = partners[index].name
            if kind == "not_partner":
                await save(corr.CorrectionIn(team_id=team, article_id=article_id, kind=kind, partner=name,
                                             user_id=(body.get("user") or {}).get("id")), respond)
                return
            await client.views_open(trigger_id=body["trigger_id"],
                                    view=modal(kind, article_id, name, team, (body.get("channel") or {}).get("id")))

        rt.spawn(work(), "correct partner")

    @app.action(NOT_NEWS)
    async def on_not_news(ack, body, respond):
        await ack()

        async def work():
            article_id = _article_id(body)
            if article_id is None:
                return
            await save(corr.CorrectionIn(team_id=(body.get("team") or {}).get("id") or "", article_id=article_id,
                                         kind="not_launch_news", user_id=(body.get("user") or {}).get("id")),
                       respond)

        rt.spawn(work(), "not launch news")

    @app.action(MISSING)
    async def on_missing(ack, body, client):
        await ack()

        async def work():
            article_id = _article_id(body)
            if article_id is None:
                return
            await client.views_open(trigger_id=body["trigger_id"], view=modal(
                "missing_partner", article_id, "", (body.get("team") or {}).get("id") or "",
                (body.get("channel") or {}).get("id")))

        rt.spawn(work(), "missing partner")

    @app.view(MODAL)
    async def on_modal(ack, body, view):
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            value = view["state"]["values"]["value"]["value"]["value"] or ""
            c = corr.CorrectionIn(team_id=meta.get("team_id") or (body.get("team") or {}).get("id") or "",
                                  article_id=int(meta["article_id"]), kind=meta["kind"], partner=meta.get("partner") or "",
                                  value=value, user_id=(body.get("user") or {}).get("id"))
        except (KeyError, TypeError, ValueError):
            await ack(response_action="errors", errors={"value": "Something is missing; please try again."})
            return
        if c.kind == "wrong_country" and not re.fullmatch(r"\s*[A-Za-z]{2}\s*", value):
            await ack(response_action="errors", errors={"value": "A two-letter ISO code, e.g. NO for Norway."})
            return
        if not value.strip():
            await ack(response_action="errors", errors={"value": "Say what it should be."})
            return
        await ack()  # the modal closes; the correction is stored after the ack
        rt.spawn(save(c), "save correction")


def _article_id(body: dict) -> int | None:
    """The article id a button carries as its value, or None for a malformed payload."""
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
