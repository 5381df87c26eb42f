"""Benchmarks that print their figures."""
