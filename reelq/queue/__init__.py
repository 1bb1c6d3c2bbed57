"""Dispatch: Huey (SQLite or Redis) delivers job ids; the job table stays the truth."""
