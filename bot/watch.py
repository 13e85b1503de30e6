"""Watchlists in Slack (issue 13): the `/launchbrief watch …` subcommand, and the alerts after each poll.

After every feed poll (and after a user's brief is saved) :class:`WatchAlerter` checks the articles stored
since each active watch's cursor. Matches are grouped by where they go (a channel, or a user's DM): one
message per target per run, listing every matching article with why it matched, its partner line and a
Brief button. Exactly once: the (watch, article) ledger rows are claimed before posting; a claim left by a
crashed process is recovered after a lease by one replica, which looks for the run id (message metadata) in
the channel's history before posting again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from briefings.store import watches as ws
from briefings.store.repo import utcnow
from briefings.watch import Match, WatchError, WatchTerm, label, match, parse_terms

from bot import oauth, render
from bot.mrkdwn import escape as esc
from bot.render import BRIEF_ACTION

if TYPE_CHECKING:
    from bot.parse import Command
    from bot.runtime import Runtime

log = logging.getLogger("launchbrief.watch")
EVENT_TYPE = "launchbrief_watch"

WATCH_HELP = """*Watchlists*
• `watch Norway` · `watch Andøya event:spaceport` · `watch "technology safeguards agreement"` — alert this channel
  (a partner name counts only where the article names it as a partner; terms combine with AND)
• `watch me Norway` — alert you by direct message
• `watch list` · `watch remove <n>` · `watch pause [n]` · `watch resume [n]`"""


def _line(w) -> str:
    where = "you, by DM" if w.user_id else (f"<#{w.channel_id}>" if w.channel_id else "?")
    state = " _(paused)_" if w.paused_at is not None else ""
    last = f" · last alert {w.last_alert_at:%Y-%m-%d %H:%M} UTC" if w.last_alert_at else " · no alert yet"
    return f"*{esc(w.label)}* → {where}{state}{last}"


async def watch_command(rt: Runtime, cmd: Command, user_id: str | None, *, team_id: str | None = None,
                        channel_id: str | None = None) -> render.Message:
    words = cmd.args
    action = words[0].lower() if words else "list"
    team = team_id or ""
    mine = await ws.watches(rt.store, team, channel_id=channel_id or "", user_id=user_id or "")
    if action == "help":
        return render.info_message(esc(WATCH_HELP), "Watch help")
    if action == "list":
        if not mine:
            return render.info_message("No watches here yet. " + esc(WATCH_HELP), "No watches here.")
        return render.info_message("*Watches*\n" + "\n".join(f"{i}. {_line(w)}" for i, w in enumerate(mine, 1)),
                                   f"{len(mine)} watches")
    if action in ("remove", "pause", "resume"):
        picked = mine
        if len(words) > 1:
            if not words[1].isdigit() or not 1 <= int(words[1]) <= len(mine):
                return render.error_message(f"“{words[1]}” is not a watch number here: see `/launchbrief watch list`.")
            picked = [mine[int(words[1]) - 1]]
        elif action == "remove":
            return render.error_message("Which one? `/launchbrief watch remove <n>`, n from `/launchbrief watch list`.")
        else:
            picked = [w for w in mine if w.user_id is None]  # pause/resume without a number: this channel's
        if not picked:
            return render.error_message("No watches here to " + action + ".")
        if action == "remove":
            await ws.delete_watch(rt.store, picked[0].id)
            return render.info_message(f"Removed the watch {esc(picked[0].label)}.", f"Removed {picked[0].label}")
        await ws.set_paused(rt.store, [w.id for w in picked], action == "pause")
        what = ", ".join(w.label for w in picked)
        return render.info_message(f"{'Paused' if action == 'pause' else 'Resumed'}: {esc(what)}.",
                                   f"{action}d {what}")
    personal = action == "me"
    text = cmd.rest.split(maxsplit=1)[1] if personal and len(cmd.rest.split(maxsplit=1)) > 1 else \
        ("" if personal else cmd.rest)
    try:
        terms = parse_terms(text)
    except WatchError as exc:
        return render.error_message(str(exc))
    if personal and not user_id:
        return render.error_message("I can't tell who you are, so I can't send you alerts.")
    if not personal and not channel_id:
        return render.error_message("Set a channel watch from the channel that should get the alerts.")
    name = label(terms)
    await ws.add_watch(rt.store, team_id=team, channel_id=channel_id, user_id=user_id if personal else None,
                       terms=[t.model_dump() for t in terms], label=name, created_by=user_id)
    where = "you, by direct message" if personal else f"<#{channel_id}>"
    explain = "; ".join(f"{esc(t.value)} as a partner" + (f" (with {esc(', '.join(t.names[1:4]))})"
                                                            if len(t.names) > 1 else "")
                        if t.kind == "partner" else esc(t.label()) for t in terms)
    return render.info_message(f"Watching *{esc(name)}* for {where}: {explain}. New stories alert within one poll.",
                               f"Watching {name}")


class WatchAlerter:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self._lock = asyncio.Lock()

    async def run(self) -> int:
        """Check what was stored since each active watch's cursor; post one alert per target. Returns the
        number of alert messages posted."""
        async with self._lock:  # one check at a time in this process; the ledger covers other replicas
            return await self._run()

    async def _run(self) -> int:
        active = await ws.watches(self.rt.store, active=True)
        if not active:
            return 0
        cursor = min(w.cursor_article_id or 0 for w in active)
        rows = await ws.articles_after(self.rt.store, cursor)
        if not rows:
            return 0
        phrases = {t["value"] for w in active for t in w.terms if t["kind"] == "phrase"}
        ids = [r.article_id for r in rows]
        hits_by_phrase = {p: await ws.phrase_matches(self.rt.store, p, ids) for p in phrases}
        # target (team, where) -> article id -> (article, brief, [(watch, match)])
        out: dict[tuple[str, str], dict[int, tuple]] = {}
        for w in active:
            terms = [WatchTerm.model_validate(t) for t in w.terms]
            for art, brief in ((r.article, r.brief) for r in rows):
                if art.id <= (w.cursor_article_id or 0):
                    continue
                got = match(terms, brief, {p for p, hit in hits_by_phrase.items() if art.id in hit})
                if got is None:
                    continue
                target = (w.team_id, w.user_id or w.channel_id or "")
                out.setdefault(target, {}).setdefault(art.id, (art, brief, []))[2].append((w, got))
        posted = 0
        for (team, where), by_article in out.items():
            posted += await self._alert(team, where, [by_article[k] for k in sorted(by_article)])
        last = rows[-1].article_id
        for w in active:
            await ws.move_cursor(self.rt.store, w.id, last)
        return posted

    async def _alert(self, team: str, where: str, items: list[tuple]) -> int:
        run_id = uuid.uuid4().hex
        pairs = [(w.id, art.id) for art, _, hits in items for w, _ in hits]
        claimed = set(await ws.claim_alerts(self.rt.store, pairs, run_id=run_id, target=where))
        items = [(art, brief, [(w, m) for w, m in hits if (w.id, art.id) in claimed]) for art, brief, hits in items]
        items = [it for it in items if it[2]]
        if not items:
            return 0
        return await self._post(team, where, run_id, items)

    async def _post(self, team: str, where: str, run_id: str, items: list[tuple]) -> int:
        msg = render.watch_alert_message(items)
        try:
            client = await oauth.client_for_team(self.rt, team)
            if client is None:
                await ws.alerts_done(self.rt.store, run_id, state="failed", note=oauth.UNINSTALLED)
                return 0
            resp = await client.chat_postMessage(channel=where, unfurl_links=False, unfurl_media=False,
                                                 metadata={"event_type": EVENT_TYPE,
                                                           "event_payload": {"run_id": run_id}},
                                                 **msg.as_kwargs())
        except Exception as exc:
            from bot.digests.delivery import PERMANENT_ERRORS, slack_error

            code = slack_error(exc)
            if code in PERMANENT_ERRORS:  # retrying cannot fix it: close the claim, pause the watches it was for
                log.warning("watch alert to %s refused (%s): its watches are paused", where, code)
                rows = await ws.alerts(self.rt.store, run_id=run_id)
                await ws.alerts_done(self.rt.store, run_id, state="failed", note=code)
                await ws.set_paused(self.rt.store, sorted({r.watch_id for r in rows}), True)
                return 0
            log.warning("watch alert to %s failed, will be retried: %s", where, code or exc)  # the claim stays
            return 0
        await ws.alerts_done(self.rt.store, run_id, state="posted", message_ts=resp.get("ts"))
        return 1

    async def recover(self, lease: timedelta | None = None) -> int:
        """Finish alert claims whose process died: confirm from the channel's history, or post them now."""
        lease = lease if lease is not None else timedelta(seconds=self.rt.settings.digest_lease_seconds)
        done = 0
        for run_id in await ws.stale_runs(self.rt.store, lease):
            if not await ws.take_over_run(self.rt.store, run_id, utcnow() - lease):
                continue  # another replica took it
            rows = await ws.alerts(self.rt.store, run_id=run_id)
            if not rows:
                continue
            watches = {w.id: w for w in await ws.watches(self.rt.store)}
            team = next((watches[r.watch_id].team_id for r in rows if r.watch_id in watches), "")
            where = rows[0].target
            ts = await self._find_in_history(team, where, run_id, rows[0].claimed_at)
            if ts:
                await ws.alerts_done(self.rt.store, run_id, state="posted", message_ts=ts,
                                     note="confirmed from channel history after a restart")
                done += 1
                continue
            items = []
            for art_id in sorted({r.article_id for r in rows}):
                got = await self.rt.store.get_brief(art_id)
                if not got or not got.brief:
                    continue
                hits = []
                for r in rows:
                    w = watches.get(r.watch_id)
                    if r.article_id == art_id and w is not None:
                        m = match([WatchTerm.model_validate(t) for t in w.terms], got.brief,
                                  {t["value"] for t in w.terms if t["kind"] == "phrase"})
                        hits.append((w, m or Match(reasons=["matched when stored"])))
                if hits:
                    items.append((got.article, got.brief, hits))
            if items:
                done += await self._post(team, where, run_id, items)
        return done

    async def _find_in_history(self, team: str, where: str, run_id: str, claimed_at) -> str | None:
        try:
            client = await oauth.client_for_team(self.rt, team)
            if client is None:
                return None
            oldest = (claimed_at.replace(tzinfo=claimed_at.tzinfo or UTC) - timedelta(minutes=1)).timestamp()
            resp = await client.conversations_history(channel=where, oldest=str(oldest), limit=200,
                                                      include_all_metadata=True)
        except Exception as exc:
            log.warning("could not read %s's history to recover watch alert %s: %s", where, run_id, exc)
            return None
        for msg in resp.get("messages") or []:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("run_id") == run_id:
                return msg.get("ts")
        return None


def register(app, rt: Runtime) -> None:
    """The Brief button of an alert: ack, then answer with the full brief (ephemeral)."""

    @app.action(re.compile(rf"^{BRIEF_ACTION}:\d+$"))
    async def on_brief(ack, body, respond):
        await ack()

        async def work():
            try:
                article_id = int(body["actions"][0]["value"])
            except (KeyError, IndexError, ValueError):
                article_id = None
            got = await rt.store.get_brief(article_id) if article_id is not None else None
            if got and got.brief:
                from bot.corrections import marked

                marks = await marked(rt, (body.get("team") or {}).get("id"), article_id)
                msg = render.brief_message(got.brief, marks=marks, article_id=article_id)
            else:
                msg = render.error_message("That brief is no longer stored.")
            await respond(response_type="ephemeral", replace_original=False, **msg.as_kwargs())

        rt.spawn(work(), "watch brief")


def alerter(rt: Runtime) -> WatchAlerter:
    """The process's alerter (one lock per process)."""
    found = getattr(rt, "_watch_alerter", None)
    if found is None:
        found = WatchAlerter(rt)
        try:
            object.__setattr__(rt, "_watch_alerter", found)
        except Exception:
            pass
    return found
