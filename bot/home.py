"""App Home: this workspace's digest subscriptions, feeds with health, the last few briefs."""

from __future__ import annotations

from bot import oauth, render
from bot.mrkdwn import escape as esc
from bot.render import link
from bot.runtime import Runtime


async def home_view(rt: Runtime, team_id: str | None) -> dict:
    b = render.Builder().header("launchbrief")
    subs = await rt.store.subscriptions(team_id)
    if subs:
        b.section("*Digest subscriptions*\n" + "\n".join(
            f"• <#{s.channel_id}> — {esc(s.schedule_text or s.cron)} ({esc(s.timezone)})"
            + (f"\n   :warning: *paused* — {esc(render.clip(s.last_error or 'a Slack error', 400))}"
               if getattr(s, "paused_at", None) is not None
               else (f" :warning: {esc(s.last_error)}" if s.last_error else "")) for s in subs))
    else:
        b.section("*Digest subscriptions*\nNone yet.")
    from briefings.store.watches import watches

    from bot.watch import _line

    watched = await watches(rt.store, team_id or "")
    b.section("*Watches*\n" + ("\n".join(f"• {_line(w)}".replace("you, by DM", f"<@{w.user_id}> by DM")
                                         for w in watched[:30]) if watched else "None yet: `/launchbrief watch …`."))
    scope = oauth.data_team(rt, team_id)  # OAuth mode: this workspace's feeds and briefs only
    feeds = await rt.store.list_feeds(team_id=scope)
    if feeds:
        b.section("*Feeds*\n" + "\n".join(render.feed_line(f) for f in feeds[:20]))
    else:
        b.section("*Feeds*\nNone yet. Admins: `/launchbrief feeds add &lt;url&gt;`.")
    recent = await rt.store.recent_briefs(limit=5, team_id=scope)
    if recent:
        b.section("*Recent briefs*\n" + "\n".join(
            f"• {link(r.article.url, r.article.title or r.article.url)} — "
            f"{esc(render.clip(r.brief.tldr.text if r.brief.tldr else '', 200))}"
            for r in recent))
    notes = rt.scheduler.events if rt.scheduler is not None else None
    if notes:
        b.section("*Scheduler notes*\n" + "\n".join(f"• {esc(n)}" for n in notes[-5:]))
    msg = b.build("launchbrief home")
    return {"type": "home", "blocks": msg.blocks}


async def publish_home(rt: Runtime, client, user_id: str, team_id: str | None) -> None:
    await client.views_publish(user_id=user_id, view=await home_view(rt, team_id))
