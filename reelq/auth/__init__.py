"""Users and API tokens (stored as SHA-256 hashes; a token is shown once)."""
