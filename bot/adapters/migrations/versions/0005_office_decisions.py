"""The sector office's decisions (issue 22): a request gets a ``version`` (optimistic lock),
its ``outcome``, ``refusal_reason``, ``decision_note``, ``decided_by``/``decided_at`` and
``client_told_at`` (when the chat told the client); a history row gets its ``decision``;
accounts get the role ``office``; the outbox gets the channel ``client_email`` (the decision
sent to the client; the column widened to 20 characters).  An index on ``requests.updated_at`` serves the inbox's live updates.

SQLite cannot change a CHECK in place: ``accounts`` and ``outbox`` are rebuilt (batch mode;
tests/integration/test_migrations.py checks nothing is lost).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

from bot.adapters.orm import UTCDateTime


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OUTCOMES = "outcome IS NULL OR outcome IN ('accepted', 'refused', 'exemption_granted')"
REASONS = ("refusal_reason IS NULL OR refusal_reason IN ('slot_unavailable', 'too_late', "
           "'already_done', 'duplicate', 'other')")
ROLES_NEW = "role IN ('client', 'staff', 'office')"
ROLES_OLD = "role IN ('client', 'staff')"
CHANNELS_NEW = "channel IN ('email', 'webhook', 'client_email')"
CHANNELS_OLD = "channel IN ('email', 'webhook')"


def upgrade() -> None:
    with op.batch_alter_table('requests') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('refusal_reason', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('decision_note', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('decided_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('decided_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('client_told_at', UTCDateTime(), nullable=True))
        batch.create_check_constraint(op.f('ck_requests_outcome'), OUTCOMES)
        batch.create_check_constraint(op.f('ck_requests_refusal_reason'), REASONS)
        batch.create_index(op.f('ix_requests_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('request_history') as batch:
        batch.add_column(sa.Column('decision', sa.String(length=20), nullable=True))
    with op.batch_alter_table('accounts') as batch:
        batch.drop_constraint(op.f('ck_accounts_role'), type_='check')
        batch.create_check_constraint(op.f('ck_accounts_role'), ROLES_NEW)
    with op.batch_alter_table('outbox') as batch:
        batch.alter_column('channel', existing_type=sa.String(length=10),
                           type_=sa.String(length=20), existing_nullable=False)
        batch.drop_constraint(op.f('ck_outbox_channel'), type_='check')
        batch.create_check_constraint(op.f('ck_outbox_channel'), CHANNELS_NEW)


def downgrade() -> None:
    # Office accounts and the decisions' e-mails to clients have no place before: dropped.
    op.execute("DELETE FROM outbox WHERE channel = 'client_email'")
    op.execute("DELETE FROM account_sectors WHERE account_id IN "
               "(SELECT id FROM accounts WHERE role = 'office')")
    op.execute("DELETE FROM accounts WHERE role = 'office'")
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint(op.f('ck_outbox_channel'), type_='check')
        batch.create_check_constraint(op.f('ck_outbox_channel'), CHANNELS_OLD)
        batch.alter_column('channel', existing_type=sa.String(length=20),
                           type_=sa.String(length=10), existing_nullable=False)
    with op.batch_alter_table('accounts') as batch:
        batch.drop_constraint(op.f('ck_accounts_role'), type_='check')
        batch.create_check_constraint(op.f('ck_accounts_role'), ROLES_OLD)
    with op.batch_alter_table('request_history') as batch:
        batch.drop_column('decision')
    with op.batch_alter_table('requests') as batch:
        batch.drop_index(op.f('ix_requests_updated_at'))
        batch.drop_constraint(op.f('ck_requests_refusal_reason'), type_='check')
        batch.drop_constraint(op.f('ck_requests_outcome'), type_='check')
        for column in ('client_told_at', 'decided_at', 'decided_by', 'decision_note',
                       'refusal_reason', 'outcome', 'version'):
            batch.drop_column(column)
