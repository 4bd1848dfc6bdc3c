"""Initial schema: sectors, clients, caregivers, interventions, requests, history, accounts, outbox.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('caregivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caregivers')),
    sa.UniqueConstraint('name', name=op.f('uq_caregivers_name'))
    )
    op.create_table('reference_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reference_counters'))
    )
    op.create_table('sectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('office_email', sa.String(length=254), nullable=True),
    sa.Column('office_phone', sa.String(length=40), nullable=True),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('webhook_secret', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sectors')),
    sa.UniqueConstraint('name', name=op.f('uq_sectors_name'))
    )
    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_clients_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('number', name=op.f('uq_clients_number'))
    )
    op.create_index(op.f('ix_clients_sector_id'), 'clients', ['sector_id'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role <> 'client' OR client_id IS NOT NULL", name=op.f('ck_accounts_client_has_number')),
    sa.CheckConstraint("role IN ('client', 'staff')", name=op.f('ck_accounts_role')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_accounts_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('login', name=op.f('uq_accounts_login'))
    )
    op.create_table('interventions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('service', sa.String(length=200), server_default='', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='scheduled', nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_interventions_status')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_interventions_end_after_start')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregivers.id'], name=op.f('fk_interventions_caregiver_id_caregivers')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_interventions_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interventions')),
    sa.UniqueConstraint('external_id', name=op.f('uq_interventions_external_id'))
    )
    op.create_index('ix_interventions_client_start', 'interventions', ['client_id', 'start_at'], unique=False)

    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('decision_code', sa.String(length=50), nullable=False),
    sa.Column('billable', sa.Boolean(), nullable=True),
    sa.Column('exemption_pending', sa.Boolean(), nullable=False),
    sa.Column('out_of_notice', sa.Boolean(), nullable=False),
    sa.Column('notice_seconds', sa.Integer(), nullable=False),
    sa.Column('reason_category', sa.String(length=20), nullable=True),
    sa.Column('new_start_at', sa.DateTime(), nullable=True),
    sa.Column('new_end_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'phone')", name=op.f('ck_requests_channel')),
    sa.CheckConstraint("kind IN ('cancellation', 'schedule_change')", name=op.f('ck_requests_kind')),
    sa.CheckConstraint("reason_category IS NULL OR reason_category IN ('personnel', 'hospitalisation', 'maladie', 'autre')", name=op.f('ck_requests_reason_category')),
    sa.CheckConstraint("status IN ('received', 'forwarded', 'acknowledged', 'done', 'refused')", name=op.f('ck_requests_status')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_requests_client_id_clients')),
    sa.ForeignKeyConstraint(['intervention_id'], ['interventions.id'], name=op.f('fk_requests_intervention_id_interventions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_requests_idempotency_key')),
    sa.UniqueConstraint('reference', name=op.f('uq_requests_reference'))
    )
    op.create_index(op.f('ix_requests_client_id'), 'requests', ['client_id'], unique=False)
    op.create_index('ix_requests_status_created', 'requests', ['status', 'created_at'], unique=False)
    op.create_index('uq_requests_open_per_intervention_kind', 'requests', ['intervention_id', 'kind'], unique=True, sqlite_where=sa.text("status NOT IN ('done', 'refused')"), postgresql_where=sa.text("status NOT IN ('done', 'refused')"))

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f('ck_outbox_channel')),
    sa.CheckConstraint("status IN ('pending', 'sending', 'delivered', 'dead')", name=op.f('ck_outbox_status')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_outbox_request_id_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key'))
    )
    op.create_index(op.f('ix_outbox_request_id'), 'outbox', ['request_id'], unique=False)
    op.create_index('ix_outbox_status_next_attempt', 'outbox', ['status', 'next_attempt_at'], unique=False)

    op.create_table('request_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_history_request_id_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_history'))
    )
    op.create_index(op.f('ix_request_history_request_id'), 'request_history', ['request_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_request_history_request_id'), 'request_history')

    op.drop_table('request_history')
    op.drop_index('ix_outbox_status_next_attempt', 'outbox')
    op.drop_index(op.f('ix_outbox_request_id'), 'outbox')

    op.drop_table('outbox')
    op.drop_index('uq_requests_open_per_intervention_kind', 'requests', sqlite_where=sa.text("status NOT IN ('done', 'refused')"), postgresql_where=sa.text("status NOT IN ('done', 'refused')"))
    op.drop_index('ix_requests_status_created', 'requests')
    op.drop_index(op.f('ix_requests_client_id'), 'requests')

    op.drop_table('requests')
    op.drop_index('ix_interventions_client_start', 'interventions')

    op.drop_table('interventions')
    op.drop_table('accounts')
    op.drop_index(op.f('ix_clients_sector_id'), 'clients')

    op.drop_table('clients')
    op.drop_table('sectors')
    op.drop_table('reference_counters')
    op.drop_table('caregivers')
