"""Notifications: the outbox, the channel protocol, the shared claim loop; a folder per channel."""
