"""Fault scenarios: the portal under `make serve-prod` while its services fail.

Run with `make faults` (or `python -m tests.faults [NAME ...]`). Each scenario starts what
it needs on spare loopback ports (its own PostgreSQL cluster through initdb and pg_ctl, its
own redis-server, a small SMTP server and the fake model server), breaks one of them, and
prints what it did and what it checked. The shared services on the standard ports are
never touched. pytest does not collect these modules (none is named test_*).
"""
