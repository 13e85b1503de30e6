"""Who may change a workspace's feeds and digests: launchbrief admins of that workspace.

An admin is any of: a user named in ``LAUNCHBRIEF_ADMINS`` (a global override, every workspace); the user who
installed launchbrief in this workspace (OAuth mode); a Slack admin or owner of this workspace (``users.info``,
remembered for a few minutes so a burst of commands costs one call).
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError

from bot import oauth
from bot.runtime import Runtime

log = logging.getLogger("launchbrief.admins")
CACHE_SECONDS = 300.0


async def is_admin(rt: Runtime, user_id: str | None, team_id: str | None) -> bool:
    if not user_id:
        return False
    if rt.is_admin(user_id):
        return True
    if team_id and await _installed_by(rt, user_id, team_id):
        return True
    return await _slack_admin(rt, user_id, team_id)


async def _installed_by(rt: Runtime, user_id: str, team_id: str) -> bool:
    if not oauth.enabled(rt):
        return False
    store = oauth.InstallationStore(client_id=rt.settings.slack_client_id or "", engine=rt.store.engine)
    inst = await store.async_find_installation(enterprise_id=None, team_id=team_id)
    return inst is not None and inst.user_id == user_id


async def _slack_admin(rt: Runtime, user_id: str, team_id: str | None) -> bool:
    # remembered per running bot (a Runtime), so nothing leaks between processes' or tests' workspaces
    cache: dict[tuple[str, str], tuple[bool, float]] = rt.__dict__.setdefault("_slack_admins", {})
    key = (team_id or "", user_id)
    known = cache.get(key)
    if known is not None and time.monotonic() - known[1] < CACHE_SECONDS:
        return known[0]
    client = await oauth.client_for_team(rt, team_id) if team_id else rt.client
    if client is None:  # the workspace is not installed (any more)
        return False
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError as exc:  # no users:read, an unknown user: not an admin, and say why in the log
        log.warning("users.info for %s failed (%s): treated as not an admin", user_id, exc.response.get("error"))
        return False
    answer = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (answer, time.monotonic())
    return answer
