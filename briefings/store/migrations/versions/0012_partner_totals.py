"""partner_totals: one row per partner, kept as mentions are inserted (issue 12)

The partner list aggregated every mention on each call: at 100,000 articles (~300,000 mentions) that was
~60 ms on SQLite and ~450 ms on PostgreSQL, growing with the archive. Mentions are only ever inserted, so
their per-partner count, first and last dates and newest article can be kept current at insert time, and the
unscoped list (and one partner's line) read one row per partner; the first article id answers a digest's
"is this partner new since the last one" without scanning the partner's mentions. Filled here from the
mentions already stored.

Revision ID: 0012_partner_totals
Revises: 0011_bands_without_rowid
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_partner_totals"
down_revision = "0011_bands_without_rowid"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_totals",
        sa.Column("entity", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=True),
        sa.Column("last_seen", sa.Date(), nullable=True),
        sa.Column("latest_article_id", sa.Integer(), nullable=True),
        sa.Column("first_article_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("entity", "kind", "country"),
    )
    op.create_index("ix_partner_totals_lower", "partner_totals", [sa.text("lower(entity)")])
    # the newest mention's article per partner: the greatest (mentioned_on, article_id)
    op.execute("""
        INSERT INTO partner_totals (entity, kind, country, tier, mentions, first_seen, last_seen, latest_article_id,
                                    first_article_id)
        SELECT g.entity, g.kind, g.country, g.tier, g.n, g.first_seen, g.last_seen,
               (SELECT p.article_id FROM partner_mentions p
                WHERE p.entity = g.entity AND p.kind = g.kind AND COALESCE(p.country, '') = g.country
                ORDER BY p.mentioned_on DESC NULLS LAST, p.article_id DESC LIMIT 1), g.first_article_id
        FROM (SELECT entity, kind, COALESCE(country, '') AS country, MAX(tier) AS tier, COUNT(*) AS n,
                     MIN(mentioned_on) AS first_seen, MAX(mentioned_on) AS last_seen,
                     MIN(article_id) AS first_article_id
              FROM partner_mentions GROUP BY entity, kind, COALESCE(country, '')) g
    """)


def downgrade() -> None:
    op.drop_index("ix_partner_totals_lower", table_name="partner_totals")
    op.drop_table("partner_totals")
