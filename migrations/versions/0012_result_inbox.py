"""result_inbox: results a stopping executor could not report

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'result_inbox',
        sa.Column('action_execution_id', sa.String(length=36),
                  nullable=False),
        sa.Column('executor', sa.String(length=255), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('action_execution_id'))


def downgrade():
    op.drop_table('result_inbox')
