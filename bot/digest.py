"""`/launchbrief digest …`: routed here; scheduling itself is built with the digest issue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import render
from .runtime import Runtime

if TYPE_CHECKING:
    from .commands import Command


async def digest_command(rt: Runtime, cmd: Command, user_id: str | None) -> render.Message:
    return render.info_message(
        "Scheduled channel digests are not available in this version yet. "
        "Use `/launchbrief` for the latest briefing in the meantime.",
        "Scheduled digests are not available yet.")
