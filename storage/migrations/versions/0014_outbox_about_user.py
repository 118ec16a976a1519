"""outbox rows about a user (a volunteer told that someone needs help); room for long lesson titles

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_about_user_id'), ['about_user_id'], unique=False)
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.alter_column('topic', existing_type=sa.String(length=40), type_=sa.String(length=120),
                              existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.alter_column('topic', existing_type=sa.String(length=120), type_=sa.String(length=40),
                              existing_nullable=True)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_about_user_id'))
        batch_op.drop_column('about_user_id')
