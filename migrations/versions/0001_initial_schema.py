"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 11:17:10.112716
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('ref_id', sa.String(length=36), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_send_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_next_send_at', ['next_send_at'], unique=False)
        batch_op.create_index('ix_outbox_ref_id', ['ref_id'], unique=False)

    op.create_table('workflow_definitions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=True),
    sa.Column('input', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'namespace', 'project_id', name='uq_workflow_definitions_name')
    )
    op.create_table('workflow_executions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('workflow_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_info', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('input', sa.JSON(), nullable=True),
    sa.Column('output', sa.JSON(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('context', sa.JSON(), nullable=True),
    sa.Column('task_execution_id', sa.String(length=36), nullable=True),
    sa.Column('root_execution_id', sa.String(length=36), nullable=True),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workflow_executions', schema=None) as batch_op:
        batch_op.create_index('ix_wf_ex_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_wf_ex_name_created_at', ['name', 'created_at'], unique=False)
        batch_op.create_index('ix_wf_ex_root_execution_id', ['root_execution_id'], unique=False)
        batch_op.create_index('ix_wf_ex_state_created_at', ['state', 'created_at'], unique=False)
        batch_op.create_index('ix_wf_ex_task_execution_id', ['task_execution_id'], unique=False)
        batch_op.create_index('ix_wf_ex_updated_at', ['updated_at'], unique=False)

    op.create_table('task_executions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('workflow_execution_id', sa.String(length=36), nullable=False),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_info', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('in_context', sa.JSON(), nullable=True),
    sa.Column('published', sa.JSON(), nullable=True),
    sa.Column('runtime_context', sa.JSON(), nullable=True),
    sa.Column('processed', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workflow_execution_id'], ['workflow_executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task_executions', schema=None) as batch_op:
        batch_op.create_index('ix_task_ex_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_task_ex_state', ['state'], unique=False)
        batch_op.create_index('ix_task_ex_wf_ex_id_name', ['workflow_execution_id', 'name'], unique=False)

    op.create_table('action_executions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('task_execution_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_execution_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=False),
    sa.Column('task_name', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_info', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('is_sync', sa.Boolean(), nullable=False),
    sa.Column('input', sa.JSON(), nullable=True),
    sa.Column('output', sa.JSON(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('claimed_by', sa.String(length=255), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['task_execution_id'], ['task_executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_executions', schema=None) as batch_op:
        batch_op.create_index('ix_action_ex_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_action_ex_state', ['state'], unique=False)
        batch_op.create_index('ix_action_ex_task_execution_id', ['task_execution_id'], unique=False)



def downgrade():
    with op.batch_alter_table('action_executions', schema=None) as batch_op:
        batch_op.drop_index('ix_action_ex_task_execution_id')
        batch_op.drop_index('ix_action_ex_state')
        batch_op.drop_index('ix_action_ex_created_at')

    op.drop_table('action_executions')
    with op.batch_alter_table('task_executions', schema=None) as batch_op:
        batch_op.drop_index('ix_task_ex_wf_ex_id_name')
        batch_op.drop_index('ix_task_ex_state')
        batch_op.drop_index('ix_task_ex_created_at')

    op.drop_table('task_executions')
    with op.batch_alter_table('workflow_executions', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_ex_updated_at')
        batch_op.drop_index('ix_wf_ex_task_execution_id')
        batch_op.drop_index('ix_wf_ex_state_created_at')
        batch_op.drop_index('ix_wf_ex_root_execution_id')
        batch_op.drop_index('ix_wf_ex_name_created_at')
        batch_op.drop_index('ix_wf_ex_created_at')

    op.drop_table('workflow_executions')
    op.drop_table('workflow_definitions')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_ref_id')
        batch_op.drop_index('ix_outbox_next_send_at')

    op.drop_table('outbox')
