"""digest ledger keyed by local wall-clock slot; schedule text and last error on subscriptions

The ledger had never been written to (digests arrive with this revision), so it is recreated.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("digest_ledger")
    op.create_table(
        "digest_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("slot_key", sa.String(length=32), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("catching_up", sa.Boolean(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("cursor_to", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
        sa.UniqueConstraint("subscription_id", "slot_key", name="uq_digest_slot"),
    )
    op.create_index("ix_digest_ledger_state", "digest_ledger", ["state"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("schedule_text", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("last_error")
        batch.drop_column("schedule_text")
    op.drop_index("ix_digest_ledger_state", "digest_ledger")
    op.drop_table("digest_ledger")
