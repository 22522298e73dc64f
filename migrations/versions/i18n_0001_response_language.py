"""The language a draft is being answered in and a response was given in

Revision ID: i18n_0001
Revises: jobs_0001
Create Date: 2026-12-03 07:45:00

Every response and draft stored before this was given in English. The columns are added in
place (never by copying the table, which on SQLite would drop the running counts' triggers).
"""
from alembic import op
import sqlalchemy as sa


revision = 'i18n_0001'
down_revision = 'jobs_0001'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('draft', 'response'):
        op.add_column(table, sa.Column('language', sa.String(length=10), nullable=False,
                                       server_default='en'))


def downgrade():
    # DROP COLUMN in place too (SQLite 3.35 and later, PostgreSQL).
    for table in ('response', 'draft'):
        op.execute(f'ALTER TABLE {table} DROP COLUMN language')
