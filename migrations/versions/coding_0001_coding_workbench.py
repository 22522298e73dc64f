"""coding workbench: codebook versions, codings, the double-coded sample and sign-off

Revision ID: coding_0001
Revises: i18n_0001
Create Date: 2026-12-03 08:40:00

"""
from alembic import op
import sqlalchemy as sa

import consult.models


revision = 'coding_0001'
down_revision = 'i18n_0001'
branch_labels = None
depends_on = None


def _times():
    return [sa.Column('created_at', consult.models.UTCDateTime(timezone=True), nullable=False),
            sa.Column('updated_at', consult.models.UTCDateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table(
        'codebook_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('column', sa.String(length=100), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('codes', sa.JSON(), nullable=False),
        sa.Column('started_from', sa.String(length=40), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('consultation_id', 'column', 'number'),
    )
    op.create_index('ix_codebook_version_consultation_id', 'codebook_version', ['consultation_id'])
    op.create_table(
        'coding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('coder_id', sa.Integer(), nullable=True),
        sa.Column('codes', sa.JSON(), nullable=False),
        sa.Column('is_quotable', sa.Boolean(), nullable=False),
        sa.Column('suggested', sa.JSON(), nullable=False),
        sa.Column('suggestion_confidence', sa.Float(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(['version_id'], ['codebook_version.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['coder_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'response_id', 'kind'),
    )
    op.create_index('ix_coding_version_id', 'coding', ['version_id'])
    op.create_index('ix_coding_response_id', 'coding', ['response_id'])
    op.create_table(
        'double_coding_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('coder_id', sa.Integer(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('assigned_at', consult.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['codebook_version.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['coder_id'], ['staff_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'response_id'),
    )
    op.create_index('ix_double_coding_assignment_version_id', 'double_coding_assignment',
                    ['version_id'])
    op.create_index('ix_double_coding_assignment_response_id', 'double_coding_assignment',
                    ['response_id'])
    op.create_index('ix_double_coding_assignment_coder_id', 'double_coding_assignment',
                    ['coder_id'])
    op.create_table(
        'coding_sign_off',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', consult.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['codebook_version.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id'),
    )


def downgrade():
    for table in ('coding_sign_off', 'double_coding_assignment', 'coding', 'codebook_version'):
        op.drop_table(table)
