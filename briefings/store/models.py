"""Database schema (SQLAlchemy 2). The same tables on SQLite (default) and PostgreSQL.

Designed for the later issues too: subscriptions, the digest ledger (unique per subscription and slot, claimed
before posting) and processed Slack events (unique event_id) are here so their migrations need no rework.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, func,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Feed(Base):
    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_success: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoryCluster(Base):
    __tablename__ = "story_clusters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str | None] = mapped_column(String(64), index=True)  # near-duplicate fingerprint


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    entry_id: Mapped[str | None] = mapped_column(String(1024))
    source: Mapped[str | None] = mapped_column(String(500))  # site name
    title: Mapped[str | None] = mapped_column(String(1000))
    published: Mapped[date | None] = mapped_column(Date, index=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("story_clusters.id"), index=True)
    minhash: Mapped[list | None] = mapped_column(JSON)  # near-duplicate signature (datasketch MinHash values)
    summary: Mapped[str | None] = mapped_column(Text)  # the feed entry's summary, as plain text
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # body reduced (retention)
    analysis: Mapped[Analysis | None] = relationship(back_populates="article", uselist=False)
    __table_args__ = (UniqueConstraint("feed_id", "entry_id", name="uq_article_feed_entry"),)


class Analysis(Base):
    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), unique=True)
    engine_version: Mapped[str] = mapped_column(String(32), index=True)
    brief: Mapped[dict] = mapped_column(JSON)  # Brief.model_dump(mode="json")
    relevance_label: Mapped[str] = mapped_column(String(32), index=True)
    relevance_score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    article: Mapped[Article] = relationship(back_populates="analysis")


class PartnerMention(Base):
    """One row per (article, partner): the normalised history behind `launchbrief partners`."""

    __tablename__ = "partner_mentions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    role: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str | None] = mapped_column(String(16))
    mentioned_on: Mapped[date | None] = mapped_column(Date, index=True)
    __table_args__ = (UniqueConstraint("article_id", "entity", "kind", name="uq_partner_article_entity"),)


class PartnerTotal(Base):
    """Per partner (entity, kind, country): mentions, first and last dates and the newest article -- kept up to
    date as mentions are inserted (they are never updated or deleted), so the unscoped partner list reads one
    row per partner instead of aggregating every mention (migration 0012). ``country`` is '' when unknown."""

    __tablename__ = "partner_totals"
    entity: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    mentions: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[date | None] = mapped_column(Date)
    last_seen: Mapped[date | None] = mapped_column(Date)
    latest_article_id: Mapped[int | None] = mapped_column(Integer)
    first_article_id: Mapped[int | None] = mapped_column(Integer)  # a digest's "new partner" test


class Subscription(Base):
    """A channel's digest schedule (issue 5)."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    schedule_text: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    # set when Slack answered a permanent error (not_in_channel, …): no digest is tried until settings change
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filters: Mapped[dict | None] = mapped_column(JSON)
    post_when_empty: Mapped[bool] = mapped_column(default=False)
    cursor_article_id: Mapped[int] = mapped_column(BigInteger, default=0)  # last article included in a digest
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_subscription_channel"),)


class DigestLedger(Base):
    """Claimed before posting: the unique (subscription, slot) row is what makes a digest exactly-once.

    ``slot_key`` is the slot's local wall-clock minute in the subscription's timezone (see
    :mod:`briefings.digests.schedule`); ``state`` goes claimed -> posted (or skipped / empty). A claimed row whose
    lease ran out is recovered: the channel's history is checked for the run id (message metadata) first.
    """

    __tablename__ = "digest_ledger"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    slot_key: Mapped[str] = mapped_column(String(32))
    slot_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | posted | skipped | empty
    catching_up: Mapped[bool] = mapped_column(default=False)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    cursor_to: Mapped[int | None] = mapped_column(BigInteger)  # the article id this digest covers up to
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("subscription_id", "slot_key", name="uq_digest_slot"),)


class MinhashBand(Base):
    """Locality-sensitive hashing bands of an article's MinHash: articles sharing a band are near-duplicate
    candidates, found with one indexed query instead of comparing against every stored article."""

    __tablename__ = "minhash_bands"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the whole row: stored once (migration 0011)
    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # stable 64-bit hash of (band no., values)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)


class SlackEvent(Base):
    """Processed Slack events: a unique event_id means Slack's retries never produce a second reply."""

    __tablename__ = "slack_events"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


Index("ix_articles_cluster_published", Article.cluster_id, Article.published)


class Watch(Base):
    """A watchlist entry (issue 13): terms that AND together; alerts go to a channel, or to a user by DM.

    ``cursor_article_id`` is the last article checked against it: only articles stored after the watch was set
    can alert. ``terms`` is a list of :class:`briefings.watch.WatchTerm` dumps."""

    __tablename__ = "watches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(32))  # where it was set (and alerts, unless a DM watch)
    user_id: Mapped[str | None] = mapped_column(String(32))  # set for `watch me`: alerts go to this user by DM
    terms: Mapped[list] = mapped_column(JSON)
    label: Mapped[str] = mapped_column(String(500))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cursor_article_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WatchAlert(Base):
    """Claimed before posting: the unique (watch, article) row is what makes each alert exactly-once."""

    __tablename__ = "watch_alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(String(64), index=True)  # one alert message (several rows share it)
    target: Mapped[str] = mapped_column(String(32))  # the channel or user the alert goes to
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | posted | failed
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("watch_id", "article_id", name="uq_watch_article"),)


class Correction(Base):
    """An analyst's correction of a brief (issue 13), kept per workspace: the corrected line is marked in that
    workspace's renderings, left out of its partner history, and exported as evaluation data.

    ``kind``: not_partner | wrong_role | wrong_country | missing_partner | not_launch_news; ``partner`` names the
    corrected partner line (empty for the brief as a whole); ``value`` is the right role / country / name."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    partner: Mapped[str] = mapped_column(String(300), default="")
    value: Mapped[str | None] = mapped_column(String(300))
    user_id: Mapped[str | None] = mapped_column(String(32))
    engine_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
Index("ix_partner_entity_kind_date", PartnerMention.entity, PartnerMention.kind, PartnerMention.country,
      PartnerMention.mentioned_on, PartnerMention.article_id, PartnerMention.tier)  # migration 0009_perf
Index("ix_partner_entity_lower", func.lower(PartnerMention.entity))  # migration 0009_perf
Index("ix_partner_totals_lower", func.lower(PartnerTotal.entity))  # migration 0012


class TeamFeed(Base):
    """A workspace follows a feed (the feed itself is fetched once for all). Team '' is the operator's."""

    __tablename__ = "team_feeds"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeamArticle(Base):
    """A workspace reached an article: through a feed it follows, or a brief one of its users asked for.
    What a workspace sees is what it reached, plus the operator's ('')."""

    __tablename__ = "team_articles"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    via: Mapped[str] = mapped_column(String(8))  # feed | brief
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

