"""api resources

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:34:53.272267
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('action_definitions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('definition', sa.Text(), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=True),
    sa.Column('input', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('is_system', sa.Boolean(), nullable=False),
    sa.Column('workbook_name', sa.String(length=255), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'namespace', 'project_id', name='uq_action_definitions_name')
    )
    op.create_table('cron_triggers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('pattern', sa.String(length=100), nullable=True),
    sa.Column('first_execution_time', sa.DateTime(), nullable=True),
    sa.Column('next_execution_time', sa.DateTime(), nullable=False),
    sa.Column('remaining_executions', sa.Integer(), nullable=True),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=False),
    sa.Column('workflow_input', sa.JSON(), nullable=True),
    sa.Column('workflow_params', sa.JSON(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'project_id', name='uq_cron_triggers_name')
    )
    with op.batch_alter_table('cron_triggers', schema=None) as batch_op:
        batch_op.create_index('ix_cron_triggers_next_execution_time', ['next_execution_time'], unique=False)

    op.create_table('environments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('variables', sa.JSON(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'project_id', name='uq_environments_name')
    )
    op.create_table('workbooks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'namespace', 'project_id', name='uq_workbooks_name')
    )


def downgrade():
    op.drop_table('workbooks')
    op.drop_table('environments')
    with op.batch_alter_table('cron_triggers', schema=None) as batch_op:
        batch_op.drop_index('ix_cron_triggers_next_execution_time')

    op.drop_table('cron_triggers')
    op.drop_table('action_definitions')
