"""start_tickets: who decided a start the API stopped waiting for

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'start_tickets',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('workflow_execution_id', sa.String(length=36),
                  nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_start_tickets_created_at', 'start_tickets',
                    ['created_at'])


def downgrade():
    op.drop_index('ix_start_tickets_created_at', table_name='start_tickets')
    op.drop_table('start_tickets')
