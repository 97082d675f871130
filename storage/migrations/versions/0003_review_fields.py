"""Review fields the cards show: review state, date-only replies, unrated reviews, skips.

``reviews``: ``rating`` becomes nullable (a review may have no stars); ``reply_on`` keeps a
reply date that has no time; ``hidden``, ``verified``, ``original_rating``, ``edited_at``,
``replied``, ``reply_url`` (Gumado's review webhook) and ``archived`` (Cloutly's
``isArchived``) are NULL where the platform did not say. ``connections.last_poll_skipped``
counts the reviews the last poll could not read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REVIEW_COLUMNS = (
    ("reply_on", sa.Date()),
    ("hidden", sa.Boolean()),
    ("verified", sa.Boolean()),
    ("original_rating", sa.SmallInteger()),
    ("edited_at", sa.DateTime(timezone=True)),
    ("replied", sa.Boolean()),
    ("reply_url", sa.Text()),
    ("archived", sa.Boolean()),
)


def upgrade() -> None:
    # Batch mode: SQLite cannot drop NOT NULL in place (Alembic rebuilds the table there).
    with op.batch_alter_table("reviews") as batch:
        batch.alter_column("rating", existing_type=sa.SmallInteger(), nullable=True)
        for name, type_ in _REVIEW_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("connections") as batch:
        batch.add_column(
            sa.Column(
                "last_poll_skipped", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("last_poll_skipped")
    # Unrated reviews cannot go back to a NOT NULL rating: drop them with their cards' rows.
    op.execute(sa.text("DELETE FROM reviews WHERE rating IS NULL"))
    with op.batch_alter_table("reviews") as batch:
        for name, _ in reversed(_REVIEW_COLUMNS):
            batch.drop_column(name)
        batch.alter_column("rating", existing_type=sa.SmallInteger(), nullable=False)
