"""project scope: every row in a project, lists by project in index order

Rows written before authentication existed all belong to the default
project (``<default-project>``, what noauth callers act in); a row
without a project is put there. Lists of executions, tasks and action
executions are now filtered by project and ordered by creation time:
an index on (project_id, created_at) serves them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DEFAULT_PROJECT = '<default-project>'

# Tables whose rows belong to a project.
_TABLES = ('workflow_definitions', 'workflow_executions', 'task_executions',
           'action_executions', 'environments', 'action_definitions',
           'workbooks', 'cron_triggers', 'listeners')

# (table, index name)
_INDEXES = (
    ('workflow_executions', 'ix_wf_ex_project_id_created_at'),
    ('task_executions', 'ix_task_ex_project_id_created_at'),
    ('action_executions', 'ix_action_ex_project_id_created_at'),
)


def upgrade():
    for table in _TABLES:
        op.execute(
            sa.text("UPDATE %s SET project_id = :default WHERE "
                    "project_id IS NULL OR project_id = ''" % table)
            .bindparams(default=DEFAULT_PROJECT))
    for table, name in _INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, ['project_id', 'created_at'],
                                  unique=False)


def downgrade():
    for table, name in _INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
