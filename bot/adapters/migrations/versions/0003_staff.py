"""Staff screen (issue 21): clients' phone and e-mail and the key the staff's search compares
(folded name and phone digits, filled here for the existing clients), the sectors of staff
accounts, the questions the assistant could not answer, callback requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
import unicodedata

from alembic import op
import sqlalchemy as sa



revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=30), nullable=True))
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch.add_column(sa.Column('search_key', sa.String(length=300), server_default='',
                                   nullable=False))
    _fill_search_keys()
    op.create_table('account_sectors',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_account_sectors_account_id_accounts')),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'],
                            name=op.f('fk_account_sectors_sector_id_sectors')),
    sa.PrimaryKeyConstraint('account_id', 'sector_id', name=op.f('pk_account_sectors'))
    )
    op.create_table('unanswered_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('asked_on', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=True),
    sa.Column('labelled_by', sa.String(length=100), nullable=True),
    sa.CheckConstraint("kind IN ('fallback', 'out_of_scope', 'thumbs_down')",
                       name=op.f('ck_unanswered_questions_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unanswered_questions'))
    )
    op.create_index(op.f('ix_unanswered_questions_asked_on'), 'unanswered_questions',
                    ['asked_on'], unique=False)
    op.create_table('callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('best_time', sa.String(length=100), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='received', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('received', 'forwarded', 'acknowledged', 'done', 'refused')",
                       name=op.f('ck_callbacks_status')),
    sa.CheckConstraint("topic IN ('annulation', 'changement', 'facturation', 'autre')",
                       name=op.f('ck_callbacks_topic')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'],
                            name=op.f('fk_callbacks_client_id_clients')),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'],
                            name=op.f('fk_callbacks_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks')),
    sa.UniqueConstraint('reference', name=op.f('uq_callbacks_reference'))
    )
    op.create_index(op.f('ix_callbacks_client_id'), 'callbacks', ['client_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_callbacks_client_id'), 'callbacks')
    op.drop_table('callbacks')
    op.drop_index(op.f('ix_unanswered_questions_asked_on'), 'unanswered_questions')
    op.drop_table('unanswered_questions')
    op.drop_table('account_sectors')
    with op.batch_alter_table('clients') as batch:
        batch.drop_column('search_key')
        batch.drop_column('email')
        batch.drop_column('phone')


def _fold(text: str) -> str:
    """As bot.domain.text_keys.fold at the time of this migration (no phones yet)."""
    lowered = text.lower().replace("œ", "oe").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", lowered)
                   if not unicodedata.combining(c))


def _fill_search_keys() -> None:
    clients = sa.table('clients', sa.column('id', sa.Integer), sa.column('name', sa.String),
                       sa.column('search_key', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(clients.c.id, clients.c.name)).all()
    if rows:
        conn.execute(clients.update().where(clients.c.id == sa.bindparam('_id'))
                     .values(search_key=sa.bindparam('key')),
                     [{'_id': r.id, 'key': _fold(r.name)[:300]} for r in rows])
