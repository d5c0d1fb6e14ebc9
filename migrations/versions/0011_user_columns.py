"""user columns: who created each definition and execution; cron trusts

Every row that belongs to a project now also records the user who made
it (``user_id``: Keystone's user id, or the JWT's user claim; none in
noauth mode). The API does not show it (Mistral records no user on its
objects); it is kept for audit and for acting on the creator's behalf.
Rows written before keep no user (NULL): nobody knows who made them.

Cron triggers get ``trust_id``: in keystone mode the Keystone trust from
the trigger's creator to the service user, with which the trigger fires
(as Mistral does).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Tables whose rows belong to a project (0009's list).
_TABLES = ('workflow_definitions', 'workflow_executions', 'task_executions',
           'action_executions', 'environments', 'action_definitions',
           'workbooks', 'cron_triggers', 'listeners')


def upgrade():
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('user_id', sa.String(length=255),
                                          nullable=True))
    with op.batch_alter_table('cron_triggers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trust_id', sa.String(length=80),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('cron_triggers', schema=None) as batch_op:
        batch_op.drop_column('trust_id')
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('user_id')
