"""Attendance per session day, QR self check-in, completion and the learning-hours ledger."""
