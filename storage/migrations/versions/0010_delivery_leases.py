"""delivery leases: one sender per chat across several web workers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'delivery_leases',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('channel_user_id', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=80), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'channel_user_id', name=op.f('pk_delivery_leases')),
    )


def downgrade() -> None:
    op.drop_table('delivery_leases')
