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
from briefings.models import BriefMarks

from bot import render
from bot.buttons import article_id_of
from bot.render import MENU, MISSING, MODAL, NOT_NEWS, OVERFLOW

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("launchbrief.corrections")


async def marked(rt: Runtime, team_id: str | None, article_id: int | None) -> BriefMarks | None:
    """This workspace's corrections of the brief of ``article_id`` (None when there are none)."""
    if not team_id or article_id is None:
        return None
    return corr.mark(await corr.for_articles(rt.store, team_id, [article_id]))


def register(app, rt: Runtime) -> None:
    app.action("show_partners")(_on_partners(rt))
    app.action(re.compile(rf"^{OVERFLOW}:\d+$"))(_on_overflow(rt))
    app.action(NOT_NEWS)(_on_not_news(rt))
    app.action(MISSING)(_on_missing(rt))
    app.view(MODAL)(_on_modal(rt))


async def save(rt: Runtime, c: corr.CorrectionIn, respond=None) -> str | None:
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
                          **render.partners_view(c.article_id, got.brief, marks).as_kwargs())
    return None


def _team(body: dict) -> str:
    return (body.get("team") or {}).get("id") or ""


def _user(body: dict) -> str | None:
    return (body.get("user") or {}).get("id")


def _channel(body: dict) -> str | None:
    return (body.get("channel") or {}).get("id")


def _on_partners(rt: Runtime):
    async def on_partners(ack, body, respond):
        await ack()

        async def work():
            found = article_id_of(body)
            article_id = found if found is not None else -1
            got = await rt.store.get_brief(article_id)
            if not got or not got.brief:
                msg = render.error_message("That brief is no longer stored.")
            else:
                msg = render.partners_view(article_id, got.brief, await marked(rt, _team(body), article_id))
            await respond(response_type="ephemeral", replace_original=False, **msg.as_kwargs())

        rt.spawn(work(), "show partners")

    return on_partners


def menu_choice(body: dict) -> tuple[str, int, int] | None:
    """An overflow menu's choice ``kind:article_id:index``, or None for a malformed payload."""
    try:
        kind, article_id, index = body["actions"][0]["selected_option"]["value"].split(":")
        return kind, int(article_id), int(index)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _on_overflow(rt: Runtime):
    async def on_overflow(ack, body, client, respond):
        await ack()

        async def work():
            choice = menu_choice(body)
            if choice is None:
                return
            kind, article_id, index = choice
            got = await rt.store.get_brief(article_id)
            partners = got.brief.partners if got and got.brief else []
            if kind not in dict(MENU) or not 0 <= index < len(partners):
                await respond(response_type="ephemeral", replace_original=False,
                              **render.error_message("That brief has changed; open its partners again.").as_kwargs())
                return
            name = partners[index].name
            if kind == "not_partner":
                await save(rt, corr.CorrectionIn(team_id=_team(body), article_id=article_id, kind="not_partner",
                                                 partner=name, user_id=_user(body)), respond)
                return
            await client.views_open(trigger_id=body["trigger_id"], view=render.correction_modal(
                kind, article_id, name, _team(body), _channel(body)))

        rt.spawn(work(), "correct partner")

    return on_overflow


def _on_not_news(rt: Runtime):
    async def on_not_news(ack, body, respond):
        await ack()

        async def work():
            article_id = article_id_of(body)
            if article_id is None:
                return
            await save(rt, corr.CorrectionIn(team_id=_team(body), article_id=article_id, kind="not_launch_news",
                                             user_id=_user(body)), respond)

        rt.spawn(work(), "not launch news")

    return on_not_news


def _on_missing(rt: Runtime):
    async def on_missing(ack, body, client):
        await ack()

        async def work():
            article_id = article_id_of(body)
            if article_id is None:
                return
            await client.views_open(trigger_id=body["trigger_id"], view=render.correction_modal(
                "missing_partner", article_id, "", _team(body), _channel(body)))

        rt.spawn(work(), "missing partner")

    return on_missing


def modal_correction(body: dict, view: dict) -> tuple[corr.CorrectionIn | None, str | None]:
    """What a submitted correction modal says: (correction, None), or (None, the error to show under the field)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        value = view["state"]["values"]["value"]["value"]["value"] or ""
        c = corr.CorrectionIn(team_id=meta.get("team_id") or _team(body), article_id=int(meta["article_id"]),
                              kind=meta["kind"], partner=meta.get("partner") or "", value=value, user_id=_user(body))
    except (KeyError, TypeError, ValueError):
        return None, "Something is missing; please try again."
    if c.kind == "wrong_country" and not re.fullmatch(r"\s*[A-Za-z]{2}\s*", value):
        return None, "A two-letter ISO code, e.g. NO for Norway."
    if not value.strip():
        return None, "Say what it should be."
    return c, None


def _on_modal(rt: Runtime):
    async def on_modal(ack, body, view):
        c, error = modal_correction(body, view)
        if c is None:
            await ack(response_action="errors", errors={"value": error})
            return
        await ack()  # the modal closes; the correction is stored after the ack
        rt.spawn(save(rt, c), "save correction")

    return on_modal
