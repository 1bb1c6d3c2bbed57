"""The HTTP layer: a thin adapter over the services."""
