"""console: the clicked button's title, canned replies, the transfer note (issue 23)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 11:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))

    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('transferred_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_handoffs_transferred_by_agents'), 'agents', ['transferred_by'], ['id'])

    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_canned_replies_agent_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies'))
    )
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canned_replies_language'), ['language'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canned_replies_language'))

    op.drop_table('canned_replies')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_handoffs_transferred_by_agents'), type_='foreignkey')
        batch_op.drop_column('transferred_by')
        batch_op.drop_column('transfer_note')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('title')
