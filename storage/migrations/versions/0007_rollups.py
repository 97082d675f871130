"""Roll-ups: one message per channel and period collecting a subscription's good reviews.

- ``rollups``: one row per (team, channel, period length, period start); ``pending`` until
  ``next_attempt_at`` (the period's end), then posted under a lease like a delivery
  (``lease_owner``/``lease_until``, ``unsure_from``/``unsure_to``: see migrations 0004 and
  0005), ``sent`` with its ``message_ts``; ``update_pending`` when a late review joined and the
  message is to be edited.
- ``rollup_items``: the reviews of each roll-up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("period_minutes", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("update_pending", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsure_from", sa.Float(), nullable=True),
        sa.Column("unsure_to", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_rollups_subscription_id_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollups")),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "period_minutes",
            "period_start",
            name=op.f("uq_rollups_team_id_channel_id_period_minutes_period_start"),
        ),
    )
    op.create_index(
        op.f("ix_rollups_status_next_attempt_at"), "rollups", ["status", "next_attempt_at"]
    )
    op.create_index(op.f("ix_rollups_subscription_id"), "rollups", ["subscription_id"])
    op.create_table(
        "rollup_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollup_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollup_id"],
            ["rollups.id"],
            name=op.f("fk_rollup_items_rollup_id_rollups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_rollup_items_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_items")),
        sa.UniqueConstraint(
            "rollup_id", "review_id", name=op.f("uq_rollup_items_rollup_id_review_id")
        ),
    )
    op.create_index(op.f("ix_rollup_items_review_id"), "rollup_items", ["review_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rollup_items_review_id"), table_name="rollup_items")
    op.drop_table("rollup_items")
    op.drop_index(op.f("ix_rollups_subscription_id"), table_name="rollups")
    op.drop_index(op.f("ix_rollups_status_next_attempt_at"), table_name="rollups")
    op.drop_table("rollups")
