"""Delivery leases: the process posting a card, and until when its claim holds.

``deliveries.lease_owner`` / ``lease_until`` replace the session advisory lock, which a
database outage wiped while the post was still in flight. Rows are NULL when nobody holds
them; a ``sending`` row with a NULL or past ``lease_until`` is recovered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(32), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
