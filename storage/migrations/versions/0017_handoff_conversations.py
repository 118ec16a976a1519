"""a volunteer's conversation with a learner through the tutor: when its last message passed, and when a message
could not reach the learner (their channel's window had closed)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-16 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('relay_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('relay_blocked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_column('relay_blocked_at')
        batch_op.drop_column('relay_at')
