"""retention: leases table, created_at indexes for age-based purges

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_INDEXES = (('outbox', 'ix_outbox_created_at'),
            ('events', 'ix_events_created_at'),
            ('deliveries', 'ix_deliveries_created_at'))


def upgrade():
    op.create_table(
        'leases',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('holder', sa.String(length=255), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'))
    for table, name in _INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, ['created_at'], unique=False)


def downgrade():
    for table, name in reversed(_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    op.drop_table('leases')
