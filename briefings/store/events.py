"""Processed Slack event ids: claimed once, so Slack's retries never produce a second reply."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from briefings.store import models as m
from briefings.store.base import StoreBase, utcnow


class EventsMixin(StoreBase):
    async def claim_event(self, event_id: str) -> bool:
        """Record a Slack event id; False when it was seen before (a retry): the caller then does nothing."""
        try:
            async with self._save_lock, self.session() as s, s.begin():
                s.add(m.SlackEvent(event_id=event_id, received_at=utcnow()))
            return True
        except IntegrityError:
            return False

    async def prune_events(self, older_than: timedelta = timedelta(days=2)) -> int:
        """Forget processed event ids older than Slack's retry window (it retries for minutes, not days)."""
        async with self._save_lock, self.session() as s, s.begin():
            result = await s.execute(delete(m.SlackEvent).where(m.SlackEvent.received_at < utcnow() - older_than))
            return result.rowcount or 0
