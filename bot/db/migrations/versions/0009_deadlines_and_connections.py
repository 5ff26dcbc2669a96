"""cluster mode: stored deadlines and socket presence with heartbeats (issue 16)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 14:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('kind', 'subject', name=op.f('uq_deadlines_kind'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_due_at'), ['due_at'], unique=False)

    op.create_table('connections',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('hub_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('agent_session', sa.String(length=64), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_connections'))
    )
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connections_agent_session'), ['agent_session'], unique=False)
        batch_op.create_index(batch_op.f('ix_connections_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index('ix_connections_kind_subject', ['kind', 'subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_index('ix_connections_kind_subject')
        batch_op.drop_index(batch_op.f('ix_connections_hub_id'))
        batch_op.drop_index(batch_op.f('ix_connections_agent_session'))

    op.drop_table('connections')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_due_at'))

    op.drop_table('deadlines')
