"""per-workspace data (issue 11): which workspace follows which feed, and which reached which article

The archive stays shared (an article is fetched and analysed once); these two link tables say what each
workspace may see. Team '' is the operator's (the terminal CLI, single-workspace mode); every workspace sees it.

Revision ID: 0010_workspaces
Revises: 0009_perf
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_workspaces"
down_revision = "0009_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_feeds",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "feed_id"),
    )
    op.create_index("ix_team_feeds_feed_id", "team_feeds", ["feed_id"])
    op.create_table(
        "team_articles",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "article_id"),
    )
    # "may this team see article N" is a primary-key probe; "this team's articles" walks the key by team
    op.create_index("ix_team_articles_article_id", "team_articles", ["article_id"])
    # what was stored before workspaces existed belongs to the operator: every workspace keeps seeing it
    op.execute("INSERT INTO team_feeds (team_id, feed_id, created_at) SELECT '', id, created_at FROM feeds")
    op.execute("INSERT INTO team_articles (team_id, article_id, via, created_at) "
               "SELECT '', id, 'feed', fetched_at FROM articles")


def downgrade() -> None:
    op.drop_index("ix_team_articles_article_id", "team_articles")
    op.drop_table("team_articles")
    op.drop_index("ix_team_feeds_feed_id", "team_feeds")
    op.drop_table("team_feeds")
