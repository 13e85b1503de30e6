"""indexes for reads at archive scale (a partner's latest mention, partner lookup by name); articles.pruned_at

Revision ID: 0009_perf
Revises: 0008_corrections
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_perf"
down_revision = "0008_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # retention (LAUNCHBRIEF_RETENTION_DAYS): when an old article's body was reduced to its search words
    op.add_column("articles", sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True))
    # partner_stats: covers the GROUP BY (read in index order, no sort) and each partner's newest mention
    # (a top-1 seek)
    op.create_index("ix_partner_entity_kind_date", "partner_mentions",
                    ["entity", "kind", "country", "mentioned_on", "article_id", "tier"])
    # `partners NAME` and partner_articles compare lower(entity)
    op.create_index("ix_partner_entity_lower", "partner_mentions", [sa.text("lower(entity)")])


def downgrade() -> None:
    op.drop_column("articles", "pruned_at")
    op.drop_index("ix_partner_entity_lower", table_name="partner_mentions")
    op.drop_index("ix_partner_entity_kind_date", table_name="partner_mentions")
