"""Translations of comments, recorded by staff beside the original; an index for counting
responses by language

Revision ID: langdata_0001
Revises: coding_0001
Create Date: 2026-12-03 08:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'langdata_0001'
down_revision = 'coding_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'comment_translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('column', sa.String(length=100), nullable=False),
        sa.Column('source_language', sa.String(length=10), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('translated_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['translated_by_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('response_id', 'column',
                            name='uq_comment_translation_response_column'),
    )
    op.create_index('ix_comment_translation_response_id', 'comment_translation',
                    ['response_id'])
    op.create_index('ix_response_consultation_id_status_language', 'response',
                    ['consultation_id', 'status', 'language'])


def downgrade():
    op.drop_index('ix_response_consultation_id_status_language', table_name='response')
    op.drop_index('ix_comment_translation_response_id', table_name='comment_translation')
    op.drop_table('comment_translation')
