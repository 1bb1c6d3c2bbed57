"""Jobs: the status enum and transition table, the SQL store, and the service the API calls."""
