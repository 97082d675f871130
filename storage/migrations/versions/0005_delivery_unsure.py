"""Where an earlier post of a card (or of its update note) may be in Slack.

``deliveries.unsure_from`` / ``unsure_to`` are Slack times (epoch seconds, as in a message
``ts``): an attempt whose outcome is unknown — a timeout or dropped connection, or a process
that died holding the lease — may have posted between them (``unsure_to`` NULL: up to now).
Only such a row makes the sender read the channel's history before posting again, and only
that far back; an answered failure leaves both NULL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("unsure_from", sa.Float(), nullable=True))
        batch.add_column(sa.Column("unsure_to", sa.Float(), nullable=True))
    # A card being posted while the upgrade runs may be in Slack already: from its creation on.
    deliveries = sa.table(
        "deliveries",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("unsure_from", sa.Float()),
    )
    bind = op.get_bind()
    sending = bind.execute(
        sa.select(deliveries.c.id, deliveries.c.created_at).where(deliveries.c.status == "sending")
    ).all()
    for delivery_id, created_at in sending:
        if created_at.tzinfo is None:  # SQLite hands back naive UTC
            created_at = created_at.replace(tzinfo=UTC)
        bind.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(unsure_from=created_at.timestamp() - 60.0)
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("unsure_to")
        batch.drop_column("unsure_from")
