"""tus_uploads.parts_json: the object-storage state of an upload (multipart id, parts, tail object)

Revision ID: 0005_tus_parts
Revises: 0003_tus
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_tus_parts"
down_revision = "0003_tus"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tus_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tus_uploads", schema=None) as batch_op:
        batch_op.drop_column("parts_json")
