"""Analyzers: the protocol, the registry and the builtin analyzers."""
