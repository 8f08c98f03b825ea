"""Delivery: the mail layer (SMTP or the outbox directory); digests and feeds come next."""
