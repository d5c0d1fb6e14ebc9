"""event_triggers: start a workflow when a notification arrives

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_triggers',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('workflow_id', sa.String(length=36), nullable=False),
        sa.Column('workflow_input', sa.JSON(), nullable=True),
        sa.Column('workflow_params', sa.JSON(), nullable=True),
        sa.Column('exchange', sa.String(length=80), nullable=False),
        sa.Column('topic', sa.String(length=80), nullable=False),
        sa.Column('event', sa.String(length=80), nullable=False),
        sa.Column('scope', sa.String(length=80), nullable=False),
        sa.Column('project_id', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.String(length=255), nullable=True),
        sa.Column('trust_id', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('exchange', 'topic', 'event', 'workflow_id',
                            'project_id', name='uq_event_triggers_event'))
    op.create_index('ix_event_triggers_project_id_workflow_id',
                    'event_triggers', ['project_id', 'workflow_id'])


def downgrade():
    op.drop_index('ix_event_triggers_project_id_workflow_id',
                  table_name='event_triggers')
    op.drop_table('event_triggers')
