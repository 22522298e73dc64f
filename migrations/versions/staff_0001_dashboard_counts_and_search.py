"""Staff pages at scale: running counts kept by triggers, list and search indexes.

Revision ID: staff_0001
Revises: 0001
Create Date: 2026-12-01 23:00:00

The dashboard reads totals that triggers keep exact (consult/counts.py) instead of counting
every response on each load; the responses list walks an index on (consultation, submitted at,
id); search folds case in every language and, on PostgreSQL with pg_trgm, uses a trigram index
(consult/search.py). Existing rows are totalled here once.
"""
from alembic import op
import sqlalchemy as sa


revision = 'staff_0001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    from consult import counts, search

    op.create_table('count_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('respondent_type', sa.String(length=50), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('support', sa.Text(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_change'))
    )
    op.create_index(op.f('ix_count_change_consultation_id'), 'count_change', ['consultation_id'])
    op.create_table('response_count',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('respondent_type', sa.String(length=50), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('consultation_id', 'status', 'received_on', 'channel',
                            'respondent_type', 'district', name=op.f('pk_response_count'))
    )
    op.create_table('support_count',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('column', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('consultation_id', 'status', 'column', 'code',
                            name=op.f('pk_support_count'))
    )
    op.create_table('draft_count',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('sent', sa.String(length=10), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('consultation_id', 'channel', 'sent', name=op.f('pk_draft_count'))
    )
    op.create_index('ix_response_consultation_id_submitted_at', 'response',
                    ['consultation_id', 'submitted_at', 'id'])
    connection = op.get_bind()
    counts.install_triggers(connection, backfill=True)
    search.install(connection)


def downgrade():
    from consult import counts, search

    connection = op.get_bind()
    search.uninstall(connection)
    counts.drop_triggers(connection)
    op.drop_index('ix_response_consultation_id_submitted_at', table_name='response')
    op.drop_table('draft_count')
    op.drop_table('support_count')
    op.drop_table('response_count')
    op.drop_index(op.f('ix_count_change_consultation_id'), table_name='count_change')
    op.drop_table('count_change')
