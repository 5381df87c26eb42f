"""Babel catalogs: th (the default) and en."""
