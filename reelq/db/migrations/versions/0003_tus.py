"""tus uploads

Revision ID: 0003_tus
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_tus"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tus_uploads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("raw_metadata", sa.Text(), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("extension", sa.String(length=8), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("lock_token", sa.String(length=36), nullable=True),
        sa.Column("lock_owner", sa.String(length=200), nullable=True),
        sa.Column("lock_expires_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tus_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_tus_uploads_user_state", ["user_id", "state"], unique=False)
        batch_op.create_index("ix_tus_uploads_state_expires", ["state", "expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tus_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_tus_uploads_state_expires")
        batch_op.drop_index("ix_tus_uploads_user_state")
    op.drop_table("tus_uploads")
