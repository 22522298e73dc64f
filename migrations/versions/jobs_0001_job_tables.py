"""job tables: long staff work run by job workers, and the files it made

Revision ID: jobs_0001
Revises: plans_0001
Create Date: 2026-12-01 22:40:00

"""
from alembic import op
import sqlalchemy as sa

import consult.models


revision = 'jobs_0001'
down_revision = 'plans_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('params_key', sa.String(length=300), nullable=False),
        sa.Column('active_key', sa.String(length=300), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('step', sa.String(length=200), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('max_response_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', consult.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', consult.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', consult.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', consult.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('expires_at', consult.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('worker', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'],
                                name=op.f('fk_job_consultation_id_consultation'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['staff_user.id'],
                                name=op.f('fk_job_requested_by_id_staff_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
        sa.UniqueConstraint('active_key', name=op.f('uq_job_active_key')),
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_consultation_id'), ['consultation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_job_params_key'), ['params_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_expires_at'), ['expires_at'], unique=False)

    op.create_table(
        'job_file_chunk',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_file_chunk_job_id_job'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_file_chunk')),
        sa.UniqueConstraint('job_id', 'name', 'seq', name=op.f('uq_job_file_chunk_job_id')),
    )
    with op.batch_alter_table('job_file_chunk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_file_chunk_job_id'), ['job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('job_file_chunk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_file_chunk_job_id'))
    op.drop_table('job_file_chunk')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_expires_at'))
        batch_op.drop_index(batch_op.f('ix_job_status'))
        batch_op.drop_index(batch_op.f('ix_job_params_key'))
        batch_op.drop_index(batch_op.f('ix_job_consultation_id'))
    op.drop_table('job')
