"""Uploads: storage layout, container sniffing, streaming multipart (and tus)."""
