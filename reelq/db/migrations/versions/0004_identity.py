"""identity: identity-provider users, admins, per-user limits, token expiry, rate counters

Revision ID: 0004_identity
Revises: 0002_notify
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_identity"
down_revision = "0002_notify"  # webhooks gains all_users
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("admin", sa.Boolean(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("limits_json", sa.Text(), nullable=True))
        batch_op.create_unique_constraint("uq_users_issuer_subject", ["issuer", "subject"])
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.Float(), nullable=True))
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("all_users", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_end", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counters_window_end"), ["window_end"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counters_window_end"))
    op.drop_table("rate_counters")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("all_users")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_issuer_subject", type_="unique")
        batch_op.drop_column("limits_json")
        batch_op.drop_column("admin")
        batch_op.drop_column("subject")
        batch_op.drop_column("issuer")
