"""Background work: the one scheduler process, its jobs, and the outbox dispatcher."""
