"""Engine helpers and the schema; Alembic migrations ship in ``db/migrations``."""
