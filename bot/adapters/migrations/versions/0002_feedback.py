"""Feedback: the votes (thumbs up / down) on the chat's answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('intent', sa.String(length=100), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'phone')", name=op.f('ck_feedback_channel')),
    sa.CheckConstraint('value IN (1, -1)', name=op.f('ck_feedback_value')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    op.create_index(op.f('ix_feedback_day'), 'feedback', ['day'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_feedback_day'), 'feedback')
    op.drop_table('feedback')
