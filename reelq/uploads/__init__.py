"""Uploads: the one intake step (``intake``), container sniffing, streaming multipart, and tus."""
