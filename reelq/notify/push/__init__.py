"""The Expo push channel: devices, the Expo client, the sender, receipts, the send-rate throttle."""
