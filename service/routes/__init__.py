"""Thin routers over geo/ functions and the store."""
