"""The webhook channel: endpoints, URL and address checks, signing, the sender."""
