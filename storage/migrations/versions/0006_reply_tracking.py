"""Reply deadlines, review language, where a card came from, the subscriber's language.

- ``reviews.language``: the ISO 639-1 code told from the review's text (NULL when unsure).
- ``deliveries.respond_by``: when a low rating of a subscription with ``respond:`` must be
  answered; ``remind_state`` NULL (no deadline), ``waiting``, ``queued`` (the reminder is to
  be posted in the card's thread), ``sent`` or ``skipped`` (answered or handled in time).
- ``deliveries.origin``: ``live`` (a webhook or poll), ``backfill`` (the recent past posted on
  subscribing) or ``test`` (``/reviews test``).
- ``subscriptions.language``: the subscriber's Slack language, which cards leave unsaid.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("respond_by", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("remind_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="live"))
        batch.create_index("ix_deliveries_remind_state_respond_by", ["remind_state", "respond_by"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_remind_state_respond_by")
        batch.drop_column("origin")
        batch.drop_column("remind_state")
        batch.drop_column("respond_by")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("language")
