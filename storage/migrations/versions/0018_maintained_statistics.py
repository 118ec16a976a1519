"""maintained statistics: counts per thôn and commune and day (with running totals), and marks of the cells
to count again; indexes on when learners consented and were confirmed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 10:56:35.448227
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stat_cells',
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('hamlet', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('vneid_level2', sa.Integer(), nullable=False),
    sa.Column('vneid_level2_16', sa.Integer(), nullable=False),
    sa.Column('platform_confirmed', sa.Integer(), nullable=False),
    sa.Column('quizzes', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.Column('passes_first', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.Column('support_sessions', sa.Integer(), nullable=False),
    sa.Column('people_helped', sa.Integer(), nullable=False),
    sa.Column('households_done', sa.Integer(), nullable=False),
    sa.Column('households_part', sa.Integer(), nullable=False),
    sa.Column('questions', sa.Integer(), nullable=False),
    sa.Column('declined', sa.Integer(), nullable=False),
    sa.Column('scam_alerts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'province_code', 'ward_code', 'hamlet', 'day', name=op.f('pk_stat_cells'))
    )
    with op.batch_alter_table('stat_cells', schema=None) as batch_op:
        batch_op.create_index('ix_stat_cells_level_day', ['level', 'day'], unique=False)
        batch_op.create_index('ix_stat_cells_level_province_day', ['level', 'province_code', 'day'], unique=False)

    op.create_table('stat_groups',
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dim', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province_code', 'ward_code', 'day', 'dim', 'value', name=op.f('pk_stat_groups'))
    )
    with op.batch_alter_table('stat_groups', schema=None) as batch_op:
        batch_op.create_index('ix_stat_groups_day', ['day'], unique=False)
        batch_op.create_index('ix_stat_groups_province_day', ['province_code', 'day'], unique=False)

    op.create_table('stat_lessons',
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lesson_id', sa.String(length=80), nullable=False),
    sa.Column('quizzes', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.Column('passes_first', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province_code', 'ward_code', 'day', 'lesson_id', name=op.f('pk_stat_lessons'))
    )
    with op.batch_alter_table('stat_lessons', schema=None) as batch_op:
        batch_op.create_index('ix_stat_lessons_day', ['day'], unique=False)
        batch_op.create_index('ix_stat_lessons_province_day', ['province_code', 'day'], unique=False)

    op.create_table('stat_marks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('hamlet', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_marks'))
    )
    op.create_table('stat_repasses',
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('hamlet', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lesson_id', sa.String(length=80), nullable=False),
    sa.Column('prev_day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province_code', 'ward_code', 'hamlet', 'day', 'lesson_id', 'prev_day',
                            name=op.f('pk_stat_repasses'))
    )
    op.create_table('stat_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pass_ratio', sa.Float(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_state'))
    )
    op.create_table('stat_texts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('lesson_id', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_texts'))
    )
    with op.batch_alter_table('stat_texts', schema=None) as batch_op:
        batch_op.create_index('ix_stat_texts_day', ['day'], unique=False)
        batch_op.create_index('ix_stat_texts_province_day', ['province_code', 'day'], unique=False)
        batch_op.create_index('ix_stat_texts_unit_day', ['province_code', 'ward_code', 'day'], unique=False)

    op.create_table('stat_topics',
    sa.Column('province_code', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('questions', sa.Integer(), nullable=False),
    sa.Column('up', sa.Integer(), nullable=False),
    sa.Column('down', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province_code', 'ward_code', 'day', 'topic', name=op.f('pk_stat_topics'))
    )
    with op.batch_alter_table('stat_topics', schema=None) as batch_op:
        batch_op.create_index('ix_stat_topics_day', ['day'], unique=False)
        batch_op.create_index('ix_stat_topics_province_day', ['province_code', 'day'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_consent_at'), ['consent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_platform_confirmed_at'), ['platform_confirmed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_platform_confirmed_at'))
        batch_op.drop_index(batch_op.f('ix_users_consent_at'))

    with op.batch_alter_table('stat_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_topics_province_day')
        batch_op.drop_index('ix_stat_topics_day')

    op.drop_table('stat_topics')
    with op.batch_alter_table('stat_texts', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_texts_unit_day')
        batch_op.drop_index('ix_stat_texts_province_day')
        batch_op.drop_index('ix_stat_texts_day')

    op.drop_table('stat_texts')
    op.drop_table('stat_state')
    op.drop_table('stat_repasses')
    op.drop_table('stat_marks')
    with op.batch_alter_table('stat_lessons', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_lessons_province_day')
        batch_op.drop_index('ix_stat_lessons_day')

    op.drop_table('stat_lessons')
    with op.batch_alter_table('stat_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_groups_province_day')
        batch_op.drop_index('ix_stat_groups_day')

    op.drop_table('stat_groups')
    with op.batch_alter_table('stat_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_cells_level_province_day')
        batch_op.drop_index('ix_stat_cells_level_day')

    op.drop_table('stat_cells')
