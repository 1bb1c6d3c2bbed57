"""Run one job: claim with a lease, heartbeat, the analyzer in a child process, guarded finish."""
