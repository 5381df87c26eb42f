"""Chat handlers: a router and one module per command family."""
