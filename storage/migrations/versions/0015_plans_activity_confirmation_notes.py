"""yearly unit plans (population, 16+, households, groups, target percentages), learner activity days,
confirmation on the national platform, report notes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _year_of(column: str) -> str:
    if op.get_bind().dialect.name == 'postgresql':
        return f"CAST(EXTRACT(YEAR FROM timezone('Asia/Ho_Chi_Minh', {column})) AS INTEGER)"
    return f"CAST(strftime('%Y', {column}, '+7 hours') AS INTEGER)"


def _day_of(column: str) -> str:
    if op.get_bind().dialect.name == 'postgresql':
        return f"CAST(timezone('Asia/Ho_Chi_Minh', {column}) AS DATE)"
    return f"date({column}, '+7 hours')"


def upgrade() -> None:
    op.create_table(
        'unit_plans',
        sa.Column('unit', sa.String(length=160), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('population', sa.Integer(), nullable=True),
        sa.Column('population_16', sa.Integer(), nullable=True),
        sa.Column('households', sa.Integer(), nullable=True),
        sa.Column('groups', sa.JSON(), nullable=True),
        sa.Column('goal_completion', sa.Integer(), nullable=True),
        sa.Column('goal_vneid', sa.Integer(), nullable=True),
        sa.Column('goal_confirmed', sa.Integer(), nullable=True),
        sa.Column('goal_households', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('unit', 'year', name=op.f('pk_unit_plans')),
    )
    # A population entered before plans had years belongs to the year it was entered.
    op.execute(f"INSERT INTO unit_plans (unit, year, population, updated_at) "
               f"SELECT unit, {_year_of('updated_at')}, population, updated_at FROM unit_targets")
    op.drop_table('unit_targets')

    op.create_table(
        'activity_days',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_days_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_activity_days')),
    )
    op.create_index(op.f('ix_activity_days_day'), 'activity_days', ['day'], unique=False)
    # What is known of past activity: each learner's last visit, quiz attempts and registration.
    for table, column in (('users', 'last_seen_at'), ('users', 'consent_at'),
                          ('quiz_attempts', 'started_at'), ('quiz_attempts', 'finished_at')):
        user = 'id' if table == 'users' else 'user_id'
        op.execute(f"INSERT INTO activity_days (user_id, day) SELECT DISTINCT {user}, {_day_of(column)} "
                   f"FROM {table} t WHERE {column} IS NOT NULL AND {user} IS NOT NULL AND NOT EXISTS ("
                   f"SELECT 1 FROM activity_days a WHERE a.user_id = t.{user} AND a.day = {_day_of(column)})")

    op.create_table(
        'report_notes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('unit', sa.String(length=40), nullable=False),
        sa.Column('period', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_report_notes_staff_id_staff'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_notes')),
        sa.UniqueConstraint('unit', 'period', name=op.f('uq_report_notes_unit')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('platform_confirmed_by', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('platform_confirmed_staff_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('platform_confirmed_staff_id')
        batch_op.drop_column('platform_confirmed_by')
        batch_op.drop_column('platform_confirmed_at')
    op.drop_table('report_notes')
    op.drop_index(op.f('ix_activity_days_day'), table_name='activity_days')
    op.drop_table('activity_days')
    op.create_table(
        'unit_targets',
        sa.Column('unit', sa.String(length=160), nullable=False),
        sa.Column('population', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('unit', name=op.f('pk_unit_targets')),
    )
    # The latest year's population of each unit.
    op.execute("INSERT INTO unit_targets (unit, population, updated_at) SELECT p.unit, p.population, p.updated_at "
               "FROM unit_plans p WHERE p.population IS NOT NULL AND p.year = (SELECT MAX(q.year) FROM unit_plans q "
               "WHERE q.unit = p.unit AND q.population IS NOT NULL)")
    op.drop_table('unit_plans')
