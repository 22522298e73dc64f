"""The model's coding of a codebook version's remaining comments: one run per version (its
codes are rows of ``coding`` of kind "model")

Revision ID: modelcodes_0001
Revises: langdata_0001
Create Date: 2026-12-03 09:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'modelcodes_0001'
down_revision = 'langdata_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'model_coding_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('backend', sa.String(length=40), nullable=False),
        sa.Column('trained_on', sa.Integer(), nullable=False),
        sa.Column('coded', sa.Integer(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['codebook_version.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id'),
    )


def downgrade():
    op.drop_table('model_coding_run')
