"""worker_analyzers: each worker's heartbeat names the analyzers it runs

Revision ID: 0005_worker_analyzers
Revises: 0004_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_worker_analyzers"
down_revision = "0004_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        # JSON list of analyzer names; NULL: a worker of an older version (it runs every analyzer)
        batch_op.add_column(sa.Column("analyzers", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("analyzers")
