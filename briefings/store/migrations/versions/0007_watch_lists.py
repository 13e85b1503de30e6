"""watchlists (issue 13): watches, and the alert ledger (unique per watch and article, claimed before posting)

Revision ID: 0007_watch
Revises: 0005_slack
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_watch"
down_revision = "0005_slack"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor_article_id", sa.BigInteger(), nullable=False),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watches_team_id", "watches", ["team_id"])
    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["watch_id"], ["watches.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("watch_id", "article_id", name="uq_watch_article"),
    )
    op.create_index("ix_watch_alerts_run_id", "watch_alerts", ["run_id"])
    op.create_index("ix_watch_alerts_state", "watch_alerts", ["state"])


def downgrade() -> None:
    op.drop_index("ix_watch_alerts_state", "watch_alerts")
    op.drop_index("ix_watch_alerts_run_id", "watch_alerts")
    op.drop_table("watch_alerts")
    op.drop_index("ix_watches_team_id", "watches")
    op.drop_table("watches")
