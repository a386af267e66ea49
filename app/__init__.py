"""Diaspora Bridge: the Litestar application."""
