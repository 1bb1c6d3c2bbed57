from __future__ import annotations

from alembic import context
from sqlalchemy import text

from reelq.db.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may start at once (gunicorn workers, API + worker nodes): one migrates,
            # the others wait here, then find the schema current (SQLite: BEGIN IMMEDIATE does this).
            connection.execute(text("SELECT pg_advisory_xact_lock(72616573)"))
        context.run_migrations()
    connection.commit()
