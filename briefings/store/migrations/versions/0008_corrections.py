"""analysts' corrections of briefs (issue 13), per workspace

Revision ID: 0008_corrections
Revises: 0007_watch
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_corrections"
down_revision = "0007_watch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("partner", sa.String(length=300), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("engine_version", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_corrections_team_id", "corrections", ["team_id"])
    op.create_index("ix_corrections_article_id", "corrections", ["article_id"])
    op.create_index("ix_corrections_created_at", "corrections", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_corrections_created_at", "corrections")
    op.drop_index("ix_corrections_article_id", "corrections")
    op.drop_index("ix_corrections_team_id", "corrections")
    op.drop_table("corrections")
