"""Fixtures of the contract suites (defined in backends.py, which tests can also import)."""

from backends import backend_runtime, backend_settings, db_url, queue_url

__all__ = ["backend_runtime", "backend_settings", "db_url", "queue_url"]
