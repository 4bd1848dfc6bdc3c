"""Callbacks forwarded to the sector office (issue 21): an outbox message is about a request
or a callback — ``outbox.request_id`` becomes nullable, ``outbox.callback_id`` (foreign key
to ``callbacks``, indexed) is added, and a CHECK requires exactly one of the two.

SQLite cannot alter a column or add a CHECK in place: the table is rebuilt (batch mode,
which copies its named CHECKs, indexes and foreign keys; tests/integration/test_migrations.py
checks that none is lost).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ONE_SUBJECT = "(request_id IS NULL) <> (callback_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.alter_column('request_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('callback_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_outbox_callback_id_callbacks'), 'callbacks',
                                 ['callback_id'], ['id'])
        batch.create_index(op.f('ix_outbox_callback_id'), ['callback_id'], unique=False)
        batch.create_check_constraint(op.f('ck_outbox_one_subject'), ONE_SUBJECT)


def downgrade() -> None:
    # The callbacks' messages cannot exist without a request: they are dropped.
    op.execute("DELETE FROM outbox WHERE request_id IS NULL")
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint(op.f('ck_outbox_one_subject'), type_='check')
        batch.drop_index(op.f('ix_outbox_callback_id'))
        batch.drop_constraint(op.f('fk_outbox_callback_id_callbacks'), type_='foreignkey')
        batch.drop_column('callback_id')
        batch.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
