"""executor heartbeats

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:47:06.213003
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('executor_heartbeats',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('action_executions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('executor', sa.String(length=255), nullable=True))



def downgrade():
    with op.batch_alter_table('action_executions', schema=None) as batch_op:
        batch_op.drop_column('executor')

    op.drop_table('executor_heartbeats')
