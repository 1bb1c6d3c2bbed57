"""Notifications: devices, the outbox, the Expo push client, receipts and webhooks."""
