"""volunteer teams (the thôn each member covers) and đôn đốc reminders

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_hamlets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hamlet', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_hamlets_staff_id_staff'),
        ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_hamlets')),
    sa.UniqueConstraint('staff_id', 'hamlet', name=op.f('uq_staff_hamlets_staff_id'))
    )
    with op.batch_alter_table('staff_hamlets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_hamlets_staff_id'), ['staff_id'], unique=False)

    op.create_table('nudges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('province_code', sa.Integer(), nullable=True),
    sa.Column('ward_code', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_nudges_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_nudges_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudges'))
    )
    with op.batch_alter_table('nudges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nudges_province_code'), ['province_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_nudges_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_nudges_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nudges_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nudges_ward_code'), ['ward_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nudges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nudges_ward_code'))
        batch_op.drop_index(batch_op.f('ix_nudges_user_id'))
        batch_op.drop_index(batch_op.f('ix_nudges_staff_id'))
        batch_op.drop_index(batch_op.f('ix_nudges_sent_at'))
        batch_op.drop_index(batch_op.f('ix_nudges_province_code'))
    op.drop_table('nudges')
    with op.batch_alter_table('staff_hamlets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_hamlets_staff_id'))
    op.drop_table('staff_hamlets')
