"""The tables. Times are epoch seconds (float) so both databases compare them the same way."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # -- identity (docs/auth.md): users of an identity provider are keyed by (issuer, subject) --
    Column("issuer", String(500), nullable=True),
    Column("subject", String(255), nullable=True),
    Column("admin", Boolean, nullable=False, default=False, server_default="0"),
    Column("limits_json", Text, nullable=True),  # per-user overrides of the REELQ_LIMIT_* settings
    UniqueConstraint("issuer", "subject", name="uq_users_issuer_subject"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    Column("expires_at", Float, nullable=True),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("analyzer", String(200), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", Float, nullable=False),
    Column("dispatched_at", Float, nullable=True),
    Column("lease_token", String(36), nullable=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_size", BigInteger, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("source_path", String(500), nullable=False),
    Column("metadata_json", Text, nullable=False, default="{}"),
    Column("result_json", Text, nullable=True),
    Column("error_code", String(100), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("error_retryable", Boolean, nullable=True),
    Column("idempotency_key", String(255), nullable=True),
    UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
    Index("ix_jobs_user_id_id", "user_id", "id"),
    Index("ix_jobs_status_lease", "status", "lease_expires_at"),
)

job_events = Table(
    "job_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("event", String(40), nullable=False),
    Column("status", String(16), nullable=True),
    Column("detail_json", Text, nullable=True),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("hostname", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("analyzers", Text, nullable=True),  # JSON list of the analyzers it runs (NULL: every one)
)

# Resumable (tus) uploads. The row is the truth: ``offset`` only moves after the bytes are fsynced,
# and ``lock_token``/``lock_expires_at`` is the per-upload PATCH lock (a lease, taken over when stale).
tus_uploads = Table(
    "tus_uploads",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("offset", BigInteger, nullable=False, default=0),
    Column("raw_metadata", Text, nullable=False, default=""),
    Column("metadata_json", Text, nullable=False, default="{}"),
    Column("content_type", String(100), nullable=True),
    Column("extension", String(8), nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("job_id", String(36), nullable=True),
    Column("lock_token", String(36), nullable=True),
    Column("lock_owner", String(200), nullable=True),
    Column("lock_expires_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    # object storage only: multipart upload id, committed parts and the tail object (uploads/tus_s3.py)
    Column("parts_json", Text, nullable=True),
    Index("ix_tus_uploads_user_state", "user_id", "state"),
    Index("ix_tus_uploads_state_expires", "state", "expires_at"),
)

# -- notifications (reelq/notify) ------------------------------------------------------------------

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("push_token", String(255), nullable=False, unique=True),
    Column("platform", String(16), nullable=True),
    Column("project", String(200), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("disabled_at", Float, nullable=True),
    Column("disabled_reason", String(100), nullable=True),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("disabled_at", Float, nullable=True),
    # an admin's server-wide webhook: it receives the job events of every user
    Column("all_users", Boolean, nullable=False, default=False, server_default="0"),
)

# The outbox: one row per (job, channel, target, event), written in the job's terminal transaction.
notifications = Table(
    "notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("target_id", String(36), nullable=False),
    Column("event", String(40), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_token", String(36), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("ticket_id", String(100), nullable=True),
    Column("sent_at", Float, nullable=True),
    Column("receipt_due_at", Float, nullable=True),
    Column("receipt_checked_at", Float, nullable=True),
    Column("error_code", String(100), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("job_id", "channel", "target_id", "event", name="uq_notifications_target_event"),
    Index("ix_notifications_due", "channel", "state", "next_attempt_at"),
    Index("ix_notifications_receipts", "state", "receipt_due_at"),
)

# Fixed-window counters of the rate limits (reelq/auth/limits.py) when Redis is not the queue:
# one row per (limit, subject, window); rows of past windows are swept.
rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_end", Float, nullable=False, index=True),
    Column("count", Integer, nullable=False),
)
