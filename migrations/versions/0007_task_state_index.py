"""task state index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:02:10.014939
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task_executions', schema=None) as batch_op:
        batch_op.create_index('ix_task_ex_wf_ex_id_state', ['workflow_execution_id', 'state'], unique=False)



def downgrade():
    with op.batch_alter_table('task_executions', schema=None) as batch_op:
        batch_op.drop_index('ix_task_ex_wf_ex_id_state')

